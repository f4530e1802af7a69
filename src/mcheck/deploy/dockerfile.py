"""Replay a Dockerfile's filesystem instructions without Docker.

Only what decides which Python files the container holds and where Python looks is modelled:
``FROM`` (stages, one stage built on another), ``WORKDIR``, ``ENV``/``ARG`` (for ``$VAR`` expansion and
``PYTHONPATH``), ``COPY``/``ADD`` from the build context (globs, directory-copy semantics, ``--from=``
an earlier stage), ``RUN pip install -r`` (the file must already be in the image) and ``CMD``/
``ENTRYPOINT`` (the start command).
"""

from __future__ import annotations

import fnmatch
import io
import json
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

from mcheck.deploy.commands import made_directories, pip_installs, shell_commands
from mcheck.deploy.model import (
    LocalInstall,
    RequirementRef,
    StartCommand,
    TargetInstall,
    local_install,
    requirements_file_installs,
)
from mcheck.deploy.project_installs import (
    declared_in,
    lock_pins,
    project_installs,
    project_requirements,
)
from mcheck.findings import Finding
from mcheck.smallfiles import read_small_text

_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str
    line: int  # 1-based


def instructions(text: str) -> list[Instruction]:
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    return [
        Instruction(item["instruction"], item["value"], item["startline"] + 1)
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    ]


@dataclass
class Stage:
    name: str | None
    files: dict[str, str] = field(default_factory=dict)  # container path -> repository path
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    cmd: tuple[list[str] | str, int] | None = None
    entrypoint: tuple[list[str] | str, int] | None = None
    healthcheck: str | None = None  # the HEALTHCHECK instruction's value
    made_dirs: set[str] = field(default_factory=set)  # created by `RUN mkdir`: a COPY goes inside
    base_image: str = ""  # the external image the stage (or the stage it is built on) starts from
    # requirements files a build step wrote (`poetry export > requirements.txt`): path -> what they hold
    generated: dict[str, list[str]] = field(default_factory=dict)
    # `pip install --target DIR` run in this stage (a later stage built FROM it inherits them)
    target_installs: list[TargetInstall] = field(default_factory=list)

    def derive(self, name: str | None) -> Stage:
        """A stage built ``FROM`` this one: Docker copies the image config (CMD, WORKDIR, HEALTHCHECK)."""
        return Stage(
            name,
            dict(self.files),
            self.workdir,
            dict(self.env),
            self.cmd,
            self.entrypoint,
            self.healthcheck,
            set(self.made_dirs),
            self.base_image,
            dict(self.generated),
            list(self.target_installs),
        )


