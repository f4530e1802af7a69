"""The one reader of the files hosts take build and start settings from.

Procfile, railway.toml/json, railpack.json, nixpacks.toml, render.yaml, fly.toml, app.json and a
Dockerfile's start command: this module knows each format's keys, nesting, health-check settings and
root directories, and turns a file into :class:`HostService` records. It applies no policy: which
commands count, how health paths combine and which builder wins are decided by the two consumers,
``mcheck wheel``'s app discovery (:mod:`mcheck.deploy.start_commands`) and ``mcheck deploy``
(:mod:`mcheck.deploy.configs`). A file that does not parse, or has a table of the wrong type, raises
:class:`DeployFileError` with its line. Nothing here imports or runs project code.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

import yaml

from mcheck.deploy.dockerfile import MalformedInstruction, final_start

__all__ = [
    "HOST_FILE_NAMES",
    "DeclaredBuild",
    "DeclaredStart",
    "DeployFileError",
    "HostService",
    "health_path_from_url",
    "read_host_file",
]

_URL = re.compile(r"https?://[^\s'\"]+")
_PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.*\S)\s*$")
_TOML_ERROR_LINE = re.compile(r"line (\d+)")

# "start": the host's start command; "docker": replaces the CMD of the image, if the service is built
# from a Dockerfile (fly processes); "release": Procfile ``release`` (runs once per deploy, not the
# service); "script": an app.json script (postdeploy and the like).
StartKind = Literal["start", "docker", "release", "script"]


class DeployFileError(Exception):
    """A deploy file that cannot be parsed; ``line`` is 1-based, None when the parser does not say."""

    def __init__(self, source_file: str, line: int | None, message: str) -> None:
        super().__init__(
            f"{source_file}:{line}: {message}" if line else f"{source_file}: {message}"
        )
        self.source_file = source_file
        self.line = line
        self.message = message


@dataclass(frozen=True)
class DeclaredStart:
    """A start command as written in a file, before it is parsed."""

    command: str | list[str]
    line: int | None
    kind: StartKind = "start"
    health_path: str | None = None  # the health check the file attaches to this command
    cwd: str | None = None  # render ``rootDir``, Dockerfile ``WORKDIR``
    process: str | None = (
        None  # Procfile process type, render service name, fly process group, app.json script
    )


@dataclass(frozen=True)
class DeclaredBuild:
    """A shell command of the build (``buildCommand``, a nixpacks phase, a railpack step)."""

    command: str
    line: int | None


@dataclass
class HostService:
    """What one file says about one service (render.yaml may describe several, every other file one)."""

    root_dir: str | None = (
        None  # render ``rootDir`` ("" when absent); None: the file's own directory
    )
    builder: str | None = None  # "dockerfile", "nixpacks", a render runtime, ...
    builder_explicit: bool = (
        True  # False when it is only the host's default (fly builds with Docker)
    )
    dockerfile: str | None = None  # as written, relative to the service directory
    docker_context: str | None = None  # as written, relative to the service directory
    health_path: str | None = None
    start_commands: list[DeclaredStart] = field(default_factory=list)
    build_commands: list[DeclaredBuild] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def health_path_from_url(text: str) -> str | None:
    """The path of the first ``http(s)://`` URL in ``text`` (a Dockerfile ``HEALTHCHECK CMD curl ...``)."""
    match = _URL.search(text)
    return (urlparse(match.group(0)).path or "/") if match else None


def read_host_file(name: str, text: str, source: str | None = None) -> list[HostService]:
    """The services file ``name`` (a :data:`HOST_FILE_NAMES` entry) describes; errors name ``source``."""
    return _READERS[name](text, source or name)


# --- Railway ----------------------------------------------------------------------------------------------


def _read_railway_toml(text: str, source: str) -> list[HostService]:
    return [_railway(_load_toml(text, source), source, lambda key: _toml_key_line(text, key))]


def _read_railway_json(text: str, source: str) -> list[HostService]:
    return [_railway(_load_json(text, source), source, lambda key: _json_key_line(text, key))]


