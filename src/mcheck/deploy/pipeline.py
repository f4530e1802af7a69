"""``mcheck deploy``: check a service deployed from a directory (not installed as a wheel).

Stages, in order: ``read`` the deploy files -> ``context``: reconstruct the container filesystem ->
``follow`` each start command's first-party imports (static) -> ``install`` a venv from the service's
requirements -> ``probe`` each start target there (and, for an ASGI server, lifespan and the health
GET) -> ``analyse``: the registered deploy checks (:mod:`mcheck.checks.service`) judge what ran.
Then the settings, inline suppressions and reporters apply exactly as for ``mcheck wheel``.
"""

from __future__ import annotations

import dataclasses
import posixpath
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from mcheck.checks import DeployContext, run_checks
from mcheck.checks.contents import dropped_from_local_wheel
from mcheck.deploy.commands import parse_command, repository_of, requirements_file_lines
from mcheck.deploy.configs import read_deploy_config
from mcheck.deploy.entrypoint_scripts import through_scripts
from mcheck.deploy.follow import Analysis, Follower, Target, requirement_names
from mcheck.deploy.model import (
    DeployConfig,
    LocalInstall,
    RequirementRef,
    Runtime,
    TargetRun,
    extras_of,
)
from mcheck.deploy.resolve import FileTree
from mcheck.deploy.runtime import reconstruct
from mcheck.deploy.service_python import choose_service_python
from mcheck.errors import UsageError
from mcheck.findings import Finding, Report
from mcheck.fix.prove import Tree
from mcheck.fix.session import fix_report
from mcheck.gitcmd import git_text
from mcheck.interpreters import resolve_interpreter
from mcheck.probes.apps import run_app_probe
from mcheck.probes.protocol import AppResult, AppTarget
from mcheck.probes.runner import ProbeError
from mcheck.probes.service import (
    EnvFailed,
    add_runtime_path,
    create_service_env,
    host_path,
    installed_versions,
    materialise,
    run_target_probe,
)
from mcheck.sandbox import Sandbox, require_sandbox
from mcheck.settings import Settings, load_file_settings, resolve_settings
from mcheck.smallfiles import SOURCE_FILE_LIMIT, read_small_text
from mcheck.stages import Progress, timed_stage
from mcheck.suppression import kept, silenced_in_files
from mcheck.wheel.artifacts import SdistContents, WheelContents
from mcheck.wheel.build import build_artifacts
from mcheck.wheel.discover import (
    RepositoryRoot,
    discover_project,
    find_git_root,
    find_repository_root,
    list_source_files,
)
from mcheck.wheel.local_deps import source_top_level_names, top_level_names_of
from mcheck.workdirs import make_workdir, remove_workdir


def check_deploy(
    service_dir: str | Path,
    *,
    repo_root: str | Path | None = None,
    timeout: float | None = None,
    python: str | None = None,
    install: bool = True,
    app_probe: bool = True,
    keep: bool = False,
    sandbox: bool = False,
    progress: Progress | None = None,
    fix: str | None = None,
    force: bool = False,
    **settings: Any,
) -> Report:
    """Check the service rooted at ``service_dir``. ``repo_root`` defaults to the git top level, else
    the nearest directory above holding ``render.yaml``, a compose file or a uv workspace root, else
    the current directory when the service is inside it (:func:`find_repository_root`); the report
    says which it used.

    ``install=False`` skips the venv and every runtime probe (static checks only); ``sandbox`` runs the
    probes under bubblewrap, as ``mcheck wheel --sandbox`` does. ``settings`` override
    ``[tool.mcheck]`` of the service directory (else of the repository root) as for ``check_wheel``:
    ``select``, ``ignore``, ``per_path_ignores``, ``fail_on``. ``fix`` is "write" (``--fix``) or
    "diff" (``--diff``): the findings' fixes are proven on copies of the repository (the service
    checked again there), then written to it or rendered in ``report.fix_diff``. Raises
    :class:`~mcheck.errors.UsageError` for bad input: a missing directory, a service outside
    ``repo_root``, an unknown setting or code.
    """
    service, repository = _paths(Path(service_dir), repo_root)
    root = repository.path
    resolved, config_dir = _deploy_settings(
        service, root, {"timeout": timeout, "python": python, **settings}
    )
    say = progress or (lambda message: None)
    report = Report(target=str(service_dir), fail_on=resolved.fail_on)
    report.repository_root = (str(root), repository.found_by)
    say(f"repository root {root} ({repository.found_by})")
    host_env = _host_env(resolved, service, config_dir)
    isolation = require_sandbox() if sandbox else None  # before mkdtemp: it may raise
    workdir = make_workdir("mcheck-deploy-")
    try:
        run = _DeployRun(
            service,
            root,
            report,
            say,
            workdir,
            timeout=resolved.timeout,
            python=_service_interpreter(resolved.python),
            sandbox=isolation,
            host_env=host_env,
        )
        run.execute(install=install, app_probe=app_probe)
    finally:
        if keep:
            say(f"kept the work directory {workdir}")
        else:
            remove_workdir(workdir)
    report.findings = silenced_in_files(kept(_unique(report.findings), resolved), root)
    if fix is not None:

        def again(copy: Path) -> Report:
            return check_deploy(
                copy / service.relative_to(root),
                repo_root=copy,
                timeout=timeout,
                python=python,
                install=install,
                app_probe=app_probe,
                sandbox=sandbox,
                **settings,
            )

        git_root = find_git_root(root)
        tree = Tree(root, tuple(list_source_files(root, git_root)), git_root is not None)
        with timed_stage(report, "fix", say):
            fix_report(report, tree, again, mode=fix, force=force)
    return report


