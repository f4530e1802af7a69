"""Typed data of ``mcheck deploy``: what the deploy files say and what the container will hold."""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mcheck.findings import Finding

if TYPE_CHECKING:
    from mcheck.deploy.follow import Analysis
    from mcheck.probes.protocol import AppResult, TargetResult
    from mcheck.probes.runner import ProbeError


@dataclass(frozen=True)
class StartCommand:
    """One way the host starts the service, as written in a deploy file: the one type that
    ``mcheck wheel``'s app discovery and ``mcheck deploy`` both read (built by
    :func:`mcheck.deploy.start_commands.make_start_command`).

    ``argv`` is the server's own command line (``cd x &&``, ``exec`` and ``FOO=bar`` prefixes removed).
    ``cwd`` is where it starts: the ``cd`` prefixes, under the directory the file itself gives (render
    ``rootDir``, Dockerfile ``WORKDIR``) when the reader passes one; ``chdir`` is the server's own
    ``--chdir``/``--working-dir``, relative to ``cwd``.
    """

    source_file: (
        str  # as the reader names it: relative to the service directory or to the repository
    )
    line: int | None  # 1-based line of the command in source_file
    argv: tuple[str, ...]
    server: str | None = None  # uvicorn, gunicorn, hypercorn, granian, fastapi, python-module, ...
    app_spec: str | None = None  # "pkg.mod:app" for servers; None for anything else
    factory: bool = False
    health_path: str | None = None
    cwd: str | None = None
    chdir: str | None = None
    raw: str = ""  # the command as written, for messages and hints
    process: str | None = None  # Procfile process type, render service name, fly process group
    asgi: bool = False  # the server talks ASGI to app_spec
    module: str | None = None  # the module run: app_spec's module, ``python -m X``'s X, a script's
    pythonpath: str | None = None  # ``PYTHONPATH=...`` the command itself sets, as written

    @property
    def location(self) -> str:
        return f"{self.source_file}:{self.line}" if self.line else self.source_file

    @property
    def app_dir(self) -> str | None:
        """Where the server imports the app from (``cwd`` and ``chdir`` joined; None: where it starts)."""
        if self.chdir is None or self.chdir.startswith("/"):
            return self.chdir or self.cwd
        return posixpath.normpath(posixpath.join(self.cwd, self.chdir)) if self.cwd else self.chdir


@dataclass(frozen=True)
class BuildCommand:
    """A shell command of the build (``buildCommand``, a nixpacks phase, a Dockerfile ``RUN``)."""

    source_file: str
    line: int | None
    command: str


@dataclass
class DeployConfig:
    """Everything the deploy files of one service say about building and starting it."""

    service_dir: str  # repository-relative ("" for the repository root)
    start_commands: list[StartCommand] = field(default_factory=list)
    build_commands: list[BuildCommand] = field(default_factory=list)
    dockerfile: str | None = None  # repository-relative; set when the host builds with Docker
    docker_context: str | None = None  # repository-relative
    env: dict[str, str] = field(
        default_factory=dict
    )  # variables the host sets (PYTHONPATH matters)
    files_read: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # MC503 for files that do not parse

    @property
    def uses_docker(self) -> bool:
        return self.dockerfile is not None


@dataclass(frozen=True)
class RequirementRef:
    """A requirements file a build command installs, resolved against the runtime filesystem."""

    source_file: str  # where the command is written
    line: int | None
    container_path: str  # where the build looks for it
    present: bool  # was it in the filesystem when the command ran?
    written: str = ""  # as written, joined to the command's `cd`: "../../requirements.txt"
    # the repository file it is, when the build had it: a multi-stage build may install in a builder
    # stage whose files the final image does not keep
    repo_path: str | None = None


@dataclass(frozen=True)
class LocalInstall:
    """A project of this repository a build command installs (``pip install /opt/core``, ``-e .``,
    ``git+<this repository>#subdirectory=packages/core``)."""

    source_file: str  # where the command is written
    line: int | None
    written: str  # the argument as written
    # the repository directory of the project; None when the build cannot see it
    repo_dir: str | None
    container_path: str | None = None  # for a path: where the build looks for it
    # for a path: the project's files when the command runs (relative path -> repository path); a
    # multi-stage build's later stages may not have them any more, and a `COPY` may have flattened them
    files: tuple[tuple[str, str], ...] = ()
    # the line of a requirements file that installs it (`-e ../core`), when one does; then
    # source_file and line are that file's
    requirements_line: str | None = None

    @property
    def shown(self) -> str:
        """The install as written: the requirements file's line, or the ``pip install`` command."""
        return (
            f"`{self.requirements_line}`"
            if self.requirements_line
            else f"`pip install {self.written}`"
        )


@dataclass(frozen=True)
class TargetInstall:
    """``pip install --target DIR ...`` in the stage the service runs (or a root-directory build):
    its packages import only where DIR is on ``sys.path``."""

    source_file: str
    line: int | None
    directory: str  # absolute container path
    written: str  # the command's `--target` value


