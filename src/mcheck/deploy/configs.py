"""Readers for the files hosts take build and start settings from.

Each file is parsed with a real parser (tomllib, json, yaml, dockerfile-parse). A file that does not
parse becomes an MC503 finding with its line; the readers never raise for bad input.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from mcheck.deploy.commands import parse_command, parse_server
from mcheck.deploy.model import BuildCommand, DeployConfig, StartCommand
from mcheck.findings import Finding

_TOML_LINE_RE = re.compile(r"at line (\d+)")
_PROCFILE_RE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.*)$")


def read_deploy_config(service_dir: Path, repo_root: Path) -> DeployConfig:
    """Read every deploy file of the service at ``service_dir`` (and ``render.yaml`` at the repo root)."""
    rel = _rel(service_dir, repo_root)
    config = DeployConfig(service_dir=rel)
    reader = _Reader(config, service_dir, repo_root)
    reader.read_all()
    return config


def _rel(path: Path, root: Path) -> str:
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    return "" if rel == "." else rel


def _join(*parts: str) -> str:
    joined = posixpath.normpath(posixpath.join(*[p for p in parts if p]) if any(parts) else ".")
    return "" if joined == "." else joined


class _Reader:
    """Reads the deploy files one by one into a :class:`DeployConfig`."""

    def __init__(self, config: DeployConfig, service_dir: Path, repo_root: Path) -> None:
        self.config = config
        self.service_dir = service_dir
        self.repo_root = repo_root
        self.builder: str | None = None  # an explicit builder choice ("dockerfile", "nixpacks", ...)
        self.dockerfile: str | None = None  # an explicit Dockerfile path (repository-relative)
        self.docker_context: str | None = None
        self.health_path: str | None = None
        self.docker_start: list[StartCommand] = []  # Dockerfile CMD/ENTRYPOINT, used only for Docker builds
        self.plain_start: list[StartCommand] = []  # Procfile & co, used only for root-directory builds

    def read_all(self) -> None:
        readers: list[tuple[str, Callable[[str, str], None]]] = [
            ("railway.toml", self._railway_toml), ("railway.json", self._railway_json),
            ("render.yaml", self._render), ("fly.toml", self._fly), ("nixpacks.toml", self._nixpacks),
            ("railpack.json", self._railpack), ("app.json", self._app_json), ("Procfile", self._procfile),
        ]
        for name, read in readers:
            for path in self._locations(name):
                text = self._text(path)
                if text is not None:
                    read(_rel(path, self.repo_root), text)
        self._finish()

    def _locations(self, name: str) -> list[Path]:
        paths = [self.service_dir / name]
        if name == "render.yaml" and self.service_dir.resolve() != self.repo_root.resolve():
            paths.append(self.repo_root / name)  # a Blueprint lives at the repository root
        return [p for p in paths if p.is_file()]

    def _text(self, path: Path) -> str | None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._error(_rel(path, self.repo_root), None, f"cannot read: {exc}")
            return None
        self.config.files_read.append(_rel(path, self.repo_root))
        return text

    def _error(self, path: str, line: int | None, message: str) -> None:
        self.config.findings.append(Finding("MC503", path, f"{path} cannot be parsed: {message}", line=line))

    def _start(self, source: str, line: int | None, command: Any, *, docker: bool = False) -> None:
        if not isinstance(command, str | list) or not command:
            return
        start = make_start_command(source, line, command, self.health_path)
        (self.docker_start if docker else self.plain_start).append(start)
        if not docker:
            self.config.start_commands.append(start)

    def _build(self, source: str, line: int | None, command: Any) -> None:
        if isinstance(command, dict):  # railpack: {"cmd": "..."}
            command = command.get("cmd") or command.get("command")
        if isinstance(command, str) and command.strip():
            self.config.build_commands.append(BuildCommand(source, line, command))

    # --- Railway --------------------------------------------------------------------------------------

    def _railway_toml(self, source: str, text: str) -> None:
        data = self._toml(source, text)
        if data is not None:
            self._railway(source, data, lambda key: _toml_key_line(text, key))

    def _railway_json(self, source: str, text: str) -> None:
        data = self._json(source, text)
        if data is not None:
            self._railway(source, data, lambda key: _json_key_line(text, key))

    def _railway(self, source: str, data: dict[str, Any], line_of: Callable[[str], int | None]) -> None:
        build, deploy = _table(data, "build"), _table(data, "deploy")
        builder = str(build.get("builder", "")).lower()
        if builder:
            self.builder = "dockerfile" if builder == "dockerfile" else builder
        if isinstance(build.get("dockerfilePath"), str):
            self.builder = "dockerfile"
            self.dockerfile = _join(self.config.service_dir, build["dockerfilePath"])
        self._build(source, line_of("buildCommand"), build.get("buildCommand"))
        if isinstance(deploy.get("healthcheckPath"), str):
            self.health_path = deploy["healthcheckPath"]
        # Railway's start command overrides the Dockerfile's CMD as well as the builder's default.
        self._start(source, line_of("startCommand"), deploy.get("startCommand"))

    # --- Render ---------------------------------------------------------------------------------------

    def _render(self, source: str, text: str) -> None:
        try:
            root = yaml.compose(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self._error(source, mark.line + 1 if mark is not None else None, str(exc).splitlines()[0])
            return
        data = yaml.safe_load(text) if root is not None else None
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, list):
            return
        for index, service in enumerate(services):
            if isinstance(service, dict) and _join(str(service.get("rootDir", ""))) == self.config.service_dir:
                self._render_service(source, service, _render_lines(root, index))

    def _render_service(self, source: str, service: dict[str, Any], lines: dict[str, int]) -> None:
        runtime = str(service.get("runtime") or service.get("env") or "")
        if isinstance(service.get("healthCheckPath"), str):
            self.health_path = service["healthCheckPath"]
        if runtime == "docker":
            self.builder = "dockerfile"
            self.dockerfile = _join(self.config.service_dir, str(service.get("dockerfilePath", "Dockerfile")))
            self.docker_context = _join(self.config.service_dir, str(service.get("dockerContext", ".")))
            self._start(source, lines.get("dockerCommand"), service.get("dockerCommand"))
        elif runtime:
            self.builder = runtime
        self._build(source, lines.get("buildCommand"), service.get("buildCommand"))
        self._start(source, lines.get("startCommand"), service.get("startCommand"))
        for var in service.get("envVars") or []:
            if isinstance(var, dict) and isinstance(var.get("key"), str) and isinstance(var.get("value"), str):
                self.config.env[var["key"]] = var["value"]

    # --- Fly.io ---------------------------------------------------------------------------------------

    def _fly(self, source: str, text: str) -> None:
        data = self._toml(source, text)
        if data is None:
            return
        build = _table(data, "build")
        if isinstance(build.get("dockerfile"), str):
            self.dockerfile = _join(self.config.service_dir, build["dockerfile"])
        if not build.get("builder") and not build.get("buildpacks"):
            self.builder = self.builder or "dockerfile"
        for check in _fly_checks(data):
            if isinstance(check.get("path"), str):
                self.health_path = check["path"]
        for name, command in _table(data, "processes").items():
            self._start(source, _toml_key_line(text, name), command, docker=True)
        self._start(source, _toml_key_line(text, "cmd"), _table(data, "experimental").get("cmd"), docker=True)

    # --- Nixpacks / Railpack / Heroku -------------------------------------------------------------------

    def _nixpacks(self, source: str, text: str) -> None:
        data = self._toml(source, text)
        if data is None:
            return
        for phase, table in _table(data, "phases").items():
            if isinstance(table, dict):
                for command in table.get("cmds") or []:
                    self._build(source, _toml_key_line(text, "cmds", f"phases.{phase}"), command)
        for key, value in _table(data, "variables").items():
            self.config.env[key] = str(value)
        self._start(source, _toml_key_line(text, "cmd", "start"), _table(data, "start").get("cmd"))

    def _railpack(self, source: str, text: str) -> None:
        data = self._json(source, text)
        if data is None:
            return
        for step in _table(data, "steps").values():
            if isinstance(step, dict):
                for command in step.get("commands") or []:
                    self._build(source, _json_key_line(text, "commands"), command)
        deploy = _table(data, "deploy")
        for key, value in _table(deploy, "variables").items():
            self.config.env[key] = str(value)
        self._start(source, _json_key_line(text, "startCommand"), deploy.get("startCommand"))

    def _app_json(self, source: str, text: str) -> None:
        data = self._json(source, text)
        for key, value in _table(data or {}, "env").items():
            value = value.get("value") if isinstance(value, dict) else value
            if key == "PYTHONPATH" and isinstance(value, str):
                self.config.env[key] = value

    def _procfile(self, source: str, text: str) -> None:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = _PROCFILE_RE.match(line.strip())
            if match is None:
                self._error(source, number, f"line {number} is not `process: command`")
            elif match.group(1) != "release":  # release commands run once, they are not the service
                self._start(source, number, match.group(2))

    # --- helpers ----------------------------------------------------------------------------------------

    def _toml(self, source: str, text: str) -> dict[str, Any] | None:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_LINE_RE.search(str(exc))
            self._error(source, int(match.group(1)) if match else None, str(exc))
            return None

    def _json(self, source: str, text: str) -> dict[str, Any] | None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self._error(source, exc.lineno, exc.msg)
            return None
        if not isinstance(data, dict):
            self._error(source, 1, "the top level is not an object")
            return None
        return data

    def _finish(self) -> None:
        """Decide Docker vs. root-directory build and read the Dockerfile's own start command."""
        from mcheck.deploy.dockerfile import read_dockerfile_start

        config = self.config
        default_dockerfile = _join(config.service_dir, "Dockerfile")
        if self.dockerfile is None and (self.repo_root / default_dockerfile).is_file() and self.builder in (
                None, "dockerfile"):
            self.dockerfile = default_dockerfile
        if self.dockerfile is not None and self.builder in (None, "dockerfile"):
            config.dockerfile = self.dockerfile
            config.docker_context = self.docker_context if self.docker_context is not None else config.service_dir
            if not config.start_commands:  # the host's start command overrides CMD
                config.start_commands.extend(self.docker_start)
                config.start_commands.extend(read_dockerfile_start(self.repo_root, self.dockerfile,
                                                                   self.health_path, config.findings))
        for start in config.start_commands:
            start.health_path = start.health_path or self.health_path


