"""Deploy files (Procfile, railway.toml/json, render.yaml, fly.toml, nixpacks.toml, Dockerfile, app.json)
and the start commands they name, as ``mcheck wheel``'s app discovery sees them.

:func:`read_start_commands` reads every deploy file of one service directory with
:mod:`mcheck.deploy.hostfiles` (the one reader of host file formats, shared with ``mcheck deploy``) and
returns one :class:`StartCommand` per command, parsed by :func:`mcheck.deploy.commands.parse_command`
(mcheck's one command-line parser, re-exported here) into the server (uvicorn, gunicorn, hypercorn,
granian, ``fastapi run``, ``python -m``/``python file.py``) and the app it serves. Malformed files raise
:class:`DeployFileError` (file and line), or are collected into ``errors`` when given. Nothing here
imports or runs project code.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mcheck.deploy.commands import SERVERS as ASGI_SERVERS
from mcheck.deploy.commands import ParsedCommand, make_start_command, parse_command
from mcheck.deploy.hostfiles import (
    HOST_FILE_NAMES,
    DeclaredStart,
    DeployFileError,
    health_path_from_url,
    read_host_file,
)
from mcheck.deploy.model import StartCommand
from mcheck.smallfiles import read_small_text

__all__ = [
    "ASGI_SERVERS",
    "DEPLOY_FILE_NAMES",
    "DeployFileError",
    "ParsedCommand",
    "StartCommand",
    "health_path_from_url",
    "make_start_command",
    "parse_command",
    "read_start_commands",
]

# Every host file, in the one order both commands apply them (hostfiles.HOST_FILE_NAMES).
DEPLOY_FILE_NAMES = HOST_FILE_NAMES


def read_start_commands(
    service_dir: Path, *, errors: list[DeployFileError] | None = None
) -> list[StartCommand]:
    """Every start command declared by the deploy files directly in ``service_dir``.

    A service-wide health path (railway ``healthcheckPath``, fly checks, a Dockerfile ``HEALTHCHECK``)
    is given to every command that has none of its own, because the host checks whichever command runs.
    Without ``errors`` the first malformed file raises :class:`DeployFileError`; with it, errors are
    appended and the other files are still read.
    """
    commands: list[StartCommand] = []
    service_health: str | None = None
    for name in DEPLOY_FILE_NAMES:
        path = service_dir / name
        if not path.is_file():
            continue
        try:
            services = read_host_file(name, _deploy_text(path, name))
            commands += [
                _start_command(name, d, service_dir) for s in services for d in s.start_commands
            ]
        except DeployFileError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        # A render.yaml service's health check is its own: the blueprint may describe other directories.
        service_health = service_health or next(
            (s.health_path for s in services if s.root_dir is None), None
        )
    return [c if c.health_path else replace(c, health_path=service_health) for c in commands]


def _start_command(source_file: str, declared: DeclaredStart, service_dir: Path) -> StartCommand:
    base = (
        service_dir / declared.cwd
        if declared.cwd and not declared.cwd.startswith("/")
        else service_dir
    )
    try:
        return make_start_command(
            source_file,
            declared.line,
            declared.command,
            declared.health_path,
            cwd=declared.cwd,
            process=declared.process,
            base_dir=base,
            strict=True,
        )
    except ValueError as exc:
        raise DeployFileError(
            source_file, declared.line, f"cannot split the command: {exc}"
        ) from None


def _deploy_text(path: Path, name: str) -> str:
    try:
        return read_small_text(path, errors="replace")
    except OSError as exc:
        raise DeployFileError(name, None, f"cannot read: {exc}") from None
