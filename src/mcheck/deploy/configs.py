"""``mcheck deploy``'s view of the files hosts take build and start settings from.

:mod:`mcheck.deploy.hostfiles` reads each file; this module decides what the service does with it: which
builder wins, whether the Dockerfile's CMD runs, which commands start the service. A file that does not
parse becomes an MC503 finding with its line; nothing here raises for bad input.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from pathlib import Path

from mcheck.deploy.commands import make_start_command
from mcheck.deploy.hostfiles import (
    COMPOSE_FILE_NAMES,
    HOST_FILE_NAMES,
    DeclaredStart,
    DeployFileError,
    HostService,
    read_host_file,
)
from mcheck.deploy.model import BuildCommand, DeployConfig, StartCommand
from mcheck.findings import Finding
from mcheck.smallfiles import read_small_text

# The files read, in the one order (hostfiles.HOST_FILE_NAMES) their settings are applied: a later
# health path or builder wins. The Dockerfile comes last and only when the host builds with Docker.
_FILE_ORDER = tuple(name for name in HOST_FILE_NAMES if name != "Dockerfile")
# Files that describe every service of the repository and usually sit at its root.
_REPOSITORY_FILES = ("render.yaml", *COMPOSE_FILE_NAMES)


def read_deploy_config(
    service_dir: Path, repo_root: Path, repo_files: list[str] | None = None
) -> DeployConfig:
    """Read every deploy file of the service at ``service_dir`` (and ``render.yaml`` at the repo root).
    Given the repository's files, the ``docker build`` commands its recipes, scripts and workflows
    write (:mod:`mcheck.deploy.docker_builds`) say which Dockerfile and context build the service
    when no deploy file does."""
    rel = _rel(service_dir, repo_root)
    config = DeployConfig(service_dir=rel)
    reader = _Reader(config, service_dir, repo_root, repo_files)
    reader.read_all()
    return config


def _rel(path: Path, root: Path) -> str:
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    return "" if rel == "." else rel


def _join(*parts: str) -> str:
    joined = posixpath.normpath(posixpath.join(*[p for p in parts if p]) if any(parts) else ".")
    return "" if joined == "." else joined


class _Reader:
    """Applies what each deploy file says (read by :mod:`mcheck.deploy.hostfiles`) to a :class:`DeployConfig`."""

    def __init__(
        self,
        config: DeployConfig,
        service_dir: Path,
        repo_root: Path,
        repo_files: list[str] | None = None,
    ) -> None:
        self.config = config
        self.repo_files = repo_files
        self.service_dir = service_dir
        self.repo_root = repo_root
        self.builder: str | None = (
            None  # an explicit builder choice ("dockerfile", "nixpacks", ...)
        )
        self.dockerfile: str | None = None  # an explicit Dockerfile path (repository-relative)
        self.docker_context: str | None = None
        self.health_path: str | None = None
        self.docker_start: list[StartCommand] = []  # fly processes, used only for Docker builds
        self.plain_start: list[
            StartCommand
        ] = []  # Procfile & co, used only for root-directory builds

    def read_all(self) -> None:
        for name in _FILE_ORDER:
            for path in self._locations(name):
                text = self._text(path)
                if text is not None:
                    self._read(name, _rel(path, self.repo_root), text)
        self._finish()

    def _locations(self, name: str) -> list[Path]:
        paths = [self.service_dir / name]
        service, root = self.service_dir.resolve(), self.repo_root.resolve()
        if name in COMPOSE_FILE_NAMES:
            # a compose file in any directory above the service, up to the repository root
            # (`deploy/compose.yaml` building `../services/api`): its contexts are relative to it
            paths += [d / name for d in service.parents if d == root or root in d.parents]
        elif name in _REPOSITORY_FILES and service != root:
            paths.append(self.repo_root / name)  # a Blueprint at the repository root
        return [p for p in paths if p.is_file()]

    def _text(self, path: Path) -> str | None:
        try:
            text = read_small_text(path)
        except (OSError, UnicodeDecodeError) as exc:
            self._error(_rel(path, self.repo_root), None, f"cannot read: {exc}")
            return None
        self.config.files_read.append(_rel(path, self.repo_root))
        return text

    def _error(self, path: str, line: int | None, message: str) -> None:
        self.config.findings.append(
            Finding("MC503", path, f"{path} cannot be parsed: {message}", line=line)
        )

    def _read(self, name: str, source: str, text: str) -> None:
        try:
            services = read_host_file(name, text, source)
        except DeployFileError as exc:
            self._error(source, exc.line, exc.message)
            return
        # A compose file's build contexts are relative to its own directory, render's to the repository.
        base = posixpath.dirname(source) if name in COMPOSE_FILE_NAMES else ""
        for service in services:
            # A Blueprint or a compose file describes every service of the repository; only ours counts.
            if service.root_dir is None or _join(base, service.root_dir) == self.config.service_dir:
                self._apply(source, service)

    def _apply(self, source: str, service: HostService) -> None:
        if service.builder and (service.builder_explicit or self.builder is None):
            self.builder = service.builder
        if service.dockerfile is not None:
            self.dockerfile = _join(self.config.service_dir, service.dockerfile)
        if service.docker_context is not None:
            self.docker_context = _join(self.config.service_dir, service.docker_context)
        self.health_path = service.health_path or self.health_path
        self.config.build_commands.extend(
            BuildCommand(source, b.line, b.command) for b in service.build_commands
        )
        self.config.env.update(service.env)
        for declared in service.start_commands:
            self._start(source, declared)

    def _start(self, source: str, declared: DeclaredStart) -> None:
        if declared.kind in (
            "release",
            "script",
        ):  # they run once per deploy; they are not the service
            return
        docker = (
            declared.kind == "docker"
        )  # fly processes: they only matter when a Dockerfile builds the service
        start = make_start_command(
            source, declared.line, declared.command, self.health_path, process=declared.process
        )
        (self.docker_start if docker else self.plain_start).append(start)
        if not docker:
            self.config.start_commands.append(start)

    def _docker_build_call(self) -> None:
        """The Dockerfile and context of a ``docker build`` the repository writes for this service:
        for the Dockerfile already chosen, else one whose context is the service directory."""
        from mcheck.deploy.docker_builds import docker_build_calls

        if self.repo_files is None:
            return
        calls = docker_build_calls(self.repo_root, self.repo_files)
        service = self.config.service_dir
        chosen = self.dockerfile
        matching = [
            c
            for c in calls
            if (c.dockerfile or _join(c.context, "Dockerfile")) == chosen
            or (chosen is None and c.context == service)
        ]
        if not matching:
            return
        call = matching[0]
        self.dockerfile = call.dockerfile or _join(call.context, "Dockerfile")
        self.docker_context = call.context
        self.config.files_read.append(call.source_file)

    def _finish(self) -> None:
        """Decide Docker vs. root-directory build and read the Dockerfile's own start command."""
        from mcheck.deploy.dockerfile import read_dockerfile_start

        config = self.config
        default_dockerfile = _join(config.service_dir, "Dockerfile")
        if (
            self.dockerfile is None
            and (self.repo_root / default_dockerfile).is_file()
            and self.builder in (None, "dockerfile")
        ):
            self.dockerfile = default_dockerfile
        if self.builder is None and self.docker_context is None:
            # no host file says how the image is built: the repository's own `docker build` does
            self._docker_build_call()
        if self.dockerfile is not None and self.builder in (None, "dockerfile"):
            config.dockerfile = self.dockerfile
            config.docker_context = (
                self.docker_context if self.docker_context is not None else config.service_dir
            )
            if not config.start_commands:  # the host's start command overrides CMD
                config.start_commands.extend(self.docker_start)
                config.start_commands.extend(
                    read_dockerfile_start(
                        self.repo_root, self.dockerfile, self.health_path, config.findings
                    )
                )
        config.start_commands[:] = [
            start if start.health_path else replace(start, health_path=self.health_path)
            for start in config.start_commands
        ]
