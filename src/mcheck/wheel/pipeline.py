"""The pipeline: discover -> build -> install -> probe -> diff/analyse -> report.

Each stage is a module with typed inputs and outputs; this module only sequences them, times them and
turns stage failures into findings. There is no global state: everything a run needs lives in a
:class:`Run`, and everything it produces in the returned :class:`~mcheck.findings.Report`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from mcheck.analysis import analyse_wheel
from mcheck.analysis.model import StaticAnalysis
from mcheck.cache import results as results_cache
from mcheck.cache.results import result_key
from mcheck.checks import CheckContext, run_checks
from mcheck.checks.contents import dropped_from_local_wheel
from mcheck.checks.probe_failures import probe_failure
from mcheck.errors import UsageError
from mcheck.findings import (
    Finding,
    ModuleCounts,
    ModuleOutcome,
    ModuleStatus,
    Report,
    SuiteSummary,
)
from mcheck.fix.prove import Tree
from mcheck.fix.session import fix_report
from mcheck.interpreters import Interpreter, interpreter_for
from mcheck.probes.apps import app_outcomes, app_targets, run_app_probe, serve_app
from mcheck.probes.imports import run_import_probe
from mcheck.probes.protocol import AppProbeResult, ProbeResult, SuiteResult
from mcheck.probes.runner import ProbeError
from mcheck.probes.suite import SuiteRun, run_suite
from mcheck.sandbox import require_sandbox
from mcheck.settings import Settings, load_file_settings, resolve_settings
from mcheck.stages import timed_stage
from mcheck.suppression import kept
from mcheck.wheel.across_pythons import merge_findings
from mcheck.wheel.artifacts import SdistContents, WheelContents
from mcheck.wheel.build import (
    BuildResult,
    backend_error,
    build_artifacts,
    raising_project_frame,
    unpack_sdist,
)
from mcheck.wheel.compatibility import foreign_tags
from mcheck.wheel.discover import Project, discover_project
from mcheck.wheel.install import (
    InstallFailed,
    TargetEnv,
    create_target_env,
    install_into,
    prefetch_dependencies,
    verify_links,
)
from mcheck.wheel.local_deps import LocalDependency, local_dependencies, workspace_siblings
from mcheck.wheel.pythons import SUPPORTED, PythonChoice, choose_pythons
from mcheck.wheel.replay import ResultInputs, replayable, result_inputs
from mcheck.wheel.selection import failure_anchor
from mcheck.wheel.source_map import RepoPaths, project_file, with_project_file_path
from mcheck.wheel.suite import (
    CodePaths,
    Suite,
    checkout_sys_path,
    copy_suite,
    find_suite,
    shipped_code,
)
from mcheck.wheel.suite_verdicts import SuiteComparison, suite_cases
from mcheck.workdirs import make_workdir, remove_workdir

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """How to run, as opposed to what to check: the latter are :class:`~mcheck.settings.Settings`.

    ``overrides`` holds settings given on the command line or to the API (``timeout``, ``select``, ...);
    they beat ``[tool.mcheck]``. A value of None means "not given".
    """

    overrides: Mapping[str, Any] = field(default_factory=dict)
    jobs: int = max(1, os.cpu_count() or 1)
    keep: bool = False
    source: Path | None = None  # the source tree of a given wheel
    serve: bool = False  # also start the real server command and poll the health path
    sandbox: bool = (
        False  # run the backend's hooks and the probes under bubblewrap (see sandbox.py)
    )
    pytest_args: tuple[str, ...] = ()  # with --tests: what follows `--` (-k EXPR, test paths)
    fix: str | None = None  # "write" (--fix) or "diff" (--diff): prove the findings' fixes
    force: bool = False  # --fix also where the files it touches have uncommitted changes
    # Replay the report of an earlier run with the same inputs (mcheck.cache.results); --fix's proof
    # runs never do: each proves a changed copy.
    replay: bool = True


@dataclass
class Artifacts:
    """What the build stage produced (or, for a given wheel, what the user handed in)."""

    wheel: WheelContents
    sdist: SdistContents | None = None
    fresh_wheel: WheelContents | None = None


@dataclass(frozen=True)
class PythonRun:
    """What checking the wheel on one interpreter produced."""

    python: Interpreter
    wheel: (
        WheelContents  # the built wheel, or the one built for this interpreter (a platform wheel)
    )
    findings: list[Finding]
    probe: ProbeResult | None
    app: AppProbeResult | None
    suite: SuiteComparison | None = None


class Run:
    """One ``mcheck wheel`` run on one target. Owns its temporary directory."""

    def __init__(self, target: Path, options: Options, progress: Progress | None = None) -> None:
        self.target = target
        self.options = options
        self.progress = progress or (lambda message: None)
        self.report = Report(target=str(target))
        self.sandbox = (
            require_sandbox() if options.sandbox else None
        )  # before mkdtemp: it may raise
        self.workdir = make_workdir()
        self.settings = Settings()
        # (interpreter label when several, the wheel, its probe), set once the wheel is known
        self._imported: list[tuple[str | None, WheelContents, ProbeResult | None]] = []
        self._suite: Suite | None = None  # with --tests: the project's suite, found once
        self._results: ResultInputs | None = None  # the result-cache key, when this run may store
        # Fills the venv cache from the sdist's metadata while the wheel builds (_prefetch_for).
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mcheck-prefetch")
        self._envs: list[TargetEnv] = []  # the venvs this run made (their links are verified)

    def stage(self, name: str) -> contextlib.AbstractContextManager[None]:
        return timed_stage(self.report, name, self.progress)

    def add(self, *findings: Finding) -> None:
        self.report.findings.extend(findings)

    def cleanup(self) -> None:
        self._background.shutdown(wait=True)  # its files live in the work directory
        for env in self._envs:  # a shared cached venv that this run wrote into is evicted
            verify_links(env)
        if self.options.keep:
            self.progress(f"kept the work directory {self.workdir}")
        else:
            remove_workdir(self.workdir)

    # --- the pipeline ---------------------------------------------------------------------------

    def execute(self) -> Report:
        project = self._discover()
        self.settings = self._settings(project)
        self.report.fail_on = self.settings.fail_on
        self._produce(project)
        if self.report.cached:
            return self.report
        self._finish(project)
        if self._results is not None:
            results_cache.store(result_key(self._results.key_identity), self.report)
        if self.options.fix is not None and project is not None:
            self._fix(project)
        return self.report

    def _fix(self, project: Project) -> None:
        """--fix/--diff: prove each finding's fix on a copy, then write or render the proven ones."""
        again = dataclasses.replace(self.options, fix=None, keep=False, replay=False)
        assert self.options.fix is not None
        with self.stage("fix"):
            fix_report(
                self.report,
                Tree.of_project(project),
                lambda root: run_pipeline(root, again),
                mode=self.options.fix,
                force=self.options.force,
            )

    def _finish(self, project: Project | None) -> None:
        """Apply the settings, then judge each module and locate each finding in the repository, so the
        reporters only format."""
        self.report.findings = kept(self.report.findings, self.settings)
        if self._imported:  # after filtering: an ignored import failure does not fail its module
            self.report.module_outcomes = [
                outcome
                for label, wheel, probe in self._imported
                for outcome in module_outcomes(wheel, probe, self.report.findings, label)
            ]
            self.report.modules = ModuleCounts.of(self.report.module_outcomes)
            wheel = self._imported[0][1]
            if project is not None:
                repo_paths = RepoPaths(wheel, project)
                self.report.findings = [repo_paths.resolve(f) for f in self.report.findings]
        if project is not None:  # code scanning anchors findings that name no file here
            self.report.findings = [
                with_project_file_path(f, project) for f in self.report.findings
            ]
            self.report.project_file = project_file(project)
        self.report.findings = [_without_venv_prefix(f, self.workdir) for f in self.report.findings]
        self.report.tests = [
            dataclasses.replace(case, detail=_venv_relative(case.detail, self.workdir))
            for case in self.report.tests
        ]

    def _settings(self, project: Project | None) -> Settings:
        config_dir = project.root if project is not None else _cwd_project()
        file_values, origin = load_file_settings(config_dir)
        settings = resolve_settings(file_values, self.options.overrides, origin)
        for request in settings.python:  # a missing interpreter is bad input, before any build
            if request != SUPPORTED:
                interpreter_for(request)
        return settings

    def _produce(self, project: Project | None) -> None:
        artifacts = self._artifacts(project)
        if artifacts is None:
            return
        choice = self._choose_pythons(artifacts.wheel)
        self._suite = self._find_suite(project)
        local_wheels = self._local_wheels(project)
        if local_wheels is not None and self._replayed(project, artifacts, local_wheels, choice):
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Static analysis needs only the wheel: it runs while the venvs are created and probed.
            analysis = pool.submit(analyse_wheel, artifacts.wheel)
            earlier = [*self.report.findings, *choice.findings]

            def check_on(python: Interpreter) -> PythonRun:
                return self._check_on(python, artifacts, project, local_wheels, analysis, earlier)

            if len(choice.interpreters) == 1:  # in this thread, as a Ctrl-C expects it
                runs = [check_on(choice.interpreters[0])]
            else:
                # Each interpreter's install, probes and checks are mostly subprocesses that wait
                # on I/O: two at a time overlap; a Ctrl-C stops each at its next stage.
                with ThreadPoolExecutor(max_workers=2) as runs_pool:
                    runs = list(runs_pool.map(check_on, choice.interpreters))
        many = len(runs) > 1
        self.report.findings = merge_findings([(r.python.label, r.findings) for r in runs])
        self.report.apps = [
            dataclasses.replace(outcome, python=r.python.label) if many else outcome
            for r in runs
            for outcome in (app_outcomes(r.app) if r.app else [])
        ]
        self._imported = [(r.python.label if many else None, r.wheel, r.probe) for r in runs]
        self.report.installed = {
            canonicalize_name(d.name): d.version
            for r in runs
            if r.probe is not None
            for d in r.probe.distributions
        }
        self.report.tests = [
            case
            for r in runs
            if r.suite is not None
            for case in suite_cases(r.suite, r.python.label if many else None)
        ]
        first = next((r.suite for r in runs if r.suite is not None), None)
        if self.report.suite is not None and first is not None:
            self.report.suite = dataclasses.replace(
                self.report.suite, collected=first.wheel.collected
            )

    def _replayed(
        self,
        project: Project | None,
        artifacts: Artifacts,
        local_wheels: list[Path],
        choice: PythonChoice,
    ) -> bool:
        """Look the run's inputs up in the result cache; on a hit the report is the stored one (with
        this run's timings and when it was computed) and the run is done."""
        options = self.options
        may_replay = options.replay and replayable(
            self.settings, fix=options.fix is not None, serve=options.serve, keep=options.keep
        )
        if not may_replay:
            return False
        with self.stage("results"):
            built = [artifacts.wheel.path, artifacts.sdist.path if artifacts.sdist else None]
            self._results = result_inputs(
                target=self.target,
                project=project,
                artifacts=[p for p in (*built, _path_of(artifacts.fresh_wheel)) if p is not None],
                local_wheels=local_wheels,
                interpreters=choice.interpreters,
                settings=self.settings,
                sandboxed=self.sandbox is not None,
                scratch=self.workdir / "replay",
            )
            stored = (
                results_cache.lookup(result_key(self._results.key_identity))
                if self._results is not None
                else None
            )
        if stored is None:
            return False
        self.report.stages[-1] = dataclasses.replace(
            self.report.stages[-1], name="results (cached)"
        )
        stored.target, stored.stages = self.report.target, self.report.stages
        self.report = stored
        self.progress(f"nothing changed since {stored.computed_at}: its findings replayed")
        return True

    def _find_suite(self, project: Project | None) -> Suite | None:
        """With --tests: the project's suite (said in the report either way)."""
        mode = self.settings.tests
        if mode is None or project is None:
            return None
        suite = find_suite(project, self.settings.tests_path, self.options.pytest_args)
        if suite is None:
            self.report.suite = SuiteSummary((), NO_SUITE, "", mode)
            self.progress(f"tests: {NO_SUITE}")
            return None
        self.report.suite = SuiteSummary(
            suite.paths, suite.chosen_by, suite.requirements.source, mode
        )
        self.progress(
            f"tests: {', '.join(suite.paths)} ({suite.chosen_by}), with {suite.requirements.source}"
        )
        return suite

    def _choose_pythons(self, wheel: WheelContents) -> PythonChoice:
        choice = choose_pythons(self.settings.python, wheel.requires_python)
        self.report.pythons = [i.full_version for i in choice.interpreters]
        self.report.pythons_chosen = choice.why
        self.progress(f"checking with {', '.join(self.report.pythons)}: {choice.why}")
        return choice

    def _check_on(
        self,
        python: Interpreter,
        artifacts: Artifacts,
        project: Project | None,
        local_wheels: list[Path] | None,
        analysis: Future[StaticAnalysis],
        earlier: list[Finding],
    ) -> PythonRun:
        """Install, import and check the wheel on one interpreter: its own findings, the earlier ones
        included (the merge tells which interpreters share them)."""
        wheel, foreign = artifacts.wheel, foreign_tags(artifacts.wheel.path.name, python.path)
        own_build = project is not None and self.target.suffix != ".whl"
        if foreign and own_build and python.path != sys.executable:
            # A platform wheel is built for the interpreter that builds it: build it with this one.
            rebuilt = self._build_for(project, python)
            if rebuilt is not None:
                wheel, foreign = rebuilt, foreign_tags(rebuilt.path.name, python.path)
        # A wheel the installers must not be given (MC604) or that is for another platform
        # (MC607) is checked, not installed.
        installable = local_wheels is not None and wheel.installable and not foreign
        label = python.label if len(self.report.pythons) > 1 else ""
        sink = list(earlier)  # this interpreter's findings: the runs may go on side by side
        env = self._install(wheel, local_wheels or [], python, sink, label) if installable else None
        probe = self._probe_imports(env, wheel, sink, label) if env is not None else None
        app = self._probe_apps(env, wheel, project, sink, label) if env is not None else None
        suite = (
            self._run_tests(env, wheel, project, local_wheels or [], sink, label)
            if env is not None and project is not None and self._suite is not None
            else None
        )
        with self.stage(_on("analyse", label)):
            artifacts = dataclasses.replace(artifacts, wheel=wheel)
            ctx = self._context(project, artifacts, probe, analysis, sink)
            ctx.app = app
            ctx.siblings = workspace_siblings(project.root) if project is not None else {}
            ctx.release = self.settings.release
            ctx.foreign_tags = foreign
            ctx.suite = suite
            findings = [f for f in run_checks(ctx) if not _silenced_inline(ctx, f)]
        return PythonRun(python, wheel, findings, probe, app, suite)

    def _build_for(self, project: Project, python: Interpreter) -> WheelContents | None:
        with self.stage(f"build ({python.label})"):
            built = self._build(project, f"build-{python.label}", python=python.path)
        wheel = built.wheel or built.tree_wheel
        return WheelContents.read(wheel) if wheel is not None else None

    def _discover(self) -> Project | None:
        with self.stage("discover"):
            if self.target.name.endswith(".tar.gz") and self.target.is_file():
                # A given sdist (`mcheck wheel --release dist/*`): checked as the file it is, and
                # its wheel built from it, as an installer builds it.
                return discover_project(unpack_sdist(self.target, self.workdir / "given-sdist"))
            if self.target.suffix == ".whl":
                if not self.target.is_file():
                    raise UsageError(f"{self.target}: no such file")
                if self.options.source is not None:
                    return discover_project(self.options.source)
                return _cwd_project_of(self.target)
            return discover_project(self.target)

    def _artifacts(self, project: Project | None) -> Artifacts | None:
        given = WheelContents.read(self.target) if self.target.suffix == ".whl" else None
        if project is None:
            assert given is not None
            return Artifacts(wheel=given)
        with self.stage("build"):
            built = self._build(project, "build", on_sdist=self._prefetch_for(project))
        if built.from_cache:  # say so in the timings (-v, JSON): the backend did not run
            self.report.stages[-1] = dataclasses.replace(
                self.report.stages[-1], name="build (cached)"
            )
        if built.failure is not None and built.tree_wheel is not None and built.sdist is not None:
            # The sdist path fails and the tree path works: report what the sdist lacks, and go on
            # with the wheel `pip install .` builds, so its own problems are not hidden.
            self.add(_sdist_path_failure(built))
            tree = WheelContents.read(built.tree_wheel)
            return Artifacts(
                wheel=given or tree,
                sdist=SdistContents.read(built.sdist),
                fresh_wheel=tree if given is not None else None,
            )
        if built.failure is not None:
            self.add(_build_failure(built, project))
            return Artifacts(wheel=given) if given is not None else None
        assert built.wheel is not None and built.sdist is not None
        fresh = WheelContents.read(built.wheel)
        sdist = SdistContents.read(self._given_sdist() or built.sdist)
        if given is not None:
            return Artifacts(wheel=given, sdist=sdist, fresh_wheel=fresh)
        return Artifacts(wheel=fresh, sdist=sdist)

    def _build(
        self,
        project: Project,
        directory: str,
        python: str | None = None,
        on_sdist: Callable[[Path], None] | None = None,
    ) -> BuildResult:
        """The build stage with this run's settings, in its own work directory."""
        return build_artifacts(
            project,
            self.workdir / directory,
            sandbox=self.sandbox,
            timeout=self.settings.build_timeout,
            cache=self.settings.cache,
            python=python,
            on_sdist=on_sdist,
        )

    def _prefetch_for(self, project: Project) -> Callable[[Path], None] | None:
        """Once the sdist is built, fill the venv cache for the dependencies it declares while the
        wheel builds: a cold run then finds them installed. Only where the install will use that
        entry: the cache on, mcheck's own interpreter, no local dependencies (their wheels are part
        of the resolution), a wheel built here."""
        if (
            not self.settings.cache
            or self.settings.python
            or self.target.suffix == ".whl"
            or local_dependencies(project.root, project.pyproject)
        ):
            return None

        def prefetch(sdist: Path) -> None:
            try:
                pkg_info = SdistContents.read(sdist).pkg_info_text
            except (OSError, ValueError, UsageError):  # the checks report an unreadable sdist
                return
            self._background.submit(
                prefetch_dependencies,
                pkg_info,
                self.workdir / "prefetch",
                extras=self.settings.extras,
            )

        return prefetch

    def _given_sdist(self) -> Path | None:
        return self.target if self.target.name.endswith(".tar.gz") else None

    def _probe_apps(
        self,
        env: TargetEnv,
        wheel: WheelContents,
        project: Project | None,
        sink: list[Finding],
        label: str = "",
    ) -> AppProbeResult | None:
        """Entry points and the ASGI app(s), imported from the installed wheel (and served with --serve)."""
        asgi_source = "--asgi" if self.settings.came_from_command_line("asgi") else "[tool.mcheck]"
        targets = app_targets(
            specs=self.settings.asgi,
            specs_source=asgi_source,
            health=self.settings.health,
            project_root=project.root if project else None,
            wheel_top_level=wheel.top_level_names,
            search_up_to=project.git_root if project else None,
        )
        if not targets and not wheel.entry_points:
            return None
        with self.stage(_on("app", label)):
            try:
                app = run_app_probe(
                    env.python,
                    wheel.entry_points,
                    targets,
                    timeout=self.settings.timeout,
                    workdir=self.workdir / _in("app-probe", label),
                    jobs=min(4, self.options.jobs),
                    sandbox=self.sandbox,
                )
            except ProbeError as exc:
                sink.append(probe_failure(exc))
                return None
            if self.options.serve:
                served = tuple(
                    serve_app(
                        env.python,
                        r.target,
                        list(r.target.command) or None,
                        timeout=self.settings.timeout,
                        workdir=self.workdir / _in(f"serve-{i}", label),
                    )
                    for i, r in enumerate(app.apps)
                    if r.exercised_cleanly
                )
                app = AppProbeResult(app.entry_points, app.apps + served)
            return app

    def _run_tests(
        self,
        env: TargetEnv,
        wheel: WheelContents,
        project: Project,
        local_wheels: list[Path],
        sink: list[Finding],
        label: str = "",
    ) -> SuiteComparison | None:
        """The project's tests against the installed wheel and (unless wheel-only) on the checkout,
        in the same venv, side by side when there are cores for both."""
        suite = self._suite
        assert suite is not None
        with self.stage(_on("tests", label)):
            extras = [*self.settings.extras, *suite.requirements.extras]
            own = f"{wheel.path}[{','.join(extras)}]" if extras else str(wheel.path)
            needs = [own, *map(str, local_wheels), *suite.requirements.requirements]
            try:
                install_into(env, needs, "install the test dependencies")
            except InstallFailed as exc:
                sink.append(_test_install_failure(suite, exc))
                return None
            workdir = self.workdir / _in("tests", label)
            runs = [self._wheel_side(suite, workdir, shipped_code(project, wheel))]
            if self.settings.tests == "both":
                runs.append(_checkout_side(suite, project, wheel))

            def run(side: SuiteRun) -> SuiteResult:
                return run_suite(
                    env.python,
                    side,
                    timeout=self.settings.tests_timeout,
                    workdir=workdir,
                    sandbox=self.sandbox,
                )

            try:
                with ThreadPoolExecutor(max_workers=min(2, self.options.jobs)) as pool:
                    results = list(pool.map(run, runs))
            except ProbeError as exc:
                sink.append(probe_failure(exc))
                return None
        return SuiteComparison(results[0], results[1] if len(results) > 1 else None, suite.position)

    def _wheel_side(self, suite: Suite, workdir: Path, code: CodePaths) -> SuiteRun:
        """The checkout without its code, copied below the probe's work directory (writable under
        --sandbox), run with the copy's own pytest.ini. Nothing the wheel is built from is on
        sys.path: pytest's import mode is the project's, as on the checkout, and the directories it
        may add are the copy's. (``--import-mode=importlib`` would change what the tests see: jinja2's
        suite imports its helper package ``res`` from ``tests/``, and reprs name the modules.)"""
        copy = workdir / "copy"
        cwd = copy_suite(suite, copy, code)
        options = (f"--confcutdir={copy}", "-c", str(copy / "pytest.ini"))
        return SuiteRun("wheel", cwd, copy, (), (*options, *suite.arguments()))

    def _probe_imports(
        self, env: TargetEnv, wheel: WheelContents, sink: list[Finding], label: str = ""
    ) -> ProbeResult | None:
        with self.stage(_on("probe", label)):
            modules = [m for m in wheel.modules if "__main__" not in m.split(".")]
            try:
                return run_import_probe(
                    env.python,
                    modules,
                    timeout=self.settings.timeout,
                    jobs=self.options.jobs,
                    workdir=self.workdir / _in("probe", label),
                    sandbox=self.sandbox,
                    on_progress=lambda done, total: self.progress(f"probe {done}/{total}"),
                )
            except ProbeError as exc:
                sink.append(probe_failure(exc))
                return None

    def _local_wheels(self, project: Project | None) -> list[Path] | None:
        """The wheels of the repository's projects this one depends on by path, built by the same
        build stage (cached); None when one of them does not build (its MC001 says why)."""
        dependencies = local_dependencies(project.root, project.pyproject) if project else []
        if not dependencies:
            return []
        wheels: list[Path] = []
        with self.stage("local"):
            for index, dependency in enumerate(dependencies):
                local = discover_project(dependency.root)
                built = self._build(local, f"local-{index}")
                wheel = built.wheel or built.tree_wheel
                if wheel is None:
                    self.add(_local_build_failure(dependency, local, built, project))
                    return None
                wheels.append(wheel)
                self.add(*_dropped_by_local_wheel(dependency, local, built, wheel, project))
        return wheels

    def _install(
        self,
        wheel: WheelContents,
        local_wheels: list[Path],
        python: Interpreter,
        sink: list[Finding],
        label: str = "",
    ) -> TargetEnv | None:
        with self.stage(_on("install", label)):
            try:
                env = create_target_env(
                    wheel.path,
                    self.workdir / _in("venv", label),
                    python=python.path,
                    extras=self.settings.extras,
                    cache=self.settings.cache,
                    local_wheels=local_wheels,
                    pins=self._results.pins.get(python.path) if self._results else None,
                )
                self._envs.append(env)
                return env
            except InstallFailed as exc:
                sink.append(
                    Finding(
                        "MC002",
                        path=None,
                        message=f"{wheel.path.name} does not install into a fresh venv: {exc}",
                        hint=exc.log_tail or None,
                    )
                )
                return None

    def _context(
        self,
        project: Project | None,
        artifacts: Artifacts,
        probe: ProbeResult | None,
        analysis: Future[StaticAnalysis],
        earlier: list[Finding],
    ) -> CheckContext:
        return CheckContext(
            wheel=artifacts.wheel,
            project=project,
            sdist=artifacts.sdist,
            fresh_wheel=artifacts.fresh_wheel,
            probe=probe,
            analysis=analysis.result(),
            earlier=list(earlier),
        )