def _railway(
    data: dict[str, Any], source: str, line_of: Callable[[str], int | None]
) -> HostService:
    build, deploy = _table(data, "build", source), _table(data, "deploy", source)
    service = HostService(builder=str(build.get("builder", "")).lower() or None)
    if isinstance(
        build.get("dockerfilePath"), str
    ):  # naming a Dockerfile selects the Docker builder
        service.builder, service.dockerfile = "dockerfile", build["dockerfilePath"]
    _add_build(service, build.get("buildCommand"), line_of("buildCommand"))
    service.health_path = _string(deploy.get("healthcheckPath"))
    _add_start(
        service,
        DeclaredStart(
            deploy.get("startCommand"), line_of("startCommand"), health_path=service.health_path
        ),
    )
    return service


# --- Render -----------------------------------------------------------------------------------------------


def _read_render(text: str, source: str) -> list[HostService]:
    root, data = _load_yaml(text, source)  # the node tree keeps the lines the data drops
    if data is not None and not isinstance(data, dict):
        raise DeployFileError(source, 1, "expected a mapping at the top level")
    services = (data or {}).get("services")
    if not isinstance(services, list):
        return []
    return [
        _render_service(entry, _render_key_lines(root, index))
        for index, entry in enumerate(services)
        if isinstance(entry, dict)
    ]


def _render_service(entry: dict[str, Any], lines: dict[str, int]) -> HostService:
    runtime = str(
        entry.get("runtime") or entry.get("env") or ""
    )  # `env` is the older name of `runtime`
    service = HostService(
        root_dir=str(entry.get("rootDir", "")),
        builder=runtime or None,
        health_path=_string(entry.get("healthCheckPath")),
    )
    if runtime == "docker":
        service.builder = "dockerfile"
        service.dockerfile = str(entry.get("dockerfilePath", "Dockerfile"))
        service.docker_context = str(entry.get("dockerContext", "."))
    _add_build(service, entry.get("buildCommand"), lines.get("buildCommand"))
    # Render runs `dockerCommand` (else the image's CMD) for a Docker service, `startCommand` for the others.
    key = "dockerCommand" if runtime == "docker" else "startCommand"
    _add_start(
        service,
        DeclaredStart(
            entry.get(key),
            lines.get(key),
            health_path=service.health_path,
            cwd=_string(entry.get("rootDir")),
            process=_string(entry.get("name")),
        ),
    )
    for var in entry.get("envVars") or []:
        if (
            isinstance(var, dict)
            and isinstance(var.get("key"), str)
            and isinstance(var.get("value"), str)
        ):
            service.env[var["key"]] = var["value"]
    return service


def _render_key_lines(root: yaml.Node | None, index: int) -> dict[str, int]:
    """Line of every key of ``services[index]`` in a composed render.yaml."""
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if (
            key.value == "services"
            and isinstance(value, yaml.SequenceNode)
            and index < len(value.value)
        ):
            service = value.value[index]
            if isinstance(service, yaml.MappingNode):
                return {k.value: k.start_mark.line + 1 for k, _ in service.value}
    return {}


# --- Docker Compose ---------------------------------------------------------------------------------------

COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def _read_compose(text: str, source: str) -> list[HostService]:
    """Every service that compose builds from a Dockerfile: its context (``root_dir``, relative to the
    compose file's directory), Dockerfile, ``command`` (which replaces the image's CMD), environment.
    Services that only pull an ``image`` are not the repository's to check."""
    root, data = _load_yaml(text, source)
    if data is not None and not isinstance(data, dict):
        raise DeployFileError(source, 1, "expected a mapping at the top level")
    services = (data or {}).get("services")
    if not isinstance(services, dict):
        return []
    lines = _compose_key_lines(root)
    return [
        service
        for name, entry in services.items()
        if isinstance(entry, dict)
        and (service := _compose_service(str(name), entry, lines.get(str(name), {}), source))
    ]


