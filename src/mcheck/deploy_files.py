"""Deploy files (Procfile, railway.toml/json, render.yaml, fly.toml, nixpacks.toml, Dockerfile, app.json)
and the start commands they name.

:func:`read_start_commands` reads every deploy file of one service directory and returns one
:class:`StartCommand` per command, parsed by :func:`mcheck.deploy.commands.parse_command` (mcheck's one
command-line parser, re-exported here) into the server (uvicorn, gunicorn, hypercorn, granian,
``fastapi run``, ``python -m``/``python file.py``) and the app it serves. Malformed files raise
:class:`DeployFileError` (file and line), or are collected into ``errors`` when given. Nothing here
imports or runs project code.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from dockerfile_parse import DockerfileParser

from mcheck.deploy.commands import SERVERS as ASGI_SERVERS
from mcheck.deploy.commands import ParsedCommand, parse_command

__all__ = ["ASGI_SERVERS", "DEPLOY_FILE_NAMES", "DeployFileError", "ParsedCommand", "StartCommand",
           "health_path_from_url", "parse_command", "read_start_commands"]

_URL = re.compile(r"https?://[^\s'\"]+")


class DeployFileError(Exception):
    """A deploy file that cannot be parsed; ``line`` is 1-based, None when the parser does not say."""

    def __init__(self, source_file: str, line: int | None, message: str) -> None:
        super().__init__(f"{source_file}:{line}: {message}" if line else f"{source_file}: {message}")
        self.source_file = source_file
        self.line = line
        self.message = message


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


def _join_cwd(outer: str | None, inner: str | None) -> str | None:
    """The command's directory under the file's (render ``rootDir``, Dockerfile ``WORKDIR``)."""
    if outer is None or inner is None or inner.startswith("/"):
        return inner or outer
    return posixpath.join(outer, inner)


def health_path_from_url(text: str) -> str | None:
    """The path of the first ``http(s)://`` URL in ``text`` (a Dockerfile ``HEALTHCHECK CMD curl ...``)."""
    match = _URL.search(text)
    return (urlparse(match.group(0)).path or "/") if match else None


# --- reading deploy files -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Declared:
    """A command as found in a file, before parsing."""

    command: str | list[str]
    line: int | None
    health: str | None = None
    cwd: str | None = None
    process: str | None = None


_Reader = Callable[[Path, str], tuple[list[_Declared], str | None]]


def read_start_commands(service_dir: Path, *, errors: list[DeployFileError] | None = None) -> list[StartCommand]:
    """Every start command declared by the deploy files directly in ``service_dir``.

    A service-wide health path (railway ``healthcheckPath``, fly checks, a Dockerfile ``HEALTHCHECK``)
    is given to every command that has none of its own, because the host checks whichever command runs.
    Without ``errors`` the first malformed file raises :class:`DeployFileError`; with it, errors are
    appended and the other files are still read.
    """
    commands: list[StartCommand] = []
    service_health: str | None = None
    for name, reader in _READERS:
        path = service_dir / name
        if not path.is_file():
            continue
        try:
            declared, health = reader(path, path.read_text(encoding="utf-8", errors="replace"))
            commands += [_start_command(name, d, service_dir) for d in declared]
        except DeployFileError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        service_health = service_health or health
    return [c if c.health_path else replace(c, health_path=service_health) for c in commands]


def _start_command(source_file: str, declared: _Declared, service_dir: Path) -> StartCommand:
    base = service_dir / declared.cwd if declared.cwd and not declared.cwd.startswith("/") else service_dir
    try:
        parsed = parse_command(declared.command, base_dir=base)
    except ValueError as exc:
        raise DeployFileError(source_file, declared.line, f"cannot split the command: {exc}") from None
    raw = declared.command if isinstance(declared.command, str) else shlex.join(declared.command)
    return StartCommand(source_file=source_file, line=declared.line, argv=parsed.argv, server=parsed.server,
                        app_spec=parsed.app_spec, factory=parsed.factory, health_path=declared.health,
                        cwd=_join_cwd(declared.cwd, parsed.cwd), raw=raw, process=declared.process,
                        asgi=parsed.asgi, module=parsed.module)


def _read_procfile(path: Path, text: str) -> tuple[list[_Declared], str | None]:
    declared = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.match(r"^([A-Za-z0-9_-]+)\s*:\s*(.*\S)\s*$", line)
        if match is None:
            raise DeployFileError(path.name, number, "expected `process: command`")
        declared.append(_Declared(match.group(2), number, process=match.group(1)))
    return declared, None


def _read_railway(path: Path, text: str) -> tuple[list[_Declared], str | None]:
    data = _load_toml(path, text) if path.suffix == ".toml" else _load_json(path, text)
    deploy = _table(data.get("deploy"), path, "deploy")
    health = deploy.get("healthcheckPath")
    command = deploy.get("startCommand")
    declared = [_Declared(command, _line_of(text, "startCommand"), health=health)] if command else []
    return declared, health


def _read_render(path: Path, text: str) -> tuple[list[_Declared], str | None]:
    data = _load_yaml(path, text)
    declared = []
    for service in data.get("services") or []:
        if not isinstance(service, dict):
            continue
        command = service.get("startCommand") or service.get("dockerCommand")
        if isinstance(command, str) and command.strip():
            declared.append(_Declared(command, _line_of(text, command.strip().splitlines()[0]),
                                      health=service.get("healthCheckPath"), cwd=service.get("rootDir"),
                                      process=service.get("name")))
    return declared, None