NO_SUITE = "no tests found: no tests-path, no pytest testpaths, no tests/ or test/ directory"


def _checkout_side(suite: Suite, project: Project, wheel: WheelContents) -> SuiteRun:
    """The tests where they are, the source tree first on sys.path, as a developer runs them."""
    sys_path = tuple(checkout_sys_path(project, wheel))
    return SuiteRun("checkout", project.root, suite.base, sys_path, tuple(suite.arguments()))


def _test_install_failure(suite: Suite, error: InstallFailed) -> Finding:
    return Finding(
        "MC003",
        path=None,
        message=f"the tests did not run: their dependencies ({suite.requirements.source}) do not "
        f"install next to the wheel: {error}",
        hint=error.log_tail or None,
    )


def _local_build_failure(
    dependency: LocalDependency, local: Project, built: BuildResult, project: Project | None
) -> Finding:
    """MC001 at the dependency's own build file: the member cannot be installed without it."""
    declared = project.root if project is not None else dependency.declared_by
    relative = os.path.relpath(dependency.root.resolve(), declared.resolve())
    build_file = "pyproject.toml" if (local.root / "pyproject.toml").is_file() else "setup.py"
    where = project_file(local) if local.git_root is not None else f"{relative}/{build_file}"
    failure = built.failure
    reason = failure.message if failure is not None else "no wheel was built"
    return Finding(
        "MC001",
        path=where,
        message=f"{dependency.name} ({relative}), a local dependency declared by "
        f"{dependency.how}, does not build: {reason}",
        hint=failure.log_tail if failure is not None and failure.log_tail else None,
    )


