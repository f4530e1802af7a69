"""MC002, MC003, MC202, MC301, MC302, MC403-MC405, MC501, MC503 for ``mcheck deploy``: what running the
service's start targets in a venv of its own requirements says.

The static findings about the service (a start command that does not resolve, a module outside the
build context: MC501, MC502, MC503) are made while the deploy files are read and the imports followed
(:mod:`mcheck.deploy.follow`); these checks judge what was run, and skip what a static finding
already explains.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterator, Mapping

from packaging.utils import canonicalize_name

from mcheck.checks import DeployContext, check
from mcheck.checks.entrypoints import exercised_app_findings
from mcheck.checks.probe_failures import probe_failure
from mcheck.deploy.follow import Analysis, Target, _statement
from mcheck.deploy.model import DeployConfig, Runtime, TargetRun
from mcheck.findings import Finding, Fix
from mcheck.fix.edits import append_line, replace_health_path
from mcheck.knowledge.conventions import HEALTH_ROUTE_NAMES
from mcheck.knowledge.import_names import distributions_for_import, import_names_for_distribution
from mcheck.probes.protocol import AppResult, ExceptionInfo, TargetResult
from mcheck.probes.service import EnvFailed
from mcheck.wheel.artifacts import module_name_for

KNOWN_SERVERS = "uvicorn, gunicorn, hypercorn, granian, fastapi run, celery -A mod, python -m mod, python path.py"


@check("MC503")
def no_start_command(ctx: DeployContext) -> Iterator[Finding]:
    """A service with no start command mcheck can resolve (unless a deploy file did not parse)."""
    if ctx.analyses or any(f.code == "MC503" for f in ctx.config.findings):
        return
    yield _no_start_command(ctx.config)


@check("MC502")
def local_install_finds_nothing(ctx: DeployContext) -> Iterator[Finding]:
    """``pip install /opt/core`` of a directory the image does not have when the command runs: the
    build fails there, or (``pip install -e``) the service imports nothing from it."""
    for install in ctx.runtime.local_installs:
        if install.repo_dir is not None or install.container_path is None:
            continue
        name = posixpath.basename(install.container_path.rstrip("/"))
        meant = [d for d in ctx.repository_projects if posixpath.basename(d) == name]
        context = ctx.runtime.context
        in_context = [d for d in meant if not context or d.startswith(context + "/")]
        where = (
            f"the repository has the project at {meant[0]}/" if meant else "nothing is copied there"
        )
        if in_context and ctx.runtime.kind == "dockerfile":
            relative = in_context[0][len(context) + 1 :] if context else in_context[0]
            hint = f"copy it in before this line: `COPY {relative} {install.container_path}`"
        elif meant and ctx.runtime.kind == "root-directory":
            hint = (
                f"the host builds only the root directory {context or '.'}/: install the project "
                f"by this repository's git URL (`git+<repository URL>#subdirectory={meant[0]}`), "
                "or build from a directory that holds both"
            )
        else:
            hint = (
                f"the build context is {context or 'the repository root'}/: widen it to include "
                "the project, or install it from a path inside it"
            )
        yield Finding(
            "MC502",
            install.source_file,
            f"{install.shown}: {install.container_path} is not in the build when "
            f"this runs ({where})",
            hint=hint,
            line=install.line,
        )


@check("MC501")
def target_install_not_on_sys_path(ctx: DeployContext) -> Iterator[Finding]:
    """``pip install --target deps ...`` puts the packages in ``deps/``: they import only where the
    service puts that directory on ``sys.path`` (``PYTHONPATH``), which mcheck's venv cannot show."""
    paths = [a.target.sys_path for a in ctx.analyses if a.target is not None and a.target.sys_path]
    if not paths:
        return
    for install in ctx.runtime.target_installs:
        directory = install.directory
        if "-packages" in directory or any(directory in path for path in paths):
            continue
        yield Finding(
            "MC501",
            install.source_file,
            f"`pip install --target {install.written}` puts the packages in {directory}, which is "
            f"not on the service's sys.path ({', '.join(paths[0])}): they do not import at run time",
            hint=f"start the service with `PYTHONPATH={install.written}` (`{directory}`), or "
            "install without --target",
            line=install.line,
        )


@check("MC002")
def requirements_do_not_install(ctx: DeployContext, env_failure: EnvFailed) -> Iterator[Finding]:
    source = next((r.source_file for r in ctx.runtime.requirements if r.present), None)
    yield Finding(
        "MC002",
        source,
        f"the service's requirements do not install into a fresh venv: {env_failure}",
        hint=env_failure.log_tail or None,
    )


@check("MC003", "MC302")
def target_probe_failed(ctx: DeployContext, targets: list[TargetRun]) -> Iterator[Finding]:
    """A start target that outran the timeout is MC302; any other failure of a probe is MC003."""
    for run in targets:
        target = run.analysis.target
        assert target is not None  # only resolved targets are run
        if run.failure is not None and run.failure.timed_out:
            yield _timed_out(target, ctx.runtime)
        elif run.failure is not None:
            yield probe_failure(run.failure, path=target.start.source_file)
        if run.app_failure is not None:
            yield probe_failure(run.app_failure, path=target.start.source_file)