class MalformedInstruction(ValueError):
    """An instruction Docker accepts but that cannot do what it says (an exec form that is not JSON)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class DockerBuild:
    """The result of replaying a Dockerfile: the final stage plus what went wrong on the way."""

    final: Stage
    requirements: list[RequirementRef] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    local_installs: list[LocalInstall] = field(default_factory=list)
    dependency_tables: list[str] = field(default_factory=list)  # see Runtime.dependency_tables
    constraints: list[str] = field(default_factory=list)  # see Runtime.constraints
    findings: list[Finding] = field(default_factory=list)
    ignored: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # see Runtime.ignored


class ContextFiles:
    """The build context: repository files under ``context``, minus what ``.dockerignore`` excludes."""

    def __init__(
        self, repo_files: list[str], context: str, dockerignore, root: Path | None = None
    ) -> None:  # dockerignore: DockerIgnore
        self.context = context
        self.root = root  # the repository on disk, for the text of the files a build step reads
        self.repository = frozenset(repo_files)  # a `git+<this repository>` install sees all of it
        prefix = context + "/" if context else ""
        self.all: dict[
            str, str
        ] = {}  # context-relative -> repository-relative, before .dockerignore
        for repo in repo_files:
            if repo.startswith(prefix):
                self.all[repo[len(prefix) :]] = repo
        self.excluded = {
            rel: rule for rel in self.all if (rule := dockerignore.excluded_by(rel)) is not None
        }
        self.files = {rel: repo for rel, repo in self.all.items() if rel not in self.excluded}
        self.dirs = {posixpath.dirname(rel) for rel in self.files} | {""}
        for rel in list(self.dirs):
            while rel:
                rel = posixpath.dirname(rel)
                self.dirs.add(rel)

    def has(self, repo_path: str) -> bool:
        """Whether the repository (not only the context) has ``repo_path``."""
        return repo_path in self.repository

    def read(self, repo_path: str) -> str | None:
        """The text of repository file ``repo_path`` (None when it cannot be read)."""
        if self.root is None or repo_path not in self.repository:
            return None
        try:
            return read_small_text(self.root / repo_path, errors="replace")
        except OSError:
            return None


class Replayer:
    """Replays one Dockerfile against a build context."""

    def __init__(self, source: str, context: ContextFiles, ignore_source: str) -> None:
        self.source = source
        self.context = context
        self.ignore_source = ignore_source
        self.stages: list[Stage] = []
        self.args: dict[str, str] = {}
        self.build = DockerBuild(Stage(None))
        self.malformed: dict[int, str] = {}  # line -> what is wrong with its exec form

    def run(self, text: str) -> DockerBuild:
        for ins in instructions(text):
            handler = getattr(self, "_" + ins.keyword.lower(), None)
            if handler is not None and (self.stages or ins.keyword in ("FROM", "ARG")):
                handler(ins)
        if self.stages:
            self.build.final = self.stages[-1]
        for rel, rule in self.context.excluded.items():
            self.build.ignored[self.context.all[rel]] = (self.ignore_source, rule.line, rule.text)
        return self.build

    @property
    def stage(self) -> Stage:
        return self.stages[-1]

    def expand(self, value: str) -> str:
        env = {**self.args, **(self.stage.env if self.stages else {})}
        return _VAR_RE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), value)

    def _from(self, ins: Instruction) -> None:
        words = [w for w in ins.value.split() if not w.startswith("--")]
        image = self.expand(words[0]).lower() if words else ""
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        parent = next((s for s in reversed(self.stages) if s.name == image), None)
        self.stages.append(parent.derive(name) if parent else Stage(name, base_image=image))

    def _arg(self, ins: Instruction) -> None:
        key, _, default = ins.value.strip().partition("=")
        if self.stages:
            self.stage.env.setdefault(key, default.strip('"'))
        else:
            self.args[key] = default.strip('"')

    def _env(self, ins: Instruction) -> None:
        try:
            words = shlex.split(ins.value)
        except ValueError:
            return
        if words and "=" not in words[0]:  # legacy `ENV KEY value with spaces`
            self.stage.env[words[0]] = self.expand(" ".join(words[1:]))
            return
        for word in words:
            key, _, value = word.partition("=")
            self.stage.env[key] = self.expand(value)

    def _workdir(self, ins: Instruction) -> None:
        self.stage.workdir = posixpath.normpath(
            posixpath.join(self.stage.workdir, self.expand(ins.value.strip()))
        )

    def _cmd(self, ins: Instruction) -> None:
        self.stage.cmd = (self._start_words(ins), ins.line)

    def _entrypoint(self, ins: Instruction) -> None:
        self.stage.entrypoint = (self._start_words(ins), ins.line)
        self.stage.cmd = None  # Docker resets CMD when ENTRYPOINT is set

    def _healthcheck(self, ins: Instruction) -> None:
        self.stage.healthcheck = ins.value

    def _start_words(self, ins: Instruction) -> list[str] | str:
        words = _exec_or_shell(ins.value)
        if isinstance(words, str) and words.startswith("["):
            # Docker runs a broken exec form through /bin/sh, where it fails at every start.
            self.malformed[ins.line] = "exec form is not a JSON array of strings"
        return words

    def _run(self, ins: Instruction) -> None:
        self.stage.made_dirs.update(
            posixpath.normpath(posixpath.join(self.stage.workdir, d))
            for d in made_directories(self.expand(ins.value))
        )
        self._project_installs(self.expand(ins.value))
        for install in pip_installs(self.expand(ins.value)):
            base = posixpath.normpath(posixpath.join(self.stage.workdir, install.cwd))
            if install.target is not None and "$" not in install.target:
                self.stage.target_installs.append(
                    TargetInstall(
                        self.source,
                        ins.line,
                        posixpath.normpath(posixpath.join(base, install.target)),
                        install.target,
                    )
                )
            for name in install.requirement_files:
                path = posixpath.normpath(posixpath.join(base, name))
                if path in self.stage.generated:  # written by an export of this build
                    self.build.packages.extend(self.stage.generated[path])
                    continue
                written = name if install.cwd == "." else posixpath.join(install.cwd, name)
                self.build.requirements.append(
                    RequirementRef(
                        self.source,
                        ins.line,
                        path,
                        path in self.stage.files,
                        written,
                        self.stage.files.get(path),
                    )
                )
                self.build.local_installs.extend(
                    requirements_file_installs(
                        path, base, self.stage.files, self.context.read, self.context.has
                    )
                )
            self.build.packages.extend(install.packages)
            self.build.local_installs.extend(
                local_install(self.source, ins.line, arg, base, self.stage.files, self.context.has)
                for arg in install.local
            )

    def _project_installs(self, command: str) -> None:
        """``poetry install``, ``pipenv install --system``, ``uv sync``: the project file's main
        dependencies are installed; an export's requirements file holds them for a later step."""
        for install in project_installs(shell_commands(command)):
            base = posixpath.normpath(posixpath.join(self.stage.workdir, install.cwd))
            found = project_requirements(install.tool, base, self.stage.files, self.context.read)
            if found is None:
                continue
            if install.output is not None:
                self.stage.generated[posixpath.normpath(posixpath.join(base, install.output))] = (
                    found
                )
            else:
                self.build.packages.extend(found)
            self.build.dependency_tables.append(declared_in(install.tool, base, self.stage.files))
            self.build.constraints.extend(
                lock_pins(install.tool, base, self.stage.files, self.context.read)
            )

    def _add(self, ins: Instruction) -> None:
        self._copy(ins)

    def _copy(self, ins: Instruction) -> None:
        flags, words = _copy_words(ins.value)
        words = [self.expand(w) for w in words]
        if len(words) < 2:
            return
        *sources, dest = words
        dest_abs = posixpath.normpath(posixpath.join(self.stage.workdir, dest))
        dest_is_dir = (
            dest.endswith("/")
            or dest in (".", "./")
            or len(sources) > 1
            or any(_GLOB_CHARS & set(s) for s in sources)
        )
        origin = flags.get("from")
        for src in sources:
            if src.startswith(("http://", "https://", "git@")):
                continue
            if origin is not None:
                self._copy_from_stage(origin, src, dest_abs, dest_is_dir)
            else:
                self._copy_from_context(ins, src, dest_abs, dest_is_dir)

    def _copy_from_context(self, ins: Instruction, src: str, dest: str, dest_is_dir: bool) -> None:
        clean = posixpath.normpath(src.lstrip("/")) if src.strip("/") not in ("", ".") else ""
        if clean == ".." or clean.startswith("../"):
            self._missing(ins, src, "is outside the build context")
            return
        matches = list(_glob(clean, self.context)) if _GLOB_CHARS & set(clean) else [clean]
        copied = False
        for match in matches:
            copied |= self._place(match, dest, dest_is_dir, self.context.files, self.context.dirs)
        if not copied:
            excluded = [
                rel for rel in self.context.excluded if rel == clean or rel.startswith(clean + "/")
            ]
            reason = "is excluded by .dockerignore" if excluded else "is not in the build context"
            self._missing(ins, src, reason)

    def _place(
        self, rel: str, dest: str, dest_is_dir: bool, files: dict[str, str], dirs: set[str]
    ) -> bool:
        """Copy one source (file or directory, context-relative) to ``dest``; False when it does not exist."""
        if rel in files:
            # Copying a file onto an existing directory (WORKDIR creates one) puts it inside.
            existing_dir = (
                dest in {posixpath.dirname(p) for p in self.stage.files}
                or dest in self.stage.made_dirs
                or self.stage.workdir == dest
                or self.stage.workdir.startswith(dest.rstrip("/") + "/")
            )
            target = (
                posixpath.join(dest, posixpath.basename(rel))
                if dest_is_dir or existing_dir
                else dest
            )
            self.stage.files[target] = files[rel]
            return True
        if rel in dirs:  # a directory: its contents are copied, not the directory itself
            prefix = rel + "/" if rel else ""
            for sub, repo in files.items():
                if sub.startswith(prefix):
                    self.stage.files[posixpath.join(dest, sub[len(prefix) :])] = repo
            return True
        return False

    def _copy_from_stage(self, origin: str, src: str, dest: str, dest_is_dir: bool) -> None:
        stage = next((s for s in self.stages[:-1] if s.name == origin.lower()), None)
        if stage is None and origin.isdigit() and int(origin) < len(self.stages) - 1:
            stage = self.stages[int(origin)]
        if stage is None:
            return  # an external image: nothing of the repository comes from it
        files = {path.lstrip("/"): repo for path, repo in stage.files.items()}
        dirs = {posixpath.dirname(p) for p in files} | {""}
        for d in list(dirs):
            while d:
                d = posixpath.dirname(d)
                dirs.add(d)
        clean = posixpath.normpath(posixpath.join(stage.workdir, src)).lstrip("/")
        self._place(clean, dest, dest_is_dir, files, dirs)

    def _missing(self, ins: Instruction, src: str, reason: str) -> None:
        self.build.findings.append(
            Finding(
                "MC502",
                self.source,
                f"`{ins.keyword} {ins.value}`: the source {src!r} {reason}; the build fails here",
                hint=_missing_hint(reason, self.context.context, self.ignore_source),
                line=ins.line,
            )
        )


