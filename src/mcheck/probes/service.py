"""Run the service's start target for real: materialise the container filesystem, build a venv from the
service's requirements, and import the target there with :mod:`mcheck.probes.scripts.target_probe`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

from mcheck.deploy.follow import Target
from mcheck.deploy.model import Runtime
from mcheck.probes.protocol import TargetResult, parse_target_answer
from mcheck.probes.runner import Probe, ProbeError, run_probe
from mcheck.sandbox import Sandbox
from mcheck.wheel.install import find_uv

LOG_TAIL = 25
_SCRUBBED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")


class EnvFailed(Exception):
    """The venv could not be created or the requirements did not install; ``log_tail`` says why."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


def materialise(runtime: Runtime, repo_root: Path, root: Path) -> Path:
    """Copy every mapped file to ``root`` + its container path. Copies, not symlinks: code that resolves
    ``__file__`` must not find its way back into the checkout."""
    for container, repo in runtime.files.items():
        dest = root / container.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo_root / repo, dest)
    (root / runtime.workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
    return root


def host_path(root: Path, container: str) -> Path:
    return root / container.lstrip("/")


def installed_versions(venv: Path) -> dict[str, str]:
    """Canonical distribution name -> version of what the service venv has installed, read from
    its ``*.dist-info`` directory names (``name-version.dist-info``, as installers write them)."""
    found: dict[str, str] = {}
    for pattern in ("lib*/python*/site-packages/*.dist-info", "Lib/site-packages/*.dist-info"):
        for dist_info in venv.glob(pattern):
            name, sep, version = dist_info.name.removesuffix(".dist-info").partition("-")
            if sep and version:
                found[canonicalize_name(name)] = version
    return found


def create_service_env(
    venv: Path,
    requirement_files: list[Path],
    packages: list[str],
    *,
    python: str | None,
    cwd: Path,
    constraints: Sequence[str] = (),
) -> Path:
    """A fresh venv with the service's requirements installed (``constraints``: pins, such as a
    lock file's, that what they resolve to must match); returns its interpreter."""
    uv = find_uv()
    if uv is None:  # pragma: no cover - uv is a dependency of mcheck
        raise EnvFailed("uv is not available", "")
    _run(
        [uv, "venv", "--quiet", "--no-project", "--python", python or sys.executable, str(venv)],
        cwd,
        "create the venv",
    )
    interpreter = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    args = [a for f in requirement_files for a in ("-r", str(f))] + packages
    if args and constraints:
        pinned = venv.parent / f"{venv.name}-constraints.txt"
        pinned.write_text("".join(f"{c}\n" for c in constraints), encoding="utf-8")
        args += ["-c", str(pinned)]
    if args:
        _run(
            [uv, "pip", "install", "--quiet", "--python", str(interpreter), *args],
            cwd,
            "install the service's requirements",
        )
    return interpreter


def add_runtime_path(interpreter: Path, entries: list[Path]) -> None:
    """Put the runtime's sys.path entries into the venv through a ``.pth`` file, for probes that start
    the interpreter themselves (the ASGI app probe)."""
    out = subprocess.run(
        [str(interpreter), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    site = Path(out.stdout.strip())
    (site / "_mcheck_deploy_runtime.pth").write_text(
        "".join(f"{e}\n" for e in entries), encoding="utf-8"
    )


def run_target_probe(
    interpreter: Path,
    root: Path,
    target: Target,
    names: list[str],
    *,
    timeout: float,
    workdir: Path,
    env: dict[str, str] | None = None,
    sandbox: Sandbox | None = None,
) -> TargetResult:
    """Import the target in the venv of ``interpreter`` from the materialised container at ``root``.

    ``env`` holds the variables the image sets (Dockerfile ``ENV``), on top of the probe's allow-listed
    environment; mcheck's own PYTHONPATH never leaks in. Raises :class:`ProbeError` (``timed_out`` when
    the import outran ``timeout``).
    """
    request = {
        "sys_path": [str(host_path(root, p)) for p in target.sys_path],
        "names": names,
        "module": target.module if target.module != "__main__" else None,
        "script": (
            str(host_path(root, target.file))
            if target.module == "__main__" and target.file
            else None
        ),
        "attr": target.call.attr,
    }
    probe = Probe(
        "target",
        "target_probe.py",
        interpreter,
        workdir,
        timeout,
        sandbox=sandbox,
        cwd=host_path(root, target.cwd),
        env=runtime_env(env or {}),
    )
    answer = run_probe(probe, request)
    try:
        return parse_target_answer(answer)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(f"the target probe wrote a malformed answer ({exc!r})") from None


def runtime_env(image_env: dict[str, str]) -> dict[str, str]:
    """What the host gives the process: the image's variables (minus paths that only make sense inside the
    container; sys.path is set explicitly) and a PORT."""
    env = {
        k: v for k, v in image_env.items() if k not in ("PATH", "PYTHONPATH", "PYTHONHOME", "HOME")
    }
    env.update(PORT=env.get("PORT", "8000"), PYTHONDONTWRITEBYTECODE="1")
    return env


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, check=False
    )
    if proc.returncode:
        lines = (proc.stdout + proc.stderr).rstrip().splitlines()
        raise EnvFailed(f"could not {what}", "\n".join(lines[-LOG_TAIL:]))