@check("MC202")
def undeclared_in_the_service(ctx: DeployContext, targets: list[TargetRun]) -> Iterator[Finding]:
    """MC202 for every module-level third-party import the service's venv cannot find."""
    for run in targets:
        if run.result is not None:
            found = _undeclared(run.analysis, run.result, ctx.runtime, list(ctx.requirement_dists))
            yield from (f for f in found if not _provided_by_a_local_install(f, ctx))


@check("MC301", "MC501", reads=("MC101",))
def start_target_does_not_import(ctx: DeployContext, targets: list[TargetRun]) -> Iterator[Finding]:
    """MC301/MC501 when the real import fails for a reason no static finding explains; an MC301
    whose missing module a package the build installs drops (its MC101) names that root cause."""
    for run in targets:
        if run.result is None:
            continue
        for finding in _import_failure(run.analysis, run.result, ctx.runtime, ctx.fs_root):
            cause = (
                _dropped_module_cause(run.result, ctx.earlier) if finding.code == "MC301" else None
            )
            yield dataclasses.replace(finding, hint=f"root cause: {cause}") if cause else finding


@check("MC403", "MC404", "MC405")
def service_app_misbehaves(ctx: DeployContext, targets: list[TargetRun]) -> Iterator[Finding]:
    """Lifespan startup and the health GET of an ASGI start target (the wheel's MC403-MC405)."""
    for run in targets:
        target = run.analysis.target
        # An app that does not import already has the target probe's MC301/MC501.
        if run.app is not None and run.app.status == "ok" and target is not None:
            for finding in exercised_app_findings(
                run.app, path=target.start.source_file, line=target.start.line
            ):
                fix = _health_path_fix(run.app, target.start.source_file)
                yield dataclasses.replace(finding, fix=fix) if finding.code == "MC405" else finding


def _health_path_fix(app: AppResult, deploy_file: str) -> Fix | None:
    """The health route the app declares, for a health path it answered 404 on: the one GET route
    named like a health check (``/healthz`` for a configured ``/health``)."""
    http = app.http
    if http is None or http.status != 404:
        return None
    meant = sorted(
        {r for r in http.routes if r.rstrip("/").rsplit("/", 1)[-1].lower() in HEALTH_ROUTE_NAMES}
    )
    if len(meant) != 1 or meant[0] == http.path:
        return None
    return Fix(
        f'set the health check path to "{meant[0]}" (the app\'s health route) in {deploy_file}',
        (replace_health_path(deploy_file, http.path, meant[0]),),
    )


# --- helpers ---------------------------------------------------------------------------------------


# Words of an exception raised by the service's own code that say it is missing configuration
_CONFIGURATION_WORDS = (
    "environment",
    "environ",
    "env var",
    ".env",
    "getenv",
    "not set",
    "settings",
)


def _needs_host_configuration(error: ExceptionInfo) -> bool:
    """The service's own module-level code stopped for lack of configuration the host provides
    (``os.environ["TOKEN"]``, ``raise ValueError("TOKEN is not set in the environment")``)."""
    if error.type in ("ModuleNotFoundError", "ImportError", "SyntaxError", "NameError"):
        return False
    # `os.environ["X"]` raises inside os.py: the line that asked is one of the last two frames
    source = " ".join(f.source or "" for f in error.frames[-2:]).lower()
    message = error.message.lower()
    if error.type == "KeyError" and ("environ" in source or "getenv" in source):
        return True
    return any(word in message for word in _CONFIGURATION_WORDS)


def _failed_local_install(error: ExceptionInfo, runtime: Runtime) -> bool:
    """The import fails on a package the build means to install from the repository but cannot
    (MC502 at the install line)."""
    top = (error.missing_name or "").split(".")[0]
    return top in runtime.installed_names and any(
        i.repo_dir is None and i.container_path is not None for i in runtime.local_installs
    )


def _dropped_module_cause(result: TargetResult, earlier: list[Finding]) -> str | None:
    """``MC101 pkg/app/routes/health.py`` when the import failed on a module a local package's
    wheel drops."""
    error = result.error
    missing = error.missing_name if error is not None else None
    if not missing:
        return None
    for finding in earlier:
        module = module_name_for(finding.path or "") if finding.code == "MC101" else None
        if module and (module == missing or module.startswith(missing + ".")):
            return f"{finding.code} {finding.repo_path or finding.path}"
    return None


def _provided_by_a_local_install(finding: Finding, ctx: DeployContext) -> bool:
    """An import of a repository project the build installs (or means to: its MC502 says why it
    does not): never "add it to requirements.txt", which would install an index's package."""
    return any(f"installs `{name}`" in finding.message for name in ctx.runtime.installed_names)