def _compose_service(
    name: str, entry: dict[str, Any], lines: dict[str, int], source: str
) -> HostService | None:
    build = entry.get("build")
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        return None
    context = str(build.get("context", "."))
    service = HostService(
        root_dir=context,
        builder="dockerfile",
        docker_context=".",
        dockerfile=str(build.get("dockerfile", "Dockerfile")),
    )
    environment = entry.get("environment")
    if isinstance(environment, list):
        environment = dict(
            item.split("=", 1) for item in environment if isinstance(item, str) and "=" in item
        )
    if isinstance(environment, dict):
        service.env.update({str(k): str(v) for k, v in environment.items() if v is not None})
    service.health_path = _compose_health_path(entry.get("healthcheck"))
    start, line = _compose_start(entry, lines, source)
    if start:
        _add_start(
            service,
            DeclaredStart(
                start,
                line,
                health_path=service.health_path,
                cwd=_string(entry.get("working_dir")),
                process=name,
            ),
        )
    return service


def _compose_start(
    entry: dict[str, Any], lines: dict[str, int], source: str
) -> tuple[str | list[str], int | None]:
    """What the container runs: ``entrypoint`` (which replaces the image's ENTRYPOINT and, given
    alone, its CMD too) followed by ``command``; ``command`` alone replaces the CMD."""
    command, entrypoint = entry.get("command"), entry.get("entrypoint")
    for key, value in (("command", command), ("entrypoint", entrypoint)):
        if isinstance(value, list) and not all(isinstance(w, str | int | float) for w in value):
            raise DeployFileError(
                source, lines.get(key), f"{key} must be a string or a list of strings"
            )
    command = command if isinstance(command, str | list) and command else None
    entrypoint = entrypoint if isinstance(entrypoint, str | list) and entrypoint else None
    if entrypoint is None:
        return (command or ""), lines.get("command")
    if command is None:
        return entrypoint, lines.get("entrypoint")
    as_list = [entrypoint] if isinstance(entrypoint, str) else list(entrypoint)
    rest = [command] if isinstance(command, str) else list(command)
    words = (
        " ".join(str(w) for w in [*as_list, *rest])
        if isinstance(entrypoint, str)
        else [*map(str, as_list), *map(str, rest)]
    )
    return words, lines.get("entrypoint")


def _compose_health_path(healthcheck: object) -> str | None:
    """The path a compose ``healthcheck.test`` requests (``["CMD", "curl", "-f", "http://..."]``)."""
    if not isinstance(healthcheck, dict):
        return None
    test = healthcheck.get("test")
    text = " ".join(map(str, test)) if isinstance(test, list) else str(test or "")
    return health_path_from_url(text)


def _compose_key_lines(root: yaml.Node | None) -> dict[str, dict[str, int]]:
    """Line of every key of every service in a composed compose file."""
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "services" and isinstance(value, yaml.MappingNode):
            return {
                k.value: {kk.value: kk.start_mark.line + 1 for kk, _ in v.value}
                for k, v in value.value
                if isinstance(v, yaml.MappingNode)
            }
    return {}


# --- Fly.io -----------------------------------------------------------------------------------------------


def _read_fly(text: str, source: str) -> list[HostService]:
    data = _load_toml(text, source)
    build = _table(data, "build", source)
    service = HostService(
        health_path=_fly_health(data), dockerfile=_string(build.get("dockerfile"))
    )
    if not build.get("builder") and not build.get(
        "buildpacks"
    ):  # Fly builds with Docker unless told otherwise
        service.builder, service.builder_explicit = "dockerfile", False
    for name, command in _table(data, "processes", source).items():
        _add_start(
            service,
            DeclaredStart(
                command, _toml_key_line(text, name, "processes"), "docker", process=str(name)
            ),
        )
    cmd = _table(data, "experimental", source).get("cmd")
    _add_start(service, DeclaredStart(cmd, _toml_key_line(text, "cmd", "experimental"), "docker"))
    return [service]