def _missing_hint(reason: str, context: str, ignore_source: str) -> str:
    if "dockerignore" in reason:
        return f"remove the matching line from {ignore_source}"
    return (
        f"the build context is {context or 'the repository root'}/; build from a directory that "
        "contains the source (and adjust the COPY paths) or move the file into the context"
    )


def _copy_words(value: str) -> tuple[dict[str, str], list[str]]:
    flags: dict[str, str] = {}
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    while words and words[0].startswith("--"):
        key, _, val = words.pop(0)[2:].partition("=")
        flags[key] = val
    rest = " ".join(words)
    if rest.startswith("["):
        try:
            parsed = json.loads(value[value.index("[") :])
            return flags, [str(w) for w in parsed]
        except json.JSONDecodeError:
            pass
    return flags, words


def _exec_or_shell(value: str) -> list[str] | str:
    stripped = value.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
            if isinstance(parsed, list):
                return [str(w) for w in parsed]
        except json.JSONDecodeError:
            pass
    return stripped


def _glob(pattern: str, context: ContextFiles) -> Iterator[str]:
    """Context entries (files and directories) matching a COPY glob; ``*`` does not cross ``/``."""
    depth = pattern.count("/")
    for entry in sorted(set(context.files) | context.dirs):
        if entry and entry.count("/") == depth and fnmatch.fnmatchcase(entry, pattern):
            yield entry


