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
from pathlib import Path

from mcheck.errors import UsageError

# Enough for a cold interpreter start on a loaded CI machine; a shim that hangs is not a Python.
_START_TIMEOUT = 30.0
_VERSION_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3])"


def resolve_interpreter(request: str | None) -> str:
    """The absolute path of the interpreter ``request`` names (a path, a command on ``PATH``, or a
    version such as ``3.12`` that uv finds without downloading), after checking that it runs Python.
    ``None`` is mcheck's own interpreter."""
    if request is None:
        return sys.executable
    candidate = _locate(request)
    _check_runs(candidate, request)
    return candidate


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


def _check_runs(candidate: str, request: str) -> None:
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
