"""Deploy files (Procfile, railway.toml/json, render.yaml, fly.toml, nixpacks.toml, Dockerfile, app.json)
and the start commands they name.

:func:`read_start_commands` reads every deploy file of one service directory and returns one
:class:`StartCommand` per command, parsed by :func:`parse_command` into the server (uvicorn, gunicorn,
hypercorn, granian, ``fastapi run``, ``python -m``/``python file.py``) and the app it serves. Malformed
files raise :class:`DeployFileError` (file and line), or are collected into ``errors`` when given.
Nothing here imports or runs project code.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import yaml
from dockerfile_parse import DockerfileParser

ASGI_SERVERS = ("uvicorn", "gunicorn", "hypercorn", "granian", "fastapi")
# Options that take a value, per server: needed to tell the app argument from an option's value.
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "uvicorn": frozenset({
        "--host", "--port", "--uds", "--fd", "--loop", "--http", "--ws", "--ws-max-size", "--ws-max-queue",
        "--ws-ping-interval", "--ws-ping-timeout", "--ws-per-message-deflate", "--lifespan", "--interface",
        "--env-file", "--log-config", "--log-level", "--root-path", "--limit-concurrency", "--backlog",
        "--limit-max-requests", "--timeout-keep-alive", "--timeout-graceful-shutdown", "--ssl-keyfile",
        "--ssl-certfile", "--ssl-keyfile-password", "--ssl-version", "--ssl-cert-reqs", "--ssl-ca-certs",
        "--ssl-ciphers", "--header", "--forwarded-allow-ips", "--app-dir", "--reload-dir", "--reload-include",
        "--reload-exclude", "--reload-delay", "--workers", "--h11-max-incomplete-event-size"}),
    "gunicorn": frozenset({
        "-b", "--bind", "-w", "--workers", "-k", "--worker-class", "-t", "--timeout", "-c", "--config",
        "--chdir", "--log-level", "--access-logfile", "--error-logfile", "--log-file", "--threads",
        "--graceful-timeout", "--keep-alive", "--max-requests", "--max-requests-jitter", "-e", "--env",
        "--pythonpath", "-n", "--name", "--forwarded-allow-ips", "--log-config", "--worker-connections",
        "--backlog", "-u", "--user", "-g", "--group", "-m", "--umask", "--access-logformat",
        "--worker-tmp-dir", "-p", "--pid", "--certfile", "--keyfile", "--limit-request-line"}),
    "hypercorn": frozenset({
        "-b", "--bind", "-w", "--workers", "-k", "--worker-class", "-c", "--config", "--root-path",
        "--access-logfile", "--error-logfile", "--log-level", "--log-config", "--access-logformat", "--backlog",
        "--graceful-timeout", "--keep-alive", "--certfile", "--keyfile", "--ca-certs", "--ciphers",
        "--insecure-bind", "--quic-bind", "--server-name", "-p", "--pid", "-m", "--umask", "-g", "--group",
        "-u", "--user", "--read-timeout", "--max-requests", "--max-requests-jitter"}),
    "granian": frozenset({
        "--host", "--port", "--interface", "--workers", "--threads", "--blocking-threads", "--runtime-threads",
        "--runtime-mode", "--loop", "--task-impl", "--http", "--ws", "--backlog", "--backpressure",
        "--log-level", "--log-config", "--ssl-keyfile", "--ssl-certificate", "--url-path-prefix",
        "--respawn-interval", "--workers-lifetime", "--reload-paths", "--reload-ignore-dirs",
        "--reload-ignore-patterns", "--pid-file", "--working-dir", "--env-files", "--process-name"}),
    "fastapi": frozenset({"--host", "--port", "--app", "--entrypoint", "-e", "--root-path", "--workers",
                          "--forwarded-allow-ips", "--proxy-headers"}),
}
# Options that change the directory the app is imported from.
_CWD_OPTIONS = frozenset({"--chdir", "--working-dir", "--app-dir"})
# Commands that run the rest of their argv: (tokens to match, option that takes a value).
_WRAPPERS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("exec",), frozenset()),
    (("nohup",), frozenset()),
    (("env",), frozenset({"-u", "-C"})),
    (("uv", "run"), frozenset({"--with", "--python", "-p", "--extra", "--group", "--project", "--directory",
                               "--package", "--env-file", "--with-requirements", "--index"})),
    (("poetry", "run"), frozenset()),
    (("pipenv", "run"), frozenset()),
    (("pdm", "run"), frozenset()),
    (("hatch", "run"), frozenset()),
    (("rye", "run"), frozenset()),
    (("opentelemetry-instrument",), frozenset()),
    (("ddtrace-run",), frozenset()),
    (("newrelic-admin", "run-program"), frozenset()),
    (("doppler", "run"), frozenset()),
    (("dotenv", "run"), frozenset()),
)
_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env sh", "dash", "zsh"})
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"^(?:.*/)?python(?:\d+(?:\.\d+)?)?$")
_APP_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*(?P<call>\(\))?)?$")
_PYTHON_VALUE_OPTIONS = frozenset({"-X", "-W", "-c"})
_URL = re.compile(r"https?://[^\s'\"]+")


class DeployFileError(Exception):
    """A deploy file that cannot be parsed; ``line`` is 1-based, None when the parser does not say."""

    def __init__(self, source_file: str, line: int | None, message: str) -> None:
        super().__init__(f"{source_file}:{line}: {message}" if line else f"{source_file}: {message}")
        self.source_file = source_file
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ParsedCommand:
    """What a start command runs, independent of where it was written."""

    argv: tuple[str, ...]  # the server's argv, after `cd x &&`, env assignments and wrappers
    server: str | None  # uvicorn|gunicorn|hypercorn|granian|fastapi|python-module|python-script|None
    app_spec: str | None = None  # "pkg.app.main:app" (``()`` removed; see ``factory``)
    factory: bool = False
    asgi: bool = False  # the server talks ASGI to ``app_spec``
    module: str | None = None  # the module run: app_spec's module, ``python -m X``'s X, a script's dotted path
    cwd: str | None = None  # from `cd dir && ...`, ``--chdir``, ``--app-dir``, ``--working-dir``


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


# --- parsing one command ----------------------------------------------------------------------------


def parse_command(command: str | Sequence[str], *, base_dir: Path | None = None) -> ParsedCommand:
    """Parse a shell command line (``cd app && uvicorn main:app``) or an exec-form argv.

    Raises ``ValueError`` for unbalanced quotes. ``base_dir`` (the service root) lets ``fastapi run
    path.py`` and ``python path.py`` map a file to its importable module by walking up ``__init__.py`` files.
    """
    segments = _segments(command)
    cwd: str | None = None
    fallback: ParsedCommand | None = None
    for segment in segments:
        argv = _strip_wrappers(segment)
        if not argv:
            continue
        if argv[0] == "cd" and len(argv) > 1:
            cwd = argv[1] if cwd is None or argv[1].startswith("/") else f"{cwd}/{argv[1]}"
            continue
        if argv[0] in _SHELLS and len(argv) > 2 and argv[1] == "-c":
            return parse_command(argv[2], base_dir=base_dir)
        parsed = _parse_argv(argv, base_dir / cwd if base_dir and cwd else base_dir)
        parsed = replace(parsed, cwd=_join_cwd(cwd, parsed.cwd))
        if parsed.server is not None:
            return parsed
        fallback = parsed
    return fallback or ParsedCommand(argv=(), server=None, cwd=cwd)


def _segments(command: str | Sequence[str]) -> list[list[str]]:
    if not isinstance(command, str):
        return [list(command)]
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    segments: list[list[str]] = [[]]
    for token in lexer:
        if token in _SEPARATORS:
            segments.append([])
        else:
            segments[-1].append(token)
    return [s for s in segments if s]


def _strip_wrappers(argv: list[str]) -> list[str]:
    changed = True
    while changed and argv:
        changed = False
        while argv and _ASSIGNMENT.match(argv[0]):
            argv, changed = argv[1:], True
        for tokens, value_options in _WRAPPERS:
            if tuple(argv[: len(tokens)]) == tokens:
                argv, changed = _skip_options(argv[len(tokens):], value_options), True
                break
    return argv


def _skip_options(argv: list[str], value_options: frozenset[str]) -> list[str]:
    i = 0
    while i < len(argv) and (argv[i].startswith("-") or _ASSIGNMENT.match(argv[i])):
        if argv[i] == "--":
            return argv[i + 1:]
        i += 2 if argv[i] in value_options else 1
    return argv[i:]


def _parse_argv(argv: list[str], base_dir: Path | None) -> ParsedCommand:
    program = PurePosixPath(argv[0]).name
    if _PYTHON.match(argv[0]):
        return _parse_python(argv, base_dir)
    if program in ASGI_SERVERS:
        return _parse_server(program, argv, base_dir)
    return ParsedCommand(argv=tuple(argv), server=None)


def _parse_python(argv: list[str], base_dir: Path | None) -> ParsedCommand:
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-m":
        i += 2 if argv[i] in _PYTHON_VALUE_OPTIONS else 1
    if i + 1 < len(argv) and argv[i] == "-m":
        module = argv[i + 1]
        if module in ASGI_SERVERS or module == "fastapi_cli":
            server = "fastapi" if module == "fastapi_cli" else module
            return replace(_parse_server(server, [server, *argv[i + 2:]], base_dir), argv=tuple(argv))
        return ParsedCommand(argv=tuple(argv), server="python-module", module=module)
    if i < len(argv) and argv[i].endswith(".py"):
        return ParsedCommand(argv=tuple(argv), server="python-script", module=_module_for_path(argv[i], base_dir))
    return ParsedCommand(argv=tuple(argv), server=None)


def _parse_server(server: str, argv: list[str], base_dir: Path | None) -> ParsedCommand:
    options, positionals, flags = _split_options(argv[1:], _VALUE_OPTIONS[server])
    cwd = next((options[o] for o in _CWD_OPTIONS if o in options), None)
    if server == "fastapi":
        return _parse_fastapi(argv, options, positionals, base_dir, cwd)
    reference = next((p for p in positionals if _APP_REFERENCE.match(p)), None)
    spec, factory = _split_reference(reference, server)
    factory = factory or "--factory" in flags
    worker = options.get("-k") or options.get("--worker-class") or ""
    interface = options.get("--interface", "")
    asgi = {
        "uvicorn": interface not in ("wsgi", "asgi2"),
        "gunicorn": "uvicorn" in worker.lower(),  # gunicorn itself speaks WSGI
        "hypercorn": True,
        "granian": interface in ("asgi", "asginl"),  # granian's default interface is RSGI
    }[server]
    return ParsedCommand(argv=tuple(argv), server=server, app_spec=spec, factory=factory,
                         asgi=asgi and spec is not None, module=spec.partition(":")[0] if spec else None, cwd=cwd)


def _split_options(args: list[str], value_options: frozenset[str]) -> tuple[dict[str, str], list[str], set[str]]:
    options: dict[str, str] = {}
    positionals: list[str] = []
    flags: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and "=" in arg:
            key, _, value = arg.partition("=")
            options[key] = value
        elif arg in value_options and i + 1 < len(args):
            options[arg] = args[i + 1]
            i += 1
        elif arg.startswith("-"):
            flags.add(arg)
        else:
            positionals.append(arg)
        i += 1
    return options, positionals, flags


def _split_reference(reference: str | None, server: str) -> tuple[str | None, bool]:
    """``pkg.app:create_app()`` -> (``pkg.app:create_app``, True); a bare module gets the server's default."""
    if reference is None:
        return None, False
    factory = reference.endswith("()")
    reference = reference.removesuffix("()")
    if ":" not in reference and server in ("gunicorn", "hypercorn"):
        reference += ":application" if server == "gunicorn" else ":app"
    return reference, factory