def _no_start_command(config: DeployConfig) -> Finding:
    named = next((s for s in config.start_commands), None)
    if named is not None:
        return Finding(
            "MC503",
            named.source_file,
            f"`{named.raw or ' '.join(named.argv)}` does "
            f"not run a Python server mcheck knows ({KNOWN_SERVERS})",
            hint="start the service with one of them",
            line=named.line,
        )
    where = (
        config.files_read[0]
        if config.files_read
        else (config.dockerfile or config.service_dir or ".")
    )
    read = ", ".join(config.files_read) or "no deploy file found"
    return Finding(
        "MC503",
        where,
        f"no start command for the service {config.service_dir or '.'}/ ({read})",
        hint="declare one, e.g. `web: uvicorn main:app --host 0.0.0.0 --port $PORT` in a "
        "Procfile or `startCommand` in railway.toml",
    )


def _timed_out(target: Target, runtime: Runtime) -> Finding:
    shown = target.call.target if target.module == "__main__" else target.module
    return Finding(
        "MC302",
        runtime.files[target.file] if target.file else target.start.source_file,
        f"importing `{shown}` (run by `{target.command}`) did not finish within the timeout",
        hint="move blocking work out of import time",
    )


def _undeclared(
    analysis: Analysis, outcome: TargetResult, runtime: Runtime, requirement_dists: list[str]
) -> list[Finding]:
    findings: list[Finding] = []
    sources = ", ".join(
        sorted({posixpath.basename(r.container_path) for r in runtime.requirements if r.present})
        or sorted(set(runtime.dependency_tables))
    )
    for name in outcome.missing:
        hint = _provider_hint(name, requirement_dists, sources)
        fix = _requirement_fix(name, runtime)
        for site in analysis.third_party.get(name, []):
            installed = (
                f"installed: {', '.join(requirement_dists)}"
                if requirement_dists
                else "nothing is installed"
            )
            message = (
                f"`{_statement(site)}`: no requirement of the service installs "
                f"`{name}` ({installed})"
            )
            findings.append(
                Finding("MC202", site.path, message, hint=hint, line=site.line, fix=fix)
            )
    return findings


def _requirement_fix(name: str, runtime: Runtime) -> Fix | None:
    """The distribution that provides ``name``, appended to the service's one requirements file,
    with the version the proving run installed as its lower bound."""
    files = sorted({r.repo_path for r in runtime.requirements if r.present and r.repo_path})
    providers = distributions_for_import(name)
    if len(files) != 1 or not providers:
        return None
    [requirements], provider = files, providers[0]

    def with_lower_bound(installed: Mapping[str, str]) -> Fix:
        version = installed.get(canonicalize_name(provider))
        if version is None:
            return bare
        line = f"{provider}>={version}"
        return Fix(f"add {line} to {requirements}", (append_line(requirements, line),))

    bare = Fix(
        f"add {provider} to {requirements}",
        (append_line(requirements, provider),),
        refine=with_lower_bound,
    )
    return bare


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


def _import_failure(
    analysis: Analysis, outcome: TargetResult, runtime: Runtime, fs_root: str
) -> list[Finding]:
    target = analysis.target
    assert target is not None
    entry = runtime.files[target.file] if target.file else target.start.source_file
    shown = target.call.target if target.module == "__main__" else target.module
    if outcome.ok and outcome.has_attr is False:
        return [
            Finding(
                "MC501",
                target.start.source_file,
                f"`{target.command}`: module `{shown}` has no attribute `{target.call.attr}`",
                line=target.start.line,
            )
        ]
    error = outcome.error
    if outcome.ok or error is None or _explained(error, analysis, outcome):
        return []
    if _failed_local_install(error, runtime):  # its MC502 says which install finds nothing
        return []
    path, line = _raising_location(error, runtime, fs_root, entry)
    if path == target.start.source_file:  # nothing of the service raised: point at the command
        line = target.start.line
    if path != target.start.source_file and _needs_host_configuration(error):
        return [
            Finding(
                "MC304",
                path,
                f"importing `{shown}` (run by `{target.command}`) needs configuration the host "
                f"provides: {error.type}: {error.message}",
                hint="mcheck imports the start target without the host's variables; give them with "
                "--env-file FILE (KEY=VALUE lines) to check the rest",
                line=line,
            )
        ]
    return [
        Finding(
            "MC301",
            path,
            f"importing `{shown}` in the service's environment (run by "
            f"`{target.command}`) raised {error.type}: {error.message}",
            line=line,
        )
    ]


def _explained(error: ExceptionInfo, analysis: Analysis, outcome: TargetResult) -> bool:
    if error.type not in ("ModuleNotFoundError", "ImportError"):
        return False
    top = (error.missing_name or "").split(".")[0]
    # A static MC501/MC502 already names the import that fails (a relative import in a script has no
    # missing name at all), so the same failure is not reported twice.
    return (
        top in outcome.missing
        or top in analysis.unresolved
        or any(f.code in ("MC501", "MC502") for f in analysis.findings)
    )


def _raising_location(
    error: ExceptionInfo, runtime: Runtime, fs_root: str, default: str
) -> tuple[str, int | None]:
    """The innermost traceback frame in a service file, as a repository path."""
    for frame in reversed(error.frames):
        if fs_root and frame.file.startswith(fs_root):
            repo = runtime.files.get(frame.file[len(fs_root) :])
            if repo is not None:
                return repo, frame.line
    return default, None