def _dropped_by_local_wheel(
    dependency: LocalDependency,
    local: Project,
    built: BuildResult,
    wheel: Path,
    project: Project | None,
) -> list[Finding]:
    """The sibling's own MC101/MC102: files its wheel drops are dropped for this project's users too,
    and they are the root cause the import probe links this project's failures to."""
    sdist = SdistContents.read(built.sdist) if built.sdist is not None else None
    declared = project.root if project is not None else dependency.declared_by
    relative = os.path.relpath(dependency.root.resolve(), declared.resolve())
    label = f"in the local dependency {dependency.name} ({relative})"
    return dropped_from_local_wheel(local, WheelContents.read(wheel), sdist, label)


def run_pipeline(target: Path, options: Options, progress: Progress | None = None) -> Report:
    run = Run(target, options, progress)
    try:
        return run.execute()
    finally:
        run.cleanup()


def _path_of(wheel: WheelContents | None) -> Path | None:
    return wheel.path if wheel is not None else None


def _on(stage: str, python: str) -> str:
    """A stage's name in the timings: ``install (3.12)`` when a run checks several interpreters."""
    return f"{stage} ({python})" if python else stage


def _in(directory: str, python: str) -> str:
    """A work directory of one interpreter's venv and probes: ``3.12-venv`` when there are several."""
    return f"{python}-{directory}" if python else directory


