"""Run the service's start target for real: materialise the container filesystem, build a venv from the
service's requirements, and import the target there with :mod:`mcheck.probes.scripts.target_probe`."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mcheck.deploy.follow import Target
from mcheck.deploy.model import Runtime
from mcheck.probes.runner import stage_script
from mcheck.wheel.install import find_uv

STOP_GRACE = 5.0  # seconds the probe gets to clean up after SIGTERM
LOG_TAIL = 25
_SCRUBBED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")


class EnvFailed(Exception):
    """The venv could not be created or the requirements did not install; ``log_tail`` says why."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


@dataclass
class ProbeOutcome:
    missing: list[str] = field(default_factory=list)
    ok: bool = True
    has_attr: bool | None = None
    error: dict | None = None
    timed_out: bool = False


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


def create_service_env(venv: Path, requirement_files: list[Path], packages: list[str], *,
                       python: str | None, cwd: Path) -> Path:
    """A fresh venv with the service's requirements installed; returns its interpreter."""
    uv = find_uv()
    if uv is None:  # pragma: no cover - uv is a dependency of mcheck
        raise EnvFailed("uv is not available", "")
    _run([uv, "venv", "--quiet", "--no-project", "--python", python or sys.executable, str(venv)], cwd,
         "create the venv")
    interpreter = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    args = [a for f in requirement_files for a in ("-r", str(f))] + packages
    if args:
        _run([uv, "pip", "install", "--quiet", "--python", str(interpreter), *args], cwd,
             "install the service's requirements")
    return interpreter


def add_runtime_path(interpreter: Path, entries: list[Path]) -> None:
    """Put the runtime's sys.path entries into the venv through a ``.pth`` file, for probes that start
    the interpreter themselves (the ASGI app probe)."""
    out = subprocess.run([str(interpreter), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         capture_output=True, text=True, check=True)
    site = Path(out.stdout.strip())
    (site / "_mcheck_deploy_runtime.pth").write_text("".join(f"{e}\n" for e in entries), encoding="utf-8")


def run_target_probe(interpreter: Path, root: Path, target: Target, names: list[str], *, timeout: float,
                     workdir: Path, env: dict[str, str] | None = None) -> ProbeOutcome:
    """Import the target in the venv of ``interpreter`` from the materialised container at ``root``.

    ``env`` holds the variables the image sets (Dockerfile ``ENV``); mcheck's own PYTHONPATH never leaks in.
    """
    request = {"sys_path": [str(host_path(root, p)) for p in target.sys_path], "names": names,
               "module": target.module if target.module != "__main__" else None,
               "script": str(host_path(root, target.file)) if target.module == "__main__" and target.file else None,
               "attr": target.call.attr}
    workdir.mkdir(parents=True, exist_ok=True)
    in_path, out_path = workdir / "target-in.json", workdir / "target-out.json"
    in_path.write_text(json.dumps(request), encoding="utf-8")
    child_env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    child_env.update(runtime_env(env or {}))
    script = stage_script("target_probe.py", workdir / "script")
    # Its own session: on a timeout the whole group goes, and the probe's SIGTERM handler first takes
    # down what escaped the group (the probe is a subreaper).
    proc = subprocess.Popen([str(interpreter), "-I", str(script), str(in_path), str(out_path)],
                            cwd=host_path(root, target.cwd), env=child_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        return ProbeOutcome(ok=False, timed_out=True)
    finally:
        _kill_group(proc)
    if not out_path.is_file():
        return ProbeOutcome(ok=False, error={"type": "ProbeError", "message": "the probe wrote no result",
                                             "missing_name": None, "frames": []})
    data = json.loads(out_path.read_text(encoding="utf-8"))
    return ProbeOutcome(missing=data.get("missing", []), ok=data.get("ok", False), has_attr=data.get("has_attr"),
                        error=data.get("error"))


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the probe's group (its handler kills its descendants), SIGKILL what is left after a grace."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()


def _kill_group(proc: subprocess.Popen) -> None:
    """Whatever is left in the probe's process group once the probe ended (a child it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def runtime_env(image_env: dict[str, str]) -> dict[str, str]:
    """What the host gives the process: the image's variables (minus paths that only make sense inside the
    container; sys.path is set explicitly) and a PORT."""
    env = {k: v for k, v in image_env.items() if k not in ("PATH", "PYTHONPATH", "PYTHONHOME", "HOME")}
    env.update(PORT=env.get("PORT", "8000"), PYTHONDONTWRITEBYTECODE="1")
    return env


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env,
                          check=False)
    if proc.returncode:
        lines = (proc.stdout + proc.stderr).rstrip().splitlines()
        raise EnvFailed(f"could not {what}", "\n".join(lines[-LOG_TAIL:]))