def _read_fly(path: Path, text: str) -> tuple[list[_Declared], str | None]:
    data = _load_toml(path, text)
    declared = []
    for name, command in _table(data.get("processes"), path, "processes").items():
        line = _line_of(text, command) if isinstance(command, str) else None
        declared.append(_Declared(command, line or _line_of(text, f"{name} ="), process=str(name)))
    cmd = _table(data.get("experimental"), path, "experimental").get("cmd")
    if cmd:
        declared.append(_Declared(cmd, _line_of(text, "cmd")))
    return declared, _fly_health(data)


def _fly_health(data: dict[str, Any]) -> str | None:
    services = data.get("http_service")
    candidates = [services] if isinstance(services, dict) else list(services or [])
    checks = [c for s in candidates if isinstance(s, dict) for c in s.get("checks") or []]
    checks += [c for s in data.get("services") or [] if isinstance(s, dict) for c in s.get("http_checks") or []]
    checks += [c for c in (data.get("checks") or {}).values() if isinstance(c, dict) and c.get("type") == "http"]
    return next((c["path"] for c in checks if isinstance(c, dict) and isinstance(c.get("path"), str)), None)


def _read_nixpacks(path: Path, text: str) -> tuple[list[_Declared], str | None]:
    command = _table(_load_toml(path, text).get("start"), path, "start").get("cmd")
    return ([_Declared(command, _line_of(text, "cmd"))] if command else []), None


def _read_app_json(path: Path, text: str) -> tuple[list[_Declared], str | None]:
    scripts = _table(_load_json(path, text).get("scripts"), path, "scripts")
    return [_Declared(c, _line_of(text, c), process=n) for n, c in scripts.items() if isinstance(c, str)], None


def _read_dockerfile(path: Path, text: str) -> tuple[list[_Declared], str | None]:
    """The last stage's ENTRYPOINT + CMD (exec or shell form), WORKDIR and HEALTHCHECK URL."""
    try:
        structure = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False).structure
    except Exception as exc:  # dockerfile-parse raises plain exceptions for malformed input
        raise DeployFileError(path.name, None, str(exc)) from None
    last_from = max((i for i, s in enumerate(structure) if s["instruction"] == "FROM"), default=-1)
    stage = structure[last_from + 1:]
    found: dict[str, tuple[list[str] | str, int]] = {}
    workdir: str | None = None
    health: str | None = None
    for item in stage:
        instruction, value, line = item["instruction"], item["value"], item["startline"] + 1
        if instruction in ("CMD", "ENTRYPOINT"):
            found[instruction] = (_docker_argv(value, path.name, line), line)
        elif instruction == "WORKDIR":
            workdir = value if value.startswith("/") or workdir is None else f"{workdir}/{value}"
        elif instruction == "HEALTHCHECK":
            health = health_path_from_url(value)
    if not found:
        return [], health
    command, line = _combine_entrypoint(found)
    return [_Declared(command, line, health=health, cwd=workdir)], health


def _docker_argv(value: str, source_file: str, line: int) -> list[str] | str:
    """Exec form (a JSON array) as a list; shell form as the string ``/bin/sh -c`` would run."""
    if value.lstrip().startswith("["):
        try:
            argv = json.loads(value)
        except json.JSONDecodeError as exc:
            raise DeployFileError(source_file, line, f"exec form is not a JSON array of strings: {exc}") from None
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise DeployFileError(source_file, line, "exec form is not a JSON array of strings")
        return argv
    return value


def _combine_entrypoint(found: dict[str, tuple[list[str] | str, int]]) -> tuple[list[str] | str, int]:
    """Docker's rule: an exec-form ENTRYPOINT gets CMD appended as arguments; otherwise the one present wins."""
    if "ENTRYPOINT" not in found:
        return found["CMD"]
    entrypoint, line = found["ENTRYPOINT"]
    cmd = found.get("CMD", ([], line))[0]
    if isinstance(entrypoint, list) and isinstance(cmd, list):
        return [*entrypoint, *cmd], line
    return entrypoint, line


_READERS: tuple[tuple[str, _Reader], ...] = (
    ("railway.toml", _read_railway),
    ("railway.json", _read_railway),
    ("render.yaml", _read_render),
    ("fly.toml", _read_fly),
    ("nixpacks.toml", _read_nixpacks),
    ("Procfile", _read_procfile),
    ("Dockerfile", _read_dockerfile),
    ("app.json", _read_app_json),
)
DEPLOY_FILE_NAMES = tuple(name for name, _ in _READERS)


# --- parser helpers with file:line errors ---------------------------------------------------------


def _load_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise DeployFileError(path.name, int(match.group(1)) if match else None, str(exc)) from None


def _load_json(path: Path, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeployFileError(path.name, exc.lineno, exc.msg) from None
    if not isinstance(data, dict):
        raise DeployFileError(path.name, 1, "expected a JSON object")
    return data


def _load_yaml(path: Path, text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DeployFileError(path.name, mark.line + 1 if mark else None,
                              str(getattr(exc, "problem", None) or exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DeployFileError(path.name, 1, "expected a mapping at the top level")
    return data


def _table(value: object, path: Path, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DeployFileError(path.name, None, f"`{name}` should be a table/object, not {type(value).__name__}")
    return value


def _line_of(text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of ``needle``: the parsers used here do not keep positions."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None