@dataclass
class Runtime:
    """The container's filesystem as reconstructed from the build settings, without Docker.

    ``files`` maps absolute container paths to repository-relative paths; ``workdir`` is where the
    start command runs; ``pythonpath`` holds the absolute ``PYTHONPATH`` entries.
    """

    kind: str  # "dockerfile" or "root-directory"
    context: str  # repository-relative build context ("" for the repository root)
    files: dict[str, str] = field(default_factory=dict)
    workdir: str = "/app"
    pythonpath: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    dockerfile: str | None = None
    requirements: list[RequirementRef] = field(default_factory=list)
    packages: list[str] = field(
        default_factory=list
    )  # `pip install name` arguments of build commands
    local_installs: list[LocalInstall] = field(default_factory=list)
    # where a project install's dependencies are declared ("[packages] of Pipfile"), for hints
    dependency_tables: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)  # a lock file's pins (poetry.lock)
    target_installs: list[TargetInstall] = field(default_factory=list)
    # top-level import names the local installs provide: imports of them resolve in the venv
    installed_names: frozenset[str] = frozenset()
    # repository file -> (.dockerignore path, line, pattern) for files the build context leaves out
    ignored: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    base_image: str | None = None  # the final stage's external image (`python:3.12-slim`)

    def __post_init__(self) -> None:
        self._dirs: set[str] | None = None
        self._by_repo: dict[str, str] | None = None

    def invalidate(self) -> None:
        self._dirs = None
        self._by_repo = None

    @property
    def dirs(self) -> set[str]:
        if self._dirs is None:
            dirs = {"/"}
            for path in self.files:
                parent = posixpath.dirname(path)
                while parent not in dirs:
                    dirs.add(parent)
                    parent = posixpath.dirname(parent)
            self._dirs = dirs
        return self._dirs

    def container_path_of(self, repo_file: str) -> str | None:
        """Where a repository file ended up in the container (None when it was not shipped)."""
        if self._by_repo is None:
            self._by_repo = {}
            for container, repo in sorted(self.files.items()):
                self._by_repo.setdefault(repo, container)
        return self._by_repo.get(repo_file)

    def repo_dir_of(self, container_dir: str) -> str | None:
        """The repository directory a container directory was copied from, judged by its files."""
        prefix = container_dir.rstrip("/") + "/"
        votes: dict[str, int] = {}
        for container, repo in self.files.items():
            if not container.startswith(prefix):
                continue
            rel = container[len(prefix) :]
            if repo == rel:
                votes[""] = votes.get("", 0) + 1
            elif repo.endswith("/" + rel):
                base = repo[: -len(rel) - 1]
                votes[base] = votes.get(base, 0) + 1
        return max(votes, key=lambda d: (votes[d], -len(d))) if votes else None


@dataclass(frozen=True)
class TargetRun:
    """What running one start target in the service's venv gave: the import (``result``, or the probe's
    own ``failure``), then, for an ASGI server, the app probe (``app``, or ``app_failure``)."""

    analysis: Analysis
    result: TargetResult | None = None
    failure: ProbeError | None = None
    app: AppResult | None = None
    app_failure: ProbeError | None = None


def local_install(
    source_file: str,
    line: int | None,
    written: str,
    base: str,
    files: dict[str, str],
    repo_has: Callable[[str], bool],
) -> LocalInstall:
    """What ``pip install WRITTEN`` run in container directory ``base`` installs from this repository:
    a directory of the container's ``files`` (container path -> repository path) then, or, for a
    ``git+`` URL, the ``subdirectory`` when this repository has a project there (``repo_has``)."""
    from mcheck.deploy.commands import git_subdirectory

    if "git+" in written:
        sub = git_subdirectory(written)
        project = sub is not None and (
            repo_has(f"{sub}/pyproject.toml") or repo_has(f"{sub}/setup.py")
        )
        return LocalInstall(source_file, line, written, sub if project else None)
    container = posixpath.normpath(posixpath.join(base, without_extras(written)))
    prefix = container.rstrip("/") + "/"
    snapshot = tuple(
        sorted((c[len(prefix) :], r) for c, r in files.items() if c.startswith(prefix))
    )
    view = Runtime(kind="", context="", files=files)
    repo_dir = view.repo_dir_of(container) if snapshot else None
    return LocalInstall(source_file, line, written, repo_dir, container, snapshot)


def requirements_file_installs(
    container_file: str,
    cwd: str,
    files: dict[str, str],
    read: Callable[[str], str | None],
    repo_has: Callable[[str], bool],
    seen: frozenset[str] = frozenset(),
) -> list[LocalInstall]:
    """The repository's projects a requirements file installs when ``pip install -r`` reads it in
    container directory ``cwd``: its local paths are relative to ``cwd``, its ``-r`` includes to the
    file (as pip and uv read them). ``files`` is the container then (container path -> repository
    path) and ``read`` gives a repository file's text."""
    from mcheck.deploy.commands import requirements_file_lines

    repo_file = files.get(container_file)
    text = read(repo_file) if repo_file is not None and container_file not in seen else None
    if text is None:
        return []
    found: list[LocalInstall] = []
    for entry in requirements_file_lines(text):
        if entry.kind == "include":
            included = posixpath.normpath(
                posixpath.join(posixpath.dirname(container_file), entry.value)
            )
            found.extend(
                requirements_file_installs(
                    included, cwd, files, read, repo_has, seen | {container_file}
                )
            )
            continue
        install = local_install(repo_file, entry.line, entry.value, cwd, files, repo_has)
        found.append(dataclasses.replace(install, requirements_line=entry.text))
    return found


def without_extras(path: str) -> str:
    """``.[hc,psycopg]`` -> ``.``: a local project installed with extras."""
    return re.sub(r"\[[^\]/]*\]$", "", path)


def extras_of(path: str) -> str:
    """``.[hc,psycopg]`` -> ``[hc,psycopg]`` (empty when none)."""
    return path[len(without_extras(path)) :]
