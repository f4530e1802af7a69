"""Which Python runs the target venv: the ``python`` setting, checked before anything is built.

An interpreter that cannot be found or does not run is the user's environment, not the wheel: it is
bad input (exit 2) naming what was tried, never an MC002 "does not install" about the wheel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mcheck.errors import UsageError

# Enough for a cold interpreter start on a loaded CI machine; a shim that hangs is not a Python.
_START_TIMEOUT = 30.0
_VERSION_PROBE = "import sys; print(sys.implementation.name, '%d.%d.%d' % sys.version_info[:3])"


@dataclass(frozen=True, order=True)
class Interpreter:
    """An interpreter that ran here once: its version, its implementation and where it is."""

    version: tuple[int, int, int]
    path: str
    implementation: str = "cpython"

    @property
    def minor(self) -> tuple[int, int]:
        return self.version[:2]

    @property
    def label(self) -> str:
        """``3.12``: how reports name it ("on Python 3.12 only")."""
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def full_version(self) -> str:
        return ".".join(map(str, self.version))


def own_interpreter() -> Interpreter:
    return Interpreter(tuple(sys.version_info[:3]), sys.executable, sys.implementation.name)


def resolve_interpreter(request: str | None) -> str:
    """The absolute path of the interpreter ``request`` names (a path, a command on ``PATH``, or a
    version such as ``3.12`` that uv finds without downloading), after checking that it runs Python.
    ``None`` is mcheck's own interpreter."""
    return interpreter_for(request).path


def interpreter_for(request: str | None) -> Interpreter:
    """The interpreter ``request`` names, run once to learn its version (exit 2 when it does not run)."""
    if request is None:
        return own_interpreter()
    candidate = _locate(request)
    return _check_runs(candidate, request)


def installed_interpreters() -> tuple[Interpreter, ...]:
    """Every working interpreter found here without downloading anything, the newest patch release
    of each implementation and minor version, oldest first: pyenv's ``versions/`` (its shims run
    only the active versions), ``python3.X`` on ``PATH``, uv's installed Pythons, mcheck's own."""
    return _inventory(_pyenv_root(), os.environ.get("PATH", ""))


@cache
def _inventory(pyenv_root: Path, search_path: str) -> tuple[Interpreter, ...]:
    candidates = [
        *_pyenv_candidates(pyenv_root),
        *_path_candidates(search_path, shims=pyenv_root / "shims"),
        *_uv_managed_candidates(),
    ]
    newest: dict[tuple[str, tuple[int, int]], Interpreter] = {}
    own = own_interpreter()
    newest[(own.implementation, own.minor)] = own
    with ThreadPoolExecutor(max_workers=4) as pool:  # each start waits on the disk, not the CPU
        ran = list(pool.map(_runs_as, dict.fromkeys(candidates)))
    for found in ran:
        if found is None:
            continue  # a broken install: not an interpreter here
        key = (found.implementation, found.minor)
        if key not in newest or found.version > newest[key].version:
            newest[key] = found
    return tuple(sorted(newest.values()))


def _pyenv_candidates(root: Path) -> list[str]:
    versions = root / "versions"
    if not versions.is_dir():
        return []
    found = []
    for entry in sorted(versions.iterdir()):
        match = _VERSION_REQUEST.match(entry.name)
        python = entry / "bin" / f"python3.{match.group(1)}" if match else None
        if python is not None and python.is_file():
            found.append(str(python))
    return found


def _path_candidates(search_path: str, shims: Path) -> list[str]:
    """``python3.X`` commands on ``PATH``, but pyenv's shims: they run only the active versions,
    slowly, and the versions behind them are already listed."""
    names = [f"python3.{minor}" for minor in range(6, 21)]
    found = [shutil.which(name, path=search_path) for name in names]
    return [path for path in found if path and Path(path).parent != shims]


def _runs_as(candidate: str) -> Interpreter | None:
    try:
        return _check_runs(candidate, candidate)
    except UsageError:
        return None