def _silenced_inline(ctx: CheckContext, finding: Finding) -> bool:
    """``# mcheck: ignore[MC202]`` on the line a source-located finding points at."""
    return (
        ctx.analysis is not None
        and finding.path is not None
        and ctx.analysis.is_ignored(finding.path, finding.line, finding.code)
    )


def _cwd_project() -> Path | None:
    cwd = Path.cwd()
    return cwd if (cwd / "pyproject.toml").is_file() or (cwd / "setup.py").is_file() else None


def _without_venv_prefix(finding: Finding, workdir: Path) -> Finding:
    """Messages quote tracebacks from the throw-away venv; ``monkey_coder/models/__init__.py`` says what
    ``/tmp/mcheck-x1y2/venv/lib/python3.11/site-packages/monkey_coder/models/__init__.py`` says, and the
    same on every run."""
    message, hint = _venv_relative(finding.message, workdir), _venv_relative(finding.hint, workdir)
    if message == finding.message and hint == finding.hint:
        return finding
    return dataclasses.replace(finding, message=message or "", hint=hint)


def _venv_relative(text: str | None, workdir: Path) -> str | None:
    """``text`` with the run's venv site-packages prefix taken off every path in it."""
    if not text:
        return text
    prefix = re.compile(
        re.escape(str(workdir)) + r"/(?:[0-9.]+-)?venv/lib/python[0-9.]+/site-packages/"
    )
    return prefix.sub("", text)