def _parse_fastapi(argv: list[str], options: dict[str, str], positionals: list[str], base_dir: Path | None,
                   cwd: str | None) -> ParsedCommand:
    """``fastapi run [path] [--app NAME] [--entrypoint mod:attr]``; the path defaults to main.py/app/main.py."""
    entrypoint = options.get("--entrypoint") or options.get("-e")
    if entrypoint:
        return ParsedCommand(argv=tuple(argv), server="fastapi", app_spec=entrypoint, asgi=True,
                             module=entrypoint.partition(":")[0], cwd=cwd)
    paths = [p for p in positionals if p not in ("run", "dev")]
    path = paths[0] if paths else _default_fastapi_path(base_dir)
    module = _module_for_path(path, base_dir)
    attribute = options.get("--app", "app")
    spec = f"{module}:{attribute}" if module else None
    return ParsedCommand(argv=tuple(argv), server="fastapi", app_spec=spec, asgi=spec is not None, module=module,
                         cwd=cwd)


def _default_fastapi_path(base_dir: Path | None) -> str:
    for candidate in ("main.py", "app/main.py", "api/main.py", "app.py", "api.py"):
        if base_dir is not None and (base_dir / candidate).is_file():
            return candidate
    return "main.py"


def _module_for_path(path: str, base_dir: Path | None) -> str | None:
    """``app/main.py`` -> ``app.main`` when ``app/`` is a package, else ``main`` (its directory on sys.path)."""
    pure = PurePosixPath(path)
    if pure.suffix != ".py":
        return None
    parts = [pure.stem] if pure.stem != "__init__" else []
    parent = pure.parent
    while base_dir is not None and parent.name and (base_dir / parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    if base_dir is None:  # nothing to walk: the path as written is the best guess
        parts = [*[p for p in pure.parent.parts if p not in (".", "/")], pure.stem]
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _join_cwd(outer: str | None, inner: str | None) -> str | None:
    if outer is None or inner is None or inner.startswith("/"):
        return inner or outer
    return f"{outer}/{inner}"


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
