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

import posixpath
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from mcheck.deploy.commands import SERVERS as ASGI_SERVERS
from mcheck.deploy.commands import ParsedCommand, parse_command
from mcheck.deploy.hostfiles import DeclaredStart, DeployFileError, health_path_from_url, read_host_file

__all__ = ["ASGI_SERVERS", "DEPLOY_FILE_NAMES", "DeployFileError", "ParsedCommand", "StartCommand",
           "health_path_from_url", "parse_command", "read_start_commands"]

# The files read, in the order their commands are listed (and their health paths take precedence).
DEPLOY_FILE_NAMES = ("railway.toml", "railway.json", "render.yaml", "fly.toml", "nixpacks.toml", "Procfile",
                     "Dockerfile", "app.json")


@dataclass(frozen=True)
class StartCommand:
    """One start command of a service, as declared in one of its deploy files."""

    source_file: str  # relative to the service directory: "Procfile", "railway.toml"
    line: int | None  # 1-based line of the command in source_file
    argv: tuple[str, ...]
    server: str | None
    app_spec: str | None
    factory: bool = False
    health_path: str | None = None
    cwd: str | None = None  # where the command runs, relative to the service root (or absolute in a container)
    raw: str = ""  # the command as written
    process: str | None = None  # Procfile process type, render service name, fly process group
    asgi: bool = False
    module: str | None = None

    @property
    def location(self) -> str:
        return f"{self.source_file}:{self.line}" if self.line else self.source_file


def read_start_commands(service_dir: Path, *, errors: list[DeployFileError] | None = None) -> list[StartCommand]:
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
            services = read_host_file(name, path.read_text(encoding="utf-8", errors="replace"))
            commands += [_start_command(name, d, service_dir) for s in services for d in s.start_commands]
        except DeployFileError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        # A render.yaml service's health check is its own: the blueprint may describe other directories.
        service_health = service_health or next((s.health_path for s in services if s.root_dir is None), None)
    return [c if c.health_path else replace(c, health_path=service_health) for c in commands]


def _start_command(source_file: str, declared: DeclaredStart, service_dir: Path) -> StartCommand:
    base = service_dir / declared.cwd if declared.cwd and not declared.cwd.startswith("/") else service_dir
    try:
        parsed = parse_command(declared.command, base_dir=base)
    except ValueError as exc:
        raise DeployFileError(source_file, declared.line, f"cannot split the command: {exc}") from None
    raw = declared.command if isinstance(declared.command, str) else shlex.join(declared.command)
    return StartCommand(source_file=source_file, line=declared.line, argv=parsed.argv, server=parsed.server,
                        app_spec=parsed.app_spec, factory=parsed.factory, health_path=declared.health_path,
                        cwd=_join_cwd(declared.cwd, parsed.cwd), raw=raw, process=declared.process,
                        asgi=parsed.asgi, module=parsed.module)


def _join_cwd(outer: str | None, inner: str | None) -> str | None:
    """The command's directory under the file's (render ``rootDir``, Dockerfile ``WORKDIR``)."""
    if outer is None or inner is None or inner.startswith("/"):
        return inner or outer
    return posixpath.join(outer, inner)