def _cwd_project_of(wheel: Path) -> Project | None:
    """The current directory's project when it is the one that builds ``wheel`` (same distribution name, or
    a name only ``setup.py`` knows): checking a downloaded wheel from inside an unrelated checkout must not
    diff it against that checkout."""
    cwd = _cwd_project()
    if cwd is None:
        return None
    project = discover_project(cwd)
    try:
        wheel_name = parse_wheel_filename(wheel.name)[0]
    except InvalidWheelFilename:
        return None
    return (
        project if project.name is None or canonicalize_name(project.name) == wheel_name else None
    )


def _sdist_path_failure(built: BuildResult) -> Finding:
    assert built.failure is not None
    lacks = built.sdist_lacks
    cause = (
        f"the sdist lacks {', '.join(lacks)}, which the backend reads when it builds the wheel"
        if lacks
        else "the sdist lacks a file the backend needs (see the log)"
    )
    fix = (
        f"ship it in the sdist (setuptools: MANIFEST.in `include {lacks[0]}`; hatchling: "
        f'[tool.hatch.build.targets.sdist] include; poetry: include with format = ["sdist"])'
        if lacks
        else None
    )
    return Finding(
        "MC001",
        path=lacks[0] if lacks else None,
        message=f"the wheel does not build from the sdist (`pip install pkg.tar.gz`, `uv build`): "
        f"{built.failure.message}; it builds from the source tree (`pip install .`), so "
        f"{cause}",
        hint="\n".join(filter(None, [fix, built.failure.log_tail])) or None,
    )