def _fly_health(data: dict[str, Any]) -> str | None:
    """The first HTTP check's path: ``[[http_service.checks]]``, ``[[services.http_checks]]``, ``[checks.x]``."""
    http_service = data.get("http_service")
    candidates = [http_service] if isinstance(http_service, dict) else list(http_service or [])
    checks = [c for s in candidates if isinstance(s, dict) for c in s.get("checks") or []]
    checks += [
        c
        for s in data.get("services") or []
        if isinstance(s, dict)
        for c in s.get("http_checks") or []
    ]
    checks += [
        c
        for c in (data.get("checks") or {}).values()
        if isinstance(c, dict) and c.get("type") == "http"
    ]
    return next(
        (c["path"] for c in checks if isinstance(c, dict) and isinstance(c.get("path"), str)), None
    )


# --- Nixpacks, Railpack, Heroku ---------------------------------------------------------------------------


def _read_nixpacks(text: str, source: str) -> list[HostService]:
    data = _load_toml(text, source)
    service = HostService()
    for phase, table in _table(data, "phases", source).items():
        for command in (table.get("cmds") or []) if isinstance(table, dict) else []:
            _add_build(service, command, _toml_key_line(text, "cmds", f"phases.{phase}"))
    service.env = {key: str(value) for key, value in _table(data, "variables", source).items()}
    _add_start(
        service,
        DeclaredStart(
            _table(data, "start", source).get("cmd"), _toml_key_line(text, "cmd", "start")
        ),
    )
    return [service]


def _read_railpack(text: str, source: str) -> list[HostService]:
    data = _load_json(text, source)
    service = HostService()
    for step in _table(data, "steps", source).values():
        for command in (step.get("commands") or []) if isinstance(step, dict) else []:
            _add_build(service, command, _json_key_line(text, "commands"))
    deploy = _table(data, "deploy", source)
    service.env = {key: str(value) for key, value in _table(deploy, "variables", source).items()}
    _add_start(
        service, DeclaredStart(deploy.get("startCommand"), _json_key_line(text, "startCommand"))
    )
    return [service]


def _read_app_json(text: str, source: str) -> list[HostService]:
    data = _load_json(text, source)
    service = HostService()
    for name, command in _table(data, "scripts", source).items():
        if isinstance(command, str):
            _add_start(
                service,
                DeclaredStart(command, _line_containing(text, command), "script", process=name),
            )
    # Heroku's env entries are mostly descriptions and generators for review apps; only a PYTHONPATH
    # value changes where the service's Python looks.
    value = _table(data, "env", source).get("PYTHONPATH")
    value = value.get("value") if isinstance(value, dict) else value
    if isinstance(value, str):
        service.env["PYTHONPATH"] = value
    return [service]


def _read_procfile(text: str, source: str) -> list[HostService]:
    service = HostService()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PROCFILE_LINE.match(line)
        if match is None:
            raise DeployFileError(source, number, "expected `process: command`")
        process, command = match.groups()
        _add_start(
            service,
            DeclaredStart(
                command, number, "release" if process == "release" else "start", process=process
            ),
        )
    return [service]


# --- Dockerfile (its start command; mcheck.deploy.dockerfile replays the filesystem) ----------------------


def _read_dockerfile(text: str, source: str) -> list[HostService]:
    """The start command of the image the Dockerfile builds, through the one replay of its stages
    (:func:`mcheck.deploy.dockerfile.final_start`: ``ARG``, inherited ``CMD``, ``ENTRYPOINT`` + ``CMD``),
    with its ``WORKDIR`` and ``HEALTHCHECK`` URL."""
    service = HostService(builder="dockerfile")
    try:
        start = final_start(text, source)
    except MalformedInstruction as exc:
        raise DeployFileError(source, exc.line, exc.message) from None
    except Exception as exc:  # dockerfile-parse raises plain exceptions for malformed input
        raise DeployFileError(source, None, str(exc)) from None
    if start is None:
        return [service]
    service.health_path = health_path_from_url(start.healthcheck) if start.healthcheck else None
    workdir = None if start.workdir == "/" else start.workdir
    _add_start(
        service, DeclaredStart(start.argv, start.line, health_path=service.health_path, cwd=workdir)
    )
    return [service]


