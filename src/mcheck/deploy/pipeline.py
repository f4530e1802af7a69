"""``mcheck deploy``: check a service deployed from a directory (not installed as a wheel).

Sequence: read the deploy files -> reconstruct the container filesystem -> resolve each start command and
follow its first-party imports (static) -> build a venv from the service's requirements and import the
target there (real) -> when the colleague's ASGI app probe is available, run lifespan and the health GET.
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from mcheck.checks.entrypoints import exercised_app_findings
from mcheck.checks.probe_failures import probe_failure
from mcheck.deploy.commands import parse_command
from mcheck.deploy.configs import read_deploy_config
from mcheck.deploy.follow import Analysis, Follower, Target, _statement
from mcheck.deploy.model import DeployConfig, Runtime
from mcheck.deploy.resolve import FileTree
from mcheck.deploy.runtime import reconstruct
from mcheck.errors import UsageError
from mcheck.findings import Finding, Report
from mcheck.knowledge.import_names import distributions_for_import, import_names_for_distribution
from mcheck.probes.apps import run_app_probe
from mcheck.probes.protocol import AppTarget, ExceptionInfo, TargetResult
from mcheck.probes.runner import ProbeError
from mcheck.probes.service import (
    EnvFailed,
    add_runtime_path,
    create_service_env,
    host_path,
    materialise,
    run_target_probe,
)
from mcheck.settings import Settings, load_file_settings, resolve_settings
from mcheck.suppression import kept, silenced_in_files
from mcheck.wheel.discover import find_git_root, list_source_files

Progress = Callable[[str], None]


def check_deploy(service_dir: str | Path, *, repo_root: str | Path | None = None, timeout: float | None = None,
                 python: str | None = None, install: bool = True, app_probe: bool = True, keep: bool = False,
                 progress: Progress | None = None, **settings: Any) -> Report:
    """Check the service rooted at ``service_dir``; ``repo_root`` defaults to the git top level.

    ``install=False`` skips the venv and every runtime probe (static checks only). ``settings`` override
    ``[tool.mcheck]`` of the service directory (else of the repository root) as for ``check_wheel``:
    ``select``, ``ignore``, ``per_path_ignores``, ``fail_on``. Raises
    :class:`~mcheck.errors.UsageError` for bad input: a missing directory, a service outside
    ``repo_root``, an unknown setting or code.
    """
    service, root = _paths(Path(service_dir), repo_root)
    resolved = _deploy_settings(service, root, {"timeout": timeout, "python": python, **settings})
    say = progress or (lambda message: None)
    report = Report(target=str(service_dir), fail_on=resolved.fail_on)
    workdir = Path(tempfile.mkdtemp(prefix="mcheck-deploy-"))
    try:
        _DeployRun(service, root, report, say, workdir, timeout=resolved.timeout, python=resolved.python).execute(
            install=install, app_probe=app_probe)
    finally:
        if keep:
            say(f"kept the work directory {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report.findings = silenced_in_files(kept(_unique(report.findings), resolved), root)
    return report


def _deploy_settings(service: Path, root: Path, overrides: dict[str, Any]) -> Settings:
    """``[tool.mcheck]`` (or mcheck.toml) of the service directory, else of the repository root."""
    for directory in (service, root):
        values, origin = load_file_settings(directory)
        if origin is not None:
            return resolve_settings(values, overrides, origin)
    return resolve_settings({}, overrides)


def _paths(service_dir: Path, repo_root: str | Path | None) -> tuple[Path, Path]:
    if not service_dir.is_dir():
        raise UsageError(f"{service_dir}: not a directory")
    service = service_dir.resolve()
    root = Path(repo_root).resolve() if repo_root is not None else (find_git_root(service) or service)
    if not root.is_dir():
        raise UsageError(f"{repo_root}: not a directory")
    if service != root and root not in service.parents:
        raise UsageError(f"{service_dir} is not inside the repository root {root}")
    return service, root


class _DeployRun:
    def __init__(self, service: Path, root: Path, report: Report, say: Progress, workdir: Path, *,
                 timeout: float, python: str | None) -> None:
        self.service, self.root, self.report, self.say = service, root, report, say
        self.workdir, self.timeout, self.python = workdir, timeout, python

    def execute(self, *, install: bool, app_probe: bool) -> None:
        repo_files = list_source_files(self.root, find_git_root(self.root))
        config = read_deploy_config(self.service, self.root)
        # Code scanning places findings that name no file at the service's deploy file.
        self.report.project_file = config.files_read[0] if config.files_read else config.dockerfile
        self.report.findings.extend(config.findings)
        runtime, findings = reconstruct(config, self.root, repo_files)
        self.report.findings.extend(findings)
        analyses = self._analyse(config, runtime, repo_files)
        if install:
            self._probe(config, runtime, analyses, app_probe=app_probe)

    def _analyse(self, config: DeployConfig, runtime: Runtime, repo_files: list[str]) -> list[Analysis]:
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
        if not analyses and not any(f.code == "MC503" for f in config.findings):
            self.report.findings.append(_no_start_command(config))
        return analyses

    # --- the runtime probes -------------------------------------------------------------------------------

    def _probe(self, config: DeployConfig, runtime: Runtime, analyses: list[Analysis], *, app_probe: bool) -> None:
        runnable = [a for a in analyses if a.target is not None and a.target.file is not None]
        if not runnable:
            return
        fs_root = materialise(runtime, self.root, self.workdir / "root")
        interpreter = self._environment(runtime, fs_root)
        if interpreter is None:
            return
        requirement_dists = _requirement_names(runtime, fs_root)
        for index, analysis in enumerate(runnable):
            target = analysis.target
            assert target is not None
            try:
                outcome = run_target_probe(interpreter, fs_root, target, sorted(analysis.third_party),
                                           timeout=self.timeout, workdir=self.workdir / f"probe-{index}",
                                           env={**config.env, **runtime.env})
            except ProbeError as exc:
                self.report.findings.append(_probe_failed(exc, target, runtime))
                continue
            self.report.findings.extend(_undeclared(analysis, outcome, runtime, requirement_dists))
            self.report.findings.extend(_import_failure(analysis, outcome, runtime, fs_root))
            if outcome.ok and outcome.has_attr is not False and app_probe:
                self.report.findings.extend(self._asgi(interpreter, fs_root, target, index))

    def _environment(self, runtime: Runtime, fs_root: Path) -> Path | None:
        files = [host_path(fs_root, r.container_path) for r in runtime.requirements if r.present]
        packages = list(runtime.packages) or (_pyproject_dependencies(runtime, fs_root) if not files else [])
        if not files and not packages:
            self.say("no requirements file or packages in the build: third-party imports are checked "
                     "against an empty venv")
        try:
            return create_service_env(self.workdir / "venv", files, packages, python=self.python,
                                      cwd=host_path(fs_root, runtime.workdir))
        except EnvFailed as exc:
            source = next((r.source_file for r in runtime.requirements if r.present), None)
            self.report.findings.append(Finding("MC002", source, f"the service's requirements do not install "
                                                f"into a fresh venv: {exc}", hint=exc.log_tail or None))
            return None

    def _asgi(self, interpreter: Path, fs_root: Path, target: Target, index: int) -> list[Finding]:
        """Lifespan startup and the health GET of an ASGI start target, through the app probe."""
        parsed = parse_command(target.start.argv)
        if not parsed.asgi or target.module in (None, "__main__") or not target.call.attr:
            return []
        add_runtime_path(interpreter, [host_path(fs_root, p) for p in target.sys_path])
        app = AppTarget(spec=f"{target.module}:{target.call.attr}", factory=target.call.factory,
                        health=target.start.health_path, source=_where(target),
                        command=tuple(target.start.argv))
        try:
            result = run_app_probe(interpreter, {}, [app], timeout=self.timeout,
                                   workdir=self.workdir / f"app-{index}").apps[0]
        except ProbeError as exc:
            return [probe_failure(exc, path=target.start.source_file)]
        if result.status != "ok":  # the target probe's MC301/MC501 already says why it does not import
            return []
        return exercised_app_findings(result, path=target.start.source_file, line=target.start.line)


def _where(target: Target) -> str:
    start = target.start
    return f"{start.source_file}:{start.line}" if start.line else start.source_file


def _no_start_command(config: DeployConfig) -> Finding:
    named = next((s for s in config.start_commands), None)
    if named is not None:
        return Finding("MC503", named.source_file, f"`{named.raw or ' '.join(named.argv)}` does "
                       "not run a Python server mcheck knows (uvicorn, gunicorn, hypercorn, granian, fastapi run, "
                       "python -m mod, python path.py)", hint="start the service with one of them", line=named.line)
    where = config.files_read[0] if config.files_read else (config.dockerfile or config.service_dir or ".")
    read = ", ".join(config.files_read) or "no deploy file found"
    return Finding("MC503", where, f"no start command for the service {config.service_dir or '.'}/ ({read})",
                   hint="declare one, e.g. `web: uvicorn main:app --host 0.0.0.0 --port $PORT` in a Procfile or "
                        "`startCommand` in railway.toml")


def _probe_failed(error: ProbeError, target: Target, runtime: Runtime) -> Finding:
    """A start target that outran the timeout is MC302; any other failure of the probe is MC003."""
    if not error.timed_out:
        return probe_failure(error, path=target.start.source_file)
    assert target.file is not None
    shown = target.call.target if target.module == "__main__" else target.module
    return Finding("MC302", runtime.files[target.file], f"importing `{shown}` (run by "
                   f"`{target.command}`) did not finish within the timeout",
                   hint="move blocking work out of import time")


def _undeclared(analysis: Analysis, outcome: TargetResult, runtime: Runtime,
                requirement_dists: list[str]) -> list[Finding]:
    """MC202 for every module-level third-party import the service's venv cannot find."""
    findings: list[Finding] = []
    sources = ", ".join(sorted({posixpath.basename(r.container_path) for r in runtime.requirements if r.present}))
    for name in outcome.missing:
        hint = _provider_hint(name, requirement_dists, sources)
        for site in analysis.third_party.get(name, []):
            installed = f"installed: {', '.join(requirement_dists)}" if requirement_dists else "nothing is installed"
            message = (f"`{_statement(site)}`: no requirement of the service installs "
                       f"`{name}` ({installed})")
            findings.append(Finding("MC202", site.path, message, hint=hint, line=site.line))
    return findings