def start_argv(stage: Stage) -> tuple[list[str] | str, int] | None:
    """The command the final stage runs: ENTRYPOINT (exec form) followed by CMD, or either alone."""
    if stage.entrypoint is None:
        return stage.cmd
    entry, line = stage.entrypoint
    if isinstance(entry, list) and stage.cmd is not None and isinstance(stage.cmd[0], list):
        return [*entry, *stage.cmd[0]], line
    return entry, line


@dataclass(frozen=True)
class DockerStart:
    """What the final stage runs, with the image config Docker starts it with."""

    argv: list[str] | str  # exec form as a list, shell form as the string /bin/sh -c runs
    line: int
    workdir: str  # absolute; "/" when no stage sets one
    healthcheck: str | None


def final_start(text: str, source: str) -> DockerStart | None:
    """The start command of the image a Dockerfile builds, following stages, ``ARG`` and inherited
    ``CMD``: the one way mcheck reads a Dockerfile's start command. Raises
    :class:`MalformedInstruction` when that command's exec form is broken."""
    replayer = Replayer(source, ContextFiles([], "", _NO_IGNORE), "")
    final = replayer.run(text).final
    found = start_argv(final)
    if found is None:
        return None
    broken = [
        line
        for line in (found[1], final.cmd[1] if final.cmd else None)
        if line in replayer.malformed
    ]
    if broken:
        raise MalformedInstruction(broken[0], replayer.malformed[broken[0]])
    return DockerStart(found[0], found[1], final.workdir, final.healthcheck)


class _NoIgnore:
    def excluded_by(self, rel: str) -> None:
        return None


_NO_IGNORE = _NoIgnore()


def read_dockerfile_start(
    repo_root: Path, dockerfile: str, health_path: str | None, findings: list[Finding]
) -> list[StartCommand]:
    """The Dockerfile's CMD/ENTRYPOINT as a start command (used when the host does not override it)."""
    from mcheck.deploy.commands import make_start_command

    path = repo_root / dockerfile
    try:
        text = read_small_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        findings.append(Finding("MC503", dockerfile, f"{dockerfile} cannot be read: {exc}"))
        return []
    try:
        found = final_start(text, dockerfile)
    except MalformedInstruction as exc:
        findings.append(
            Finding(
                "MC503", dockerfile, f"{dockerfile} cannot be parsed: {exc.message}", line=exc.line
            )
        )
        return []
    if found is None:
        return []
    return [make_start_command(dockerfile, found.line, found.argv, health_path)]