def _uv_managed_candidates() -> list[str]:
    """Pythons uv installed (``uv python install``), read from its directory: asking uv costs a
    second here, and it reports the PATH and pyenv entries already looked at."""
    configured = os.environ.get("UV_PYTHON_INSTALL_DIR")
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    root = Path(configured) if configured else Path(data_home) / "uv" / "python"
    if not root.is_dir():
        return []
    return [
        str(python)
        for entry in sorted(root.iterdir())
        if (match := _UV_MANAGED.match(entry.name))
        and (python := entry / "bin" / f"python3.{match.group(1)}").is_file()
    ]


_UV_MANAGED = re.compile(r"^cpython-3\.(\d+)\.\d+")


_VERSION_REQUEST = re.compile(r"^3\.(\d+)(?:\.(\d+))?$")


def _locate(request: str) -> str:
    if os.sep in request or Path(request).exists():
        path = Path(request).expanduser()
        if not path.is_file():
            raise UsageError(f"python {request!r}: no such file")
        return str(path.absolute())
    on_path = shutil.which(request)
    if on_path is not None:
        return on_path
    # A version: pyenv's installed versions first (its shims run only the active ones), then uv.
    found = _pyenv_version(request) or _uv_find(request)
    if found is None:
        raise UsageError(
            f"python {request!r}: not a file, not a command on PATH, not under "
            f"{_pyenv_root() / 'versions'}, and uv found no installed interpreter for it "
            "(mcheck never downloads one)"
        )
    return found


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _pyenv_version(request: str) -> str | None:
    """The newest ``$PYENV_ROOT/versions/3.X[.Y]`` that matches ``request`` and runs."""
    match = _VERSION_REQUEST.match(request)
    versions = _pyenv_root() / "versions"
    if match is None or not versions.is_dir():
        return None
    minor, patch = match.group(1), match.group(2)
    candidates = []
    for entry in versions.iterdir():
        parts = _VERSION_REQUEST.match(entry.name)
        if parts and parts.group(1) == minor and (patch is None or parts.group(2) == patch):
            candidates.append((int(parts.group(2) or 0), entry / "bin" / f"python3.{minor}"))
    for _, python in sorted(candidates, reverse=True):
        if python.is_file() and _runs(python):
            return str(python)
    return None


def _runs(python: Path) -> bool:
    try:
        _check_runs(str(python), str(python))
    except UsageError:
        return False
    return True


def _uv_find(request: str) -> str | None:
    from mcheck.wheel.install import find_uv

    uv = find_uv()
    if uv is None:
        return None
    try:
        found = subprocess.run(
            [uv, "python", "find", "--no-python-downloads", "--no-project", request],
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = found.stdout.strip()
    return path if found.returncode == 0 and path else None


def _check_runs(candidate: str, request: str) -> Interpreter:
    """Run the interpreter once: a pyenv shim for a version that is not active, ``/bin/false`` or a
    broken install fail here, with what they said."""
    try:
        ran = subprocess.run(
            [candidate, "-I", "-c", _VERSION_PROBE],
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"python {request!r} ({candidate}) did not start within {_START_TIMEOUT:.0f} s"
        ) from None
    except OSError as exc:
        raise UsageError(f"python {request!r} ({candidate}) cannot run: {exc.strerror}") from None
    said = (ran.stderr or ran.stdout).strip().splitlines()
    if ran.returncode != 0 or not ran.stdout.strip():
        detail = f": {said[0]}" if said else ""  # pyenv says what is wrong first
        raise UsageError(
            f"python {request!r} ({candidate}) is not a working Python interpreter "
            f"(exit status {ran.returncode}{detail})"
        )
    implementation, _, version = ran.stdout.strip().partition(" ")
    try:
        numbers = tuple(int(part) for part in version.split("."))
    except ValueError:
        raise UsageError(
            f"python {request!r} ({candidate}) printed {ran.stdout.strip()!r} for its version"
        ) from None
    return Interpreter(numbers, candidate, implementation)