def _provider_hint(name: str, installed: list[str], sources: str) -> str:
    providers = distributions_for_import(name)
    where = sources or "requirements.txt"
    parts = [f"`{name}` comes from {' or '.join(providers)}"]
    for dist in installed:
        if any(_related(dist, p) for p in providers):
            names = import_names_for_distribution(dist)
            parts.append(f"{dist} (installed) provides `{'`, `'.join(names)}`, not `{name}`")
            parts.append(f"import `{names[0]}` instead, or add {providers[0]} to {where}")
            return "; ".join(parts)
    parts.append(f"add {providers[0]} to {where}")
    return "; ".join(parts)


def _related(a: str, b: str) -> bool:
    """pycryptodome vs pycryptodomex: one name is a prefix of the other."""
    return a != b and (a.startswith(b) or b.startswith(a))


def _import_failure(analysis: Analysis, outcome: TargetResult, runtime: Runtime,
                    fs_root: Path) -> list[Finding]:
    """MC301/MC501 when the real import fails for a reason no static finding explains."""
    target = analysis.target
    assert target is not None and target.file is not None
    entry = runtime.files[target.file]
    shown = target.call.target if target.module == "__main__" else target.module
    if outcome.ok and outcome.has_attr is False:
        return [Finding("MC501", target.start.source_file, f"`{target.command}`: module `{shown}` has no attribute "
                        f"`{target.call.attr}`", line=target.start.line)]
    error = outcome.error
    if outcome.ok or error is None or _explained(error, analysis, outcome):
        return []
    path, line = _raising_location(error, runtime, fs_root, entry)
    return [Finding("MC301", path, f"importing `{shown}` in the service's environment (run by `{target.command}`) "
                    f"raised {error.type}: {error.message}", line=line)]