def make_start_command(source: str, line: int | None, command: str | list[str],
                       health_path: str | None) -> StartCommand:
    raw = command if isinstance(command, str) else " ".join(command)
    try:
        parsed = parse_command(command)
    except ValueError:
        return StartCommand(source, line, [], health_path=health_path, raw=raw)
    # ``cwd`` is the `cd` prefix only: parse_server adds the server's own --chdir when it reads argv.
    call = parse_server(parsed.argv)
    spec = None
    if call is not None:
        spec = call.target if call.attr is None else f"{call.target}:{call.attr}"
    return StartCommand(source, line, list(parsed.argv), server=call.server if call else None, app_spec=spec,
                        factory=bool(call and call.factory), health_path=health_path, cwd=parsed.shell_cwd,
                        raw=raw)


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _fly_checks(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    http_service = _table(data, "http_service")
    for check in http_service.get("checks") or []:
        if isinstance(check, dict):
            yield check
    for service in data.get("services") or []:
        for check in (service.get("http_checks") or []) if isinstance(service, dict) else []:
            if isinstance(check, dict):
                yield check


def _toml_key_line(text: str, key: str, table: str | None = None) -> int | None:
    """The line of ``key = ...`` (inside ``[table]`` when given). The value came from tomllib; this only
    locates it for the report."""
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[] ")
        elif (stripped.split("=", 1)[0].strip().strip('"') == key and "=" in stripped
              and (table is None or current == table)):
            return number
    return None


def _json_key_line(text: str, key: str) -> int | None:
    needle = json.dumps(key)
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def _render_lines(root: yaml.Node | None, index: int) -> dict[str, int]:
    """Line of every key of ``services[index]`` in a composed render.yaml."""
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "services" and isinstance(value, yaml.SequenceNode) and index < len(value.value):
            service = value.value[index]
            if isinstance(service, yaml.MappingNode):
                return {k.value: k.start_mark.line + 1 for k, _ in service.value}
    return {}