def _service_interpreter(requests: tuple[str, ...]) -> str | None:
    """The one interpreter ``--python`` names for the service (a service runs on one Python).
    ``supported`` (a ``[tool.mcheck]`` shared with ``mcheck wheel``) means the service's own."""
    if not requests or requests == ("supported",):
        return None
    if len(requests) > 1 or "supported" in requests:
        raise UsageError(
            f"deploy: python takes one interpreter (the one the service runs), not {requests!r}"
        )
    return resolve_interpreter(requests[0])


def _host_env(settings: Settings, service: Path, config_dir: Path | None) -> dict[str, str]:
    """The variables of the env-file setting. A relative path given on the command line (or to the
    API) is tried from the current directory, then the service's; one written in a configuration
    file is relative to that file's directory wherever mcheck runs (compose's env_file is too)."""
    if not settings.env_file:
        return {}
    path = Path(settings.env_file)
    if settings.came_from_command_line("env_file") or config_dir is None:
        candidates = [path] if path.is_absolute() else [path, service / path]
        return read_env_file(candidates, f"--env-file {path}")
    where = settings.sources.get("env_file", "configuration")
    return read_env_file([config_dir / path], f"env-file {path} (in {where})")


def read_env_file(candidates: list[Path], label: str) -> dict[str, str]:
    """``KEY=VALUE`` lines of the first of ``candidates`` that exists (``export`` prefixes, comments
    and quotes as dotenv writes them); ``label`` names the setting in errors."""
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise UsageError(f"{label}: no such file")
    env: dict[str, str] = {}
    try:
        text = read_small_text(found)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{label}: cannot read {found}: {exc}") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"{found}:{number}: not a KEY=VALUE line")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def _deploy_settings(
    service: Path, root: Path, overrides: dict[str, Any]
) -> tuple[Settings, Path | None]:
    """``[tool.mcheck]`` (or mcheck.toml) of the service directory, else of the repository root;
    and the directory of the file they came from (None when neither has any)."""
    for directory in (service, root):
        values, origin = load_file_settings(directory)
        if origin is not None:
            return resolve_settings(values, overrides, origin), directory
    return resolve_settings({}, overrides), None


def _paths(service_dir: Path, repo_root: str | Path | None) -> tuple[Path, RepositoryRoot]:
    if not service_dir.is_dir():
        raise UsageError(f"{service_dir}: not a directory")
    service = service_dir.resolve()
    repository = (
        RepositoryRoot(Path(repo_root).resolve(), "--repo-root")
        if repo_root is not None
        else find_repository_root(service, Path.cwd())
    )
    root = repository.path
    if not root.is_dir():
        raise UsageError(f"{repo_root}: not a directory")
    if service != root and root not in service.parents:
        raise UsageError(f"{service_dir} is not inside the repository root {root}")
    return service, repository