def _explained(error: ExceptionInfo, analysis: Analysis, outcome: TargetResult) -> bool:
    if error.type not in ("ModuleNotFoundError", "ImportError"):
        return False
    top = (error.missing_name or "").split(".")[0]
    # A static MC501/MC502 already names the import that fails (a relative import in a script has no
    # missing name at all), so the same failure is not reported twice.
    return top in outcome.missing or top in analysis.unresolved or any(
        f.code in ("MC501", "MC502") for f in analysis.findings)


def _raising_location(error: ExceptionInfo, runtime: Runtime, fs_root: Path,
                      default: str) -> tuple[str, int | None]:
    """The innermost traceback frame in a service file, as a repository path."""
    prefix = str(fs_root)
    for frame in reversed(error.frames):
        if frame.file.startswith(prefix):
            repo = runtime.files.get(frame.file[len(prefix):])
            if repo is not None:
                return repo, frame.line
    return default, None


def _requirement_names(runtime: Runtime, fs_root: Path) -> list[str]:
    names: list[str] = []
    for ref in runtime.requirements:
        path = host_path(fs_root, ref.container_path)
        if ref.present and path.is_file():
            names.extend(_names_in(path.read_text(encoding="utf-8", errors="replace").splitlines()))
    names.extend(_names_in(runtime.packages))
    return sorted(set(names))


def _names_in(lines: list[str]) -> list[str]:
    from packaging.utils import canonicalize_name

    found: list[str] = []
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        try:
            found.append(canonicalize_name(Requirement(text).name))
        except InvalidRequirement:
            continue
    return found


def _pyproject_dependencies(runtime: Runtime, fs_root: Path) -> list[str]:
    """Root-directory builders install a pyproject.toml's dependencies when there is no requirements file."""
    path = host_path(fs_root, posixpath.join(runtime.workdir, "pyproject.toml"))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    deps = data.get("project", {}).get("dependencies", [])
    return [d for d in deps if isinstance(d, str)]


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))