_READERS: dict[str, Callable[[str, str], list[HostService]]] = {
    "railway.toml": _read_railway_toml,
    "railway.json": _read_railway_json,
    "render.yaml": _read_render,
    "fly.toml": _read_fly,
    "nixpacks.toml": _read_nixpacks,
    "railpack.json": _read_railpack,
    "app.json": _read_app_json,
    "Procfile": _read_procfile,
    **dict.fromkeys(COMPOSE_FILE_NAMES, _read_compose),
    "Dockerfile": _read_dockerfile,
}
# The one order both commands apply the files in: a later file's health path or builder wins, and the
# Dockerfile's CMD comes last (a host's start command overrides it).
HOST_FILE_NAMES = tuple(_READERS)


# --- building the records ---------------------------------------------------------------------------------


def _add_start(service: HostService, start: DeclaredStart) -> None:
    """Keep a start command only when the key holds one (a string or an exec-form list that is not empty)."""
    command = start.command
    if (isinstance(command, list) and command) or (isinstance(command, str) and command.strip()):
        service.start_commands.append(start)


def _add_build(service: HostService, command: object, line: int | None) -> None:
    if isinstance(command, dict):  # railpack: {"cmd": "..."}
        command = command.get("cmd") or command.get("command")
    if isinstance(command, str) and command.strip():
        service.build_commands.append(DeclaredBuild(command, line))


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


# --- parsers with file:line errors ------------------------------------------------------------------------


def _load_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise DeployFileError(source, None, "nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_ERROR_LINE.search(str(exc))
        raise DeployFileError(source, int(match.group(1)) if match else None, str(exc)) from None


def _load_json(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise DeployFileError(source, None, "nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise DeployFileError(source, exc.lineno, exc.msg) from None
    if not isinstance(data, dict):
        raise DeployFileError(source, 1, "expected a JSON object")
    return data


# What a deploy file's YAML may expand to once its aliases are followed. Real blueprints and compose
# files (anchors for shared environment blocks included) stay far below; a few hundred bytes of
# nested aliases ("billion laughs") would otherwise expand to billions of nodes.
YAML_EXPANDED_NODE_LIMIT = 100_000


def _load_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The composed node tree (for line numbers) and the data built from that same tree, after
    checking what the aliases expand to."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            return None, None
        _check_expansion(root, source)
        return root, yaml.SafeLoader("").construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DeployFileError(
            source, mark.line + 1 if mark else None, str(getattr(exc, "problem", None) or exc)
        ) from None
    except RecursionError:
        raise DeployFileError(source, None, "nested too deeply") from None


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Count the nodes of the tree with every alias expanded, once per distinct node (a shared node
    is counted by the times it is used, not walked again)."""
    sizes: dict[int, int] = {}

    def expanded(node: yaml.Node, open_nodes: frozenset[int]) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise DeployFileError(source, node.start_mark.line + 1, "an alias refers to itself")
        inside = open_nodes | {id(node)}
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        total = 1 + sum(expanded(child, inside) for child in children)
        if total > YAML_EXPANDED_NODE_LIMIT:
            raise DeployFileError(
                source,
                node.start_mark.line + 1,
                f"its aliases expand to more than {YAML_EXPANDED_NODE_LIMIT} values",
            )
        sizes[id(node)] = total
        return total

    expanded(root, frozenset())


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    """``data[key]`` as a table; a value of another type is an error the host would report too."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DeployFileError(
            source, None, f"`{key}` should be a table/object, not {type(value).__name__}"
        )
    return value


# tomllib, json and yaml.safe_load keep no positions: these locate a value the parser already returned.


def _toml_key_line(text: str, key: str, table: str | None = None) -> int | None:
    """The line of ``key = ...`` (inside ``[table]`` when given)."""
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[] ")
        elif (
            stripped.split("=", 1)[0].strip().strip('"') == key
            and "=" in stripped
            and (table is None or current == table)
        ):
            return number
    return None


def _json_key_line(text: str, key: str) -> int | None:
    return _line_containing(text, json.dumps(key))


def _line_containing(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None