class _DeployRun:
    """One ``mcheck deploy`` run on one service; the caller owns the work directory."""

    def __init__(
        self,
        service: Path,
        root: Path,
        report: Report,
        say: Progress,
        workdir: Path,
        *,
        timeout: float,
        python: str | None,
        sandbox: Sandbox | None = None,
        host_env: dict[str, str] | None = None,
    ) -> None:
        self.service, self.root, self.report, self.say = service, root, report, say
        self.host_env = host_env or {}  # --env-file: the variables the host gives the service
        self.workdir, self.timeout, self.python, self.sandbox = workdir, timeout, python, sandbox

    def stage(self, name: str):
        return timed_stage(self.report, name, self.say)

    def execute(self, *, install: bool, app_probe: bool) -> None:
        with self.stage("read"):
            repo_files = list_source_files(self.root, find_git_root(self.root))
            config = read_deploy_config(self.service, self.root, repo_files)
            # Code scanning places findings that name no file at the service's deploy file.
            self.report.project_file = (
                config.files_read[0] if config.files_read else config.dockerfile
            )
            self.report.findings.extend(config.findings)
        with self.stage("context"):
            runtime, findings = reconstruct(config, self.root, repo_files)
            self.report.findings.extend(findings)
            runtime.local_installs = _this_repository_only(runtime.local_installs, self.root)
            config.start_commands = [
                through_scripts(s, runtime, self._read_repository_file)
                for s in config.start_commands
            ]
            projects = _project_dirs(repo_files)
            runtime.installed_names = frozenset(
                [
                    *(n for i in self._local_installs(runtime) for n in self._names(runtime, i)),
                    *(
                        n
                        for d in _meant(runtime, projects)
                        for n in source_top_level_names(self.root / d)
                    ),
                ]
            )
        with self.stage("follow"):
            analyses = self._follow(config, runtime, repo_files)
        ctx = DeployContext(
            config=config, runtime=runtime, analyses=analyses, repository_projects=projects
        )
        runnable = [
            a
            for a in analyses
            if a.target is not None and (a.target.file is not None or a.target.installed)
        ]
        if install and runnable:
            self._run_targets(ctx, runnable, app_probe=app_probe)
        with self.stage("analyse"):
            ctx.earlier = list(self.report.findings)
            self.report.findings = run_checks(ctx)

    def _read_repository_file(self, repo_file: str) -> str | None:
        try:
            return read_small_text(self.root / repo_file, errors="replace")
        except OSError:
            return None

    def _service_python(self, runtime: Runtime) -> str | None:
        """The interpreter the service will run, or the nearest installed (MC004 says so)."""
        chosen = choose_service_python(runtime, self.service)
        self.say(chosen.said)
        if chosen.finding is not None:
            self.report.findings.append(chosen.finding)
        return chosen.python

    def _follow(
        self, config: DeployConfig, runtime: Runtime, repo_files: list[str]
    ) -> list[Analysis]:
        follower = Follower(runtime, FileTree(repo_files), self.root)
        analyses: list[Analysis] = []
        seen: set[tuple[tuple[str, ...], str | None]] = set()
        for start in config.start_commands:
            key = (tuple(start.argv), start.cwd)
            if key in seen:
                continue
            seen.add(key)
            analysis = follower.analyse(start)
            if analysis is not None:
                analyses.append(analysis)
                self.report.findings.extend(analysis.findings)
        return analyses

    # --- the runtime stages -------------------------------------------------------------------------------

    def _run_targets(
        self, ctx: DeployContext, runnable: list[Analysis], *, app_probe: bool
    ) -> None:
        fs_root = materialise(ctx.runtime, self.root, self.workdir / "root")
        ctx.fs_root = str(fs_root)
        if self.python is None:
            self.python = self._service_python(ctx.runtime)
        with self.stage("install"):
            try:
                interpreter = self._environment(ctx.runtime, fs_root)
            except EnvFailed as exc:
                ctx.env_failure = exc
                return
        ctx.requirement_dists = tuple(sorted(requirement_names(ctx.runtime, self.root)))
        self.report.installed = installed_versions(self.workdir / "venv")
        with self.stage("probe"):
            ctx.targets = [
                self._run_target(ctx, interpreter, fs_root, analysis, index, app_probe)
                for index, analysis in enumerate(runnable)
            ]

    def _run_target(
        self,
        ctx: DeployContext,
        interpreter: Path,
        fs_root: Path,
        analysis: Analysis,
        index: int,
        app_probe: bool,
    ) -> TargetRun:
        target = analysis.target
        assert target is not None
        try:
            result = run_target_probe(
                interpreter,
                fs_root,
                target,
                sorted(analysis.third_party),
                timeout=self.timeout,
                workdir=self.workdir / f"probe-{index}",
                env={**ctx.config.env, **ctx.runtime.env, **self.host_env},
                sandbox=self.sandbox,
            )
        except ProbeError as exc:
            return TargetRun(analysis, failure=exc)
        run = TargetRun(analysis, result=result)
        if not (app_probe and result.ok and result.has_attr is not False and _serves_asgi(target)):
            return run
        try:
            app = self._asgi(interpreter, fs_root, target, index)
        except ProbeError as exc:
            return TargetRun(analysis, result=result, app_failure=exc)
        return TargetRun(analysis, result=result, app=app)

    def _local_installs(self, runtime: Runtime) -> list[LocalInstall]:
        """The repository's projects the build installs, other than the service's own working
        directory (its code is imported from there anyway), each once."""
        own = runtime.workdir.rstrip("/")
        found: dict[tuple[str | None, str | None], LocalInstall] = {}
        for install in runtime.local_installs:
            if install.repo_dir is None or (install.container_path or "").rstrip("/") == own:
                continue
            found.setdefault((install.container_path, install.repo_dir), install)
        return list(found.values())

    def _names(self, runtime: Runtime, install: LocalInstall) -> tuple[str, ...]:
        """Top-level names the installed project holds: of what the build copied to its container
        directory (which may differ from the repository's: a flattening ``COPY``), else of the
        repository directory a ``git+`` URL names."""
        if install.container_path is None:
            assert install.repo_dir is not None
            return source_top_level_names(self.root / install.repo_dir)
        return top_level_names_of([relative for relative, _ in install.files])

    def _local_wheels(self, runtime: Runtime, fs_root: Path) -> list[str]:
        """Wheels of the repository's projects the build installs, built by mcheck wheel's build
        stage (cached): from what the container holds at the installed path (``COPY packages/core
        /opt/core`` + ``pip install /opt/core``), or from the repository directory a ``git+`` URL of
        this repository names; never an index's package of the same name."""
        wheels: list[str] = []
        for index, install in enumerate(self._local_installs(runtime)):
            assert install.repo_dir is not None
            source = (
                self._materialise_project(install, self.workdir / f"local-src-{index}")
                if install.container_path is not None
                else self.root / install.repo_dir
            )
            project = discover_project(source)
            built = build_artifacts(
                project, self.workdir / f"local-{index}", self.sandbox, cache=True
            )
            wheel = built.wheel or built.tree_wheel
            if wheel is None:
                reason = built.failure.message if built.failure else "no wheel was built"
                log = built.failure.log_tail if built.failure else ""
                raise EnvFailed(f"{install.shown} does not build: {reason}", log)
            wheels.append(f"{wheel}{extras_of(install.written)}")  # and the extras' needs
            sdist = SdistContents.read(built.sdist) if built.sdist is not None else None
            label = f"in the repository's package {install.repo_dir}/ that the build installs"
            dropped = dropped_from_local_wheel(project, WheelContents.read(wheel), sdist, label)
            self.report.findings.extend(
                dataclasses.replace(f, repo_path=self._repository_path(runtime, f, install))
                for f in dropped
            )
        return wheels

    def _requirements_file(self, ref: RequirementRef, fs_root: Path) -> Path:
        """Where the requirements file is: in the materialised image, or, when a builder stage read
        it and the final image does not keep it, copied there from the repository."""
        path = host_path(fs_root, ref.container_path)
        if not path.is_file() and ref.repo_path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.root / ref.repo_path, path)
        return path

    def _materialise_project(self, install: LocalInstall, directory: Path) -> Path:
        """The project as the build had it when it ran ``pip install``: its files at that moment,
        copied from the repository (not symlinked: the build must not reach the checkout)."""
        for relative, repo in install.files:
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.root / repo, target)
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def _repository_path(
        self, runtime: Runtime, finding: Finding, install: LocalInstall
    ) -> str | None:
        """The repository file a dropped file of an installed project is (its path is relative to
        the project as built: the container directory, or the repository directory)."""
        relative = finding.repo_path
        if relative is None:
            return None
        if install.container_path is not None:
            return dict(install.files).get(relative, relative)
        joined = posixpath.join(install.repo_dir or "", relative)
        return joined if (self.root / joined).is_file() else relative

    def _environment(self, runtime: Runtime, fs_root: Path) -> Path:
        files = [
            _without_local_projects(self._requirements_file(r, fs_root), self.workdir / "reqs")
            for r in runtime.requirements
            if r.present
        ]
        remote = [
            i.written for i in runtime.local_installs if i.repo_dir is None and "git+" in i.written
        ]
        packages = [*runtime.packages, *remote, *self._local_wheels(runtime, fs_root)] or (
            _pyproject_dependencies(runtime, fs_root) if not files else []
        )
        if not files and not packages:
            self.say(
                "no requirements file or packages in the build: third-party imports are checked "
                "against an empty venv"
            )
        return create_service_env(
            self.workdir / "venv",
            files,
            packages,
            python=self.python,
            cwd=host_path(fs_root, runtime.workdir),
            constraints=sorted(set(runtime.constraints)),
        )

    def _asgi(self, interpreter: Path, fs_root: Path, target: Target, index: int) -> AppResult:
        """Lifespan startup and the health GET, through the app probe (raises ProbeError)."""
        add_runtime_path(interpreter, [host_path(fs_root, p) for p in target.sys_path])
        app = AppTarget(
            spec=f"{target.module}:{target.call.attr}",
            factory=target.call.factory,
            health=target.start.health_path,
            source=_where(target),
            command=tuple(target.start.argv),
        )
        return run_app_probe(
            interpreter,
            {},
            [app],
            timeout=self.timeout,
            workdir=self.workdir / f"app-{index}",
            sandbox=self.sandbox,
            env=self.host_env,
        ).apps[0]