def _build_failure(built: BuildResult, project: Project) -> Finding:
    assert built.failure is not None
    failure = built.failure
    error = backend_error(failure.log_tail)
    message = f"building the {failure.stage} failed: {failure.message}" + (
        f": {error}" if error else ""
    )
    # Anchor it where the user fixes it: the project file that raised, else the file or setting the
    # error names.
    path, line = raising_project_frame(failure) or (
        failure_anchor(project, error) if error else (None, None)
    )
    return Finding("MC001", path=path, message=message, hint=failure.log_tail or None, line=line)


FAILED_IMPORT_CODES = ("MC301", "MC302", "MC303")


def module_outcomes(
    wheel: WheelContents,
    probe: ProbeResult | None,
    findings: list[Finding],
    python: str | None = None,
) -> list[ModuleOutcome]:
    """One outcome per shipped (or probed) module, judged by the findings that survived the settings;
    with ``python``, by the findings that occur on that interpreter."""
    findings = [f for f in findings if python is None or not f.pythons or python in f.pythons]
    failed = {
        name for f in findings if f.code in FAILED_IMPORT_CODES for name in (f.path, *f.affects)
    }
    optional = {f.path: f.message for f in findings if f.code == "MC304"}
    probed = probe.modules if probe is not None else {}
    outcomes = []
    for name in sorted(set(wheel.modules) | set(probed)):
        result = probed.get(name)
        seconds = result.seconds if result is not None else None
        if name in failed:
            outcomes.append(ModuleOutcome(name, ModuleStatus.FAILED, seconds, python=python))
        elif result is not None and (result.status == "ok" or result.import_order is not None):
            # an MC305 module imports, after its package: judged by its warning, not as a failure
            outcomes.append(ModuleOutcome(name, ModuleStatus.OK, seconds, python=python))
        else:
            reason = _skip_reason(name, probe, optional)
            outcomes.append(ModuleOutcome(name, ModuleStatus.SKIPPED, seconds, reason, python))
    return outcomes


def _skip_reason(name: str, probe: ProbeResult | None, optional: dict[str | None, str]) -> str:
    if probe is None:
        return "not imported: the wheel could not be installed or probed"
    result = probe.modules.get(name)
    if result is None:
        if "__main__" in name.split("."):
            return "not imported: a __main__ module runs the program when imported"
        return "not imported by the probe"
    return (
        optional.get(name)
        or f"import {result.status}, but no finding for it is reported (select/ignore)"
    )
