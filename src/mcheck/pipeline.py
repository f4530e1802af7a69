"""The pipeline: discover -> build -> install -> probe -> diff/analyse -> report.

Each stage is a module with typed inputs and outputs; this module only sequences them, times them and
turns stage failures into findings. There is no global state: everything a run needs lives in a
:class:`Run`, and everything it produces in the returned :class:`~mcheck.findings.Report`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcheck.analysis import analyse_wheel
from mcheck.analysis.model import StaticAnalysis
from mcheck.app_model import AppProbeResult
from mcheck.app_probe import AppProbeError, app_targets, run_app_probe, serve_app
from mcheck.artifacts import SdistContents, WheelContents
from mcheck.build import BuildResult, build_artifacts
from mcheck.checks import CheckContext, run_checks
from mcheck.config import Settings, load_file_settings, resolve_settings
from mcheck.environment import InstallFailed, TargetEnv, create_target_env
from mcheck.errors import UsageError
from mcheck.findings import Finding, ModuleCounts, Report, StageTiming
from mcheck.probe import ProbeError, run_import_probe
from mcheck.probe_model import ProbeResult
from mcheck.project import Project, discover_project

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """How to run, as opposed to what to check: the latter are :class:`~mcheck.config.Settings`.

    ``overrides`` holds settings given on the command line or to the API (``timeout``, ``select``, ...);
    they beat ``[tool.mcheck]``. A value of None means "not given".
    """

    overrides: Mapping[str, Any] = field(default_factory=dict)
    jobs: int = max(1, os.cpu_count() or 1)
    keep: bool = False
    source: Path | None = None  # the source tree of a given wheel
    serve: bool = False  # also start the real server command and poll the health path


@dataclass
class Artifacts:
    """What the build stage produced (or, for a given wheel, what the user handed in)."""

    wheel: WheelContents
    sdist: SdistContents | None = None
    fresh_wheel: WheelContents | None = None


class Run:
    """One ``mcheck wheel`` run on one target. Owns its temporary directory."""

    def __init__(self, target: Path, options: Options, progress: Progress | None = None) -> None:
        self.target = target
        self.options = options
        self.progress = progress or (lambda message: None)
        self.report = Report(target=str(target))
        self.workdir = Path(tempfile.mkdtemp(prefix="mcheck-"))
        self.settings = Settings()

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.progress(name)
        started = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.report.stages.append(StageTiming(name, round(time.perf_counter() - started, 3), ok))

    def add(self, *findings: Finding) -> None:
        self.report.findings.extend(findings)

    def cleanup(self) -> None:
        if self.options.keep:
            self.progress(f"kept the work directory {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- the pipeline ---------------------------------------------------------------------------

    def execute(self) -> Report:
        project = self._discover()
        self.settings = self._settings(project)
        self.report.fail_on = self.settings.fail_on
        self._produce(project)
        self.report.findings = [f for f in self.report.findings if self.settings.keeps(f)]
        return self.report

    def _settings(self, project: Project | None) -> Settings:
        config_dir = project.root if project is not None else _cwd_project()
        file_values, origin = load_file_settings(config_dir)
        return resolve_settings(file_values, self.options.overrides, origin)

    def _produce(self, project: Project | None) -> None:
        artifacts = self._artifacts(project)
        if artifacts is None:
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Static analysis needs only the wheel: it runs while the venv is created and probed.
            analysis = pool.submit(analyse_wheel, artifacts.wheel)
            env = self._install(artifacts.wheel)
            probe = self._probe_imports(env, artifacts.wheel) if env is not None else None
            app = self._probe_apps(env, artifacts.wheel, project) if env is not None else None
            with self.stage("analyse"):
                ctx = self._context(project, artifacts, probe, analysis)
                ctx.app = app
                self.report.findings = [f for f in run_checks(ctx) if not _silenced_inline(ctx, f)]
        self.report.modules = _module_counts(artifacts.wheel, probe, self.report.findings)

    def _discover(self) -> Project | None:
        with self.stage("discover"):
            if self.target.suffix == ".whl":
                if not self.target.is_file():
                    raise UsageError(f"{self.target}: no such file")
                source = self.options.source or _cwd_project()
                return discover_project(source) if source is not None else None
            return discover_project(self.target)

    def _artifacts(self, project: Project | None) -> Artifacts | None:
        given = WheelContents.read(self.target) if self.target.suffix == ".whl" else None
        if project is None:
            assert given is not None
            return Artifacts(wheel=given)
        with self.stage("build"):
            built = build_artifacts(project, self.workdir / "build")
        if built.failure is not None:
            self.add(_build_failure(built))
            return Artifacts(wheel=given) if given is not None else None
        assert built.wheel is not None and built.sdist is not None
        fresh = WheelContents.read(built.wheel)
        sdist = SdistContents.read(built.sdist)
        if given is not None:
            return Artifacts(wheel=given, sdist=sdist, fresh_wheel=fresh)
        return Artifacts(wheel=fresh, sdist=sdist)

    def _probe_apps(self, env: TargetEnv, wheel: WheelContents, project: Project | None) -> AppProbeResult | None:
        """Entry points and the ASGI app(s), imported from the installed wheel (and served with --serve)."""
        targets = app_targets(cli_specs=self.settings.asgi, cli_health=self.settings.health,
                              project_root=project.root if project else None, wheel_top_level=wheel.top_level_names,
                              search_up_to=project.git_root if project else None)
        if not targets and not wheel.entry_points:
            return None
        with self.stage("app"):
            try:
                app = run_app_probe(env.python, wheel.entry_points, targets, timeout=self.settings.timeout,
                                    workdir=self.workdir / "app-probe", jobs=min(4, self.options.jobs))
            except AppProbeError as exc:
                self.add(Finding("MC402", path=None, message=f"the app probe itself failed: {exc}"))
                return None
            if self.options.serve:
                served = tuple(serve_app(env.python, r.target, list(r.target.command) or None,
                                         timeout=self.settings.timeout, workdir=self.workdir / f"serve-{i}")
                               for i, r in enumerate(app.apps) if r.exercised_cleanly)
                app = AppProbeResult(app.entry_points, app.apps + served)
            return app

    def _probe_imports(self, env: TargetEnv, wheel: WheelContents) -> ProbeResult | None:
        with self.stage("probe"):
            modules = [m for m in wheel.modules if "__main__" not in m.split(".")]
            try:
                return run_import_probe(env.python, modules, timeout=self.settings.timeout,
                                        jobs=self.options.jobs, workdir=self.workdir / "probe")
            except ProbeError as exc:
                self.add(Finding("MC303", path=None, message=f"the import probe itself failed: {exc}",
                                 hint="run with --keep and -v to inspect the probe's work directory"))
                return None

    def _install(self, wheel: WheelContents) -> TargetEnv | None:
        with self.stage("install"):
            try:
                return create_target_env(wheel.path, self.workdir / "venv", python=self.settings.python,
                                         extras=self.settings.extras)
            except InstallFailed as exc:
                self.add(Finding("MC002", path=None,
                                 message=f"{wheel.path.name} does not install into a fresh venv: {exc}",
                                 hint=exc.log_tail or None))
                return None

    def _context(self, project: Project | None, artifacts: Artifacts, probe: ProbeResult | None,
                 analysis: Future[StaticAnalysis]) -> CheckContext:
        return CheckContext(wheel=artifacts.wheel, project=project, sdist=artifacts.sdist,
                            fresh_wheel=artifacts.fresh_wheel, probe=probe, analysis=analysis.result(),
                            earlier=list(self.report.findings))


def run_pipeline(target: Path, options: Options, progress: Progress | None = None) -> Report:
    run = Run(target, options, progress)
    try:
        return run.execute()
    finally:
        run.cleanup()


def _silenced_inline(ctx: CheckContext, finding: Finding) -> bool:
    """``# mcheck: ignore[MC202]`` on the line a source-located finding points at."""
    return ctx.analysis is not None and finding.path is not None and ctx.analysis.is_ignored(
        finding.path, finding.line, finding.code)


def _cwd_project() -> Path | None:
    cwd = Path.cwd()
    return cwd if (cwd / "pyproject.toml").is_file() or (cwd / "setup.py").is_file() else None


def _build_failure(built: BuildResult) -> Finding:
    assert built.failure is not None
    failure = built.failure
    return Finding("MC001", path=None, message=f"building the {failure.stage} failed: {failure.message}",
                   hint=failure.log_tail or None)


def _module_counts(wheel: WheelContents, probe: ProbeResult | None, findings: list[Finding]) -> ModuleCounts:
    if probe is None:
        return ModuleCounts(skipped=len(wheel.modules))
    failed = {f.path for f in findings if f.code in ("MC301", "MC302", "MC303")}
    imported = sum(1 for r in probe.modules.values() if r.status == "ok")
    return ModuleCounts(imported=imported, failed=len(failed), skipped=len(wheel.modules) - imported - len(failed))