def _this_repository_only(installs: list[LocalInstall], root: Path) -> list[LocalInstall]:
    """A ``git+URL#subdirectory=DIR`` install is this checkout's DIR only when the URL is this
    repository's ``origin`` (without a remote, a project at DIR is taken as the evidence); another
    repository's package is installed from its URL."""
    origin = _origin_url(root)
    if origin is None:
        return installs
    return [
        dataclasses.replace(i, repo_dir=None)
        if "git+" in i.written and repository_of(i.written) != repository_of(origin)
        else i
        for i in installs
    ]


def _origin_url(root: Path) -> str | None:
    try:
        url = git_text(["config", "--get", "remote.origin.url"], repo=root, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return url.strip() or None


def _without_local_projects(path: Path, out_dir: Path, depth: int = 0) -> Path:
    """A copy of requirements file ``path`` without its local projects (``-e ../core``, ``./pkg``,
    ``git+...#subdirectory=``), which mcheck builds and installs itself (the same project twice is a
    conflict for uv, a path the build lacks a failure), its includes pointing at such copies too."""
    try:
        text = read_small_text(path, errors="replace")
    except OSError:
        return path
    entries = {e.line: e for e in requirements_file_lines(text)}
    if not entries or depth > 5:
        return path
    lines = text.splitlines()
    for number, entry in entries.items():
        if entry.kind == "local":
            lines[number - 1] = ""
        else:
            included = _without_local_projects(path.parent / entry.value, out_dir, depth + 1)
            flag = entry.text.split(None, 1)[0].split("=", 1)[0]
            lines[number - 1] = f"{flag} {included}"
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / f"{len(list(out_dir.iterdir()))}-{path.name}"
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return copy


def _project_dirs(repo_files: list[str]) -> tuple[str, ...]:
    """Repository directories that hold a Python project (a pyproject.toml or a setup.py)."""
    names = ("pyproject.toml", "setup.py")
    dirs = {posixpath.dirname(f) for f in repo_files if posixpath.basename(f) in names}
    return tuple(sorted(d for d in dirs if d))


def _meant(runtime: Runtime, projects: tuple[str, ...]) -> list[str]:
    """The repository projects a local install that finds nothing meant (``pip install /opt/core``
    with nothing copied to /opt/core: the project directory named ``core``)."""
    meant = []
    for install in runtime.local_installs:
        if install.repo_dir is None and install.container_path is not None:
            name = posixpath.basename(install.container_path.rstrip("/"))
            meant.extend(d for d in projects if posixpath.basename(d) == name)
    return meant


def _serves_asgi(target: Target) -> bool:
    parsed = parse_command(target.start.argv)
    return parsed.asgi and target.module not in (None, "__main__") and bool(target.call.attr)


def _where(target: Target) -> str:
    start = target.start
    return f"{start.source_file}:{start.line}" if start.line else start.source_file


def _pyproject_dependencies(runtime: Runtime, fs_root: Path) -> list[str]:
    """Root-directory builders install a pyproject.toml's dependencies when there is no requirements file."""
    path = host_path(fs_root, posixpath.join(runtime.workdir, "pyproject.toml"))
    try:
        data = tomllib.loads(read_small_text(path, limit=SOURCE_FILE_LIMIT))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return []
    deps = data.get("project", {}).get("dependencies", [])
    return [d for d in deps if isinstance(d, str)]


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
