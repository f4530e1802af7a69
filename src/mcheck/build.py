"""Stage 2, build: the sdist from a private copy of the project, then the wheel *from that sdist*.

That is what pip does when it installs a source release, so anything the sdist forgot shows up as a
file missing from the wheel. The user's tree is never written to: setuptools drops ``build/`` and
``*.egg-info`` next to the sources, so the backend runs on a copy that holds exactly the source file
list of :mod:`mcheck.project` (stale ``build/`` and ``*.egg-info`` leftovers never reach it).

Build dependencies are installed with ``uv`` through ``build``'s isolated environment. Which index uv
uses is uv's own configuration (``UV_DEFAULT_INDEX``, ``UV_INDEX``, ``uv.toml``); pip's configuration
is not consulted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import build
import build.env

from mcheck.project import Project

LOG_TAIL_LINES = 30
BuildStage = Literal["sdist", "wheel"]


@dataclass(frozen=True)
class BuildFailure:
    stage: BuildStage
    message: str
    log_tail: str


@dataclass(frozen=True)
class BuildResult:
    sdist: Path | None = None
    wheel: Path | None = None
    failure: BuildFailure | None = None


class _CapturingRunner:
    """A pyproject-hooks subprocess runner that keeps the backend's output for the failure report."""

    def __init__(self) -> None:
        self.output: list[str] = []

    def __call__(self, cmd: Sequence[str], cwd: str | None = None,
                 extra_environ: Mapping[str, str] | None = None) -> None:
        env = os.environ.copy()
        env.update(extra_environ or {})
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
        self.output.append(_decode(proc.stdout) + _decode(proc.stderr))
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)

    def tail(self) -> str:
        return _tail("".join(self.output))


def build_artifacts(project: Project, workdir: Path) -> BuildResult:
    """Build sdist then wheel-from-sdist for ``project`` entirely inside ``workdir``."""
    staged = stage_source(project, workdir / "source")
    dist = workdir / "dist"
    with build.env.DefaultIsolatedEnv(installer="uv") as env:
        sdist, failure = _build_one(env, staged, "sdist", dist)
        if failure is not None:
            return BuildResult(failure=failure)
        unpacked = _unpack_sdist(sdist, workdir / "sdist")
        wheel, failure = _build_one(env, unpacked, "wheel", dist)
    return BuildResult(sdist=sdist, wheel=wheel, failure=failure)


def build_wheel_only(source_dir: Path, workdir: Path) -> BuildResult:
    """Build just a wheel from an already prepared directory (used for an unpacked sdist)."""
    with build.env.DefaultIsolatedEnv(installer="uv") as env:
        wheel, failure = _build_one(env, source_dir, "wheel", workdir / "dist")
    return BuildResult(wheel=wheel, failure=failure)


def _build_one(env: build.env.DefaultIsolatedEnv, srcdir: Path, stage: BuildStage,
               outdir: Path) -> tuple[Path, None] | tuple[None, BuildFailure]:
    runner = _CapturingRunner()
    try:
        builder = build.ProjectBuilder.from_isolated_env(env, srcdir, runner=runner)
        env.install(builder.build_system_requires)
        env.install(builder.get_requires_for_build(stage))
        return Path(builder.build(stage, outdir)), None
    except subprocess.CalledProcessError as exc:  # installing build requirements failed
        log = _decode(exc.stdout) + _decode(exc.stderr)
        return None, BuildFailure(stage, "could not install the build requirements", _tail(log))
    except build.BuildBackendException as exc:
        return None, BuildFailure(stage, _backend_message(exc), runner.tail())
    except build.BuildException as exc:  # e.g. invalid [build-system] table
        return None, BuildFailure(stage, str(exc), runner.tail())


def _backend_message(exc: build.BuildBackendException) -> str:
    inner = exc.exception
    if isinstance(inner, subprocess.CalledProcessError):
        return f"the build backend exited with status {inner.returncode}"
    return str(exc) or type(inner).__name__


def stage_source(project: Project, dest: Path) -> Path:
    """Copy the project's source files to ``dest`` and return the directory to build in.

    Projects whose version comes from git (setuptools-scm, hatch-vcs, ...) need the repository's
    history: for them ``dest`` becomes a shared, sparse clone of the repository with the user's
    uncommitted edits laid over it, so the version is exactly the one the user's checkout yields.
    """
    if project.uses_vcs_version and project.git_root is not None:
        return _stage_git_checkout(project, dest)
    _copy_files(project.root, dest, project.files)
    return dest


def _stage_git_checkout(project: Project, dest: Path) -> Path:
    assert project.git_root is not None
    subdir = project.root.relative_to(project.git_root).as_posix()
    # --shared borrows the user's object store read-only (alternates): nothing is written to their repo.
    _git("clone", "--quiet", "--shared", "--no-checkout", str(project.git_root), str(dest))
    if subdir != ".":
        _git("-C", str(dest), "sparse-checkout", "set", "--no-cone", f"/{subdir}/", "/.git*")
    _git("-C", str(dest), "checkout", "--quiet", "HEAD")
    staged = dest if subdir == "." else dest / subdir
    # Overlay the working tree (uncommitted edits, untracked-not-ignored files) and drop deleted files.
    for stale in _tracked_files(staged):
        if stale not in set(project.files):
            (staged / stale).unlink(missing_ok=True)
    _copy_files(project.root, staged, project.files)
    return staged


def _tracked_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", "."], capture_output=True, check=True)
    return [p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _git(*args: str) -> None:
    subprocess.run(["git", *args], capture_output=True, check=True, stdin=subprocess.DEVNULL)


def _copy_files(root: Path, dest: Path, files: Sequence[str]) -> None:
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target, follow_symlinks=True)


def _unpack_sdist(sdist: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as tf:
        tf.extractall(dest, filter="data")
    entries = [p for p in dest.iterdir() if p.is_dir()]
    return entries[0] if len(entries) == 1 else dest


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
