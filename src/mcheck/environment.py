"""Stage 3, install: a brand-new venv holding only the wheel and its declared dependencies.

The venv is created by ``uv`` (``virtualenv`` when uv is unavailable), never with system
site-packages. Dependencies are resolved by ``uv pip install`` from uv's configured index (PyPI unless
``UV_DEFAULT_INDEX``/``UV_INDEX``/``uv.toml`` say otherwise); pip's configuration is never read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

INSTALL_LOG_TAIL = 25


@dataclass(frozen=True)
class TargetEnv:
    path: Path
    python: Path


class InstallFailed(Exception):
    """The wheel could not be installed; ``log_tail`` holds the installer's explanation."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


def find_uv() -> str | None:
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def create_target_env(wheel: Path, venv_dir: Path, *, python: str | None = None,
                      extras: Sequence[str] = ()) -> TargetEnv:
    """Create ``venv_dir`` and install ``wheel`` (with ``extras``) and its dependencies into it."""
    interpreter = python or sys.executable
    uv = find_uv()
    if uv is not None:
        _run([uv, "venv", "--quiet", "--no-project", "--python", interpreter, str(venv_dir)], "create the venv")
    else:  # pragma: no cover - uv is a dependency; this keeps mcheck usable where its binary is missing
        _run([sys.executable, "-m", "virtualenv", "--quiet", "--no-download", "--python", interpreter,
              str(venv_dir)], "create the venv")
    env = TargetEnv(path=venv_dir, python=_venv_python(venv_dir))
    requirement = f"{wheel}[{','.join(extras)}]" if extras else str(wheel)
    if uv is not None:
        _run([uv, "pip", "install", "--quiet", "--python", str(env.python), requirement], "install the wheel")
    else:  # pragma: no cover
        _run([str(env.python), "-m", "pip", "install", "--quiet", requirement], "install the wheel")
    return env


def _venv_python(venv_dir: Path) -> Path:
    if os.name == "nt":  # pragma: no cover
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def _run(cmd: list[str], what: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["UV_PYTHON_DOWNLOADS"] = "never"  # use the interpreter we were given, never fetch another one
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, check=False)
    if proc.returncode:
        output = (proc.stdout + proc.stderr).rstrip().splitlines()
        raise InstallFailed(f"could not {what}", "\n".join(output[-INSTALL_LOG_TAIL:]))
