"""Checks: small functions from what the pipeline learned to findings.

Adding a check means: one entry in :mod:`mcheck.catalogue`, one function in a module of this package
decorated with ``@check("MCxxx", ...)``, one sample project, one test. A check declares its inputs as
typed parameters and the codes it reads (:func:`check`); the pipeline runs every check whose inputs
are available, in the order those declarations imply. Checks never run subprocesses or touch the
network.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from mcheck.findings import Finding

if TYPE_CHECKING:
    from mcheck.analysis.model import StaticAnalysis
    from mcheck.deploy.follow import Analysis
    from mcheck.deploy.model import DeployConfig, Runtime, TargetRun
    from mcheck.probes.protocol import AppProbeResult, ProbeResult
    from mcheck.probes.service import EnvFailed
    from mcheck.wheel.artifacts import SdistContents, WheelContents
    from mcheck.wheel.discover import Project
    from mcheck.wheel.local_deps import WorkspaceMember
    from mcheck.wheel.suite_verdicts import SuiteComparison


@dataclass
class CheckContext:
    """Everything the pipeline learned about one target, handed to every check.

    ``project`` is None when a wheel is checked without its source tree; ``sdist`` is None then too.
    ``fresh_wheel`` is set only when the user handed in a wheel and mcheck also built one from source.
    ``probe`` is None when the wheel could not be installed.
    """

    wheel: WheelContents
    project: Project | None = None
    sdist: SdistContents | None = None
    fresh_wheel: WheelContents | None = None
    probe: ProbeResult | None = None
    analysis: StaticAnalysis | None = None
    app: AppProbeResult | None = None  # entry points and the ASGI app, probed in the target venv
    # import name -> the other member of the project's uv workspace that provides it
    siblings: dict[str, WorkspaceMember] = field(default_factory=dict)
    release: bool = False  # --release: the strict profile for the last step before the upload
    # The wheel's tags when this interpreter supports none of them (then it was not installed).
    foreign_tags: tuple[str, ...] | None = None
    # The project's tests against the wheel and on the checkout (``--tests``).
    suite: SuiteComparison | None = None
    # Findings already made by earlier checks, so later ones can point at a root cause.
    earlier: list[Finding] = field(default_factory=list)


@dataclass
class DeployContext:
    """Everything ``mcheck deploy`` learned about one service, handed to the deploy checks.

    ``targets`` is None with ``--no-install`` (nothing was run); ``env_failure`` is set when the
    service's requirements did not install (then no target ran either).
    """

    config: DeployConfig
    runtime: Runtime
    analyses: list[Analysis]  # one per distinct start command mcheck could resolve
    fs_root: str = ""  # where the container filesystem was materialised (frames point below it)
    repository_projects: tuple[str, ...] = ()  # repository directories holding a Python project
    requirement_dists: tuple[str, ...] = ()  # canonical names the service's requirements install
    targets: list[TargetRun] | None = None
    env_failure: EnvFailed | None = None
    earlier: list[Finding] = field(default_factory=list)


CheckFunction = Callable[..., Iterable[Finding]]
_CONTEXTS = {"CheckContext": CheckContext, "DeployContext": DeployContext}


@dataclass(frozen=True)
class RegisteredCheck:
    """A check and what it declares: the codes it makes, the inputs it needs, the codes it reads."""

    codes: tuple[str, ...]
    function: CheckFunction
    inputs: tuple[
        str, ...
    ]  # context fields passed as keyword arguments; the check runs when all are set
    reads: tuple[
        str, ...
    ]  # codes of earlier findings it links to: it runs after the checks making them
    context: str = (
        "CheckContext"  # the command it judges: CheckContext (wheel), DeployContext (deploy)
    )

    @property
    def name(self) -> str:
        return f"{self.function.__module__.rsplit('.', 1)[-1]}.{self.function.__name__}"

    def ready(self, ctx: CheckContext | DeployContext) -> bool:
        return type(ctx).__name__ == self.context and all(
            getattr(ctx, name) is not None for name in self.inputs
        )

    def run(self, ctx: CheckContext | DeployContext) -> Iterable[Finding]:
        return self.function(ctx, **{name: getattr(ctx, name) for name in self.inputs})


REGISTRY: list[RegisteredCheck] = []


def check(*codes: str, reads: Iterable[str] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check producing ``codes``.

    ``ctx`` is annotated with the context of the command it judges (:class:`CheckContext` for
    ``mcheck wheel``, :class:`DeployContext` for ``mcheck deploy``). The parameters after it are its
    inputs, named after that context's fields and typed without ``None``: the check runs only when
    every one is available, and gets them as arguments (no asserts). ``reads`` are the codes of
    earlier findings it links to (a root cause): it runs after every check that makes one of them.
    Nothing else orders checks.
    """

    def register(function: CheckFunction) -> CheckFunction:
        from mcheck.catalogue import CATALOGUE

        unknown = [c for c in (*codes, *reads) if c not in CATALOGUE]
        if unknown:
            raise ValueError(f"{function.__name__}: codes not in the catalogue: {unknown}")
        parameters = inspect.signature(function).parameters
        if list(parameters)[:1] != ["ctx"]:
            raise TypeError(f"{function.__name__}: a check's first parameter is `ctx`")
        annotation = parameters["ctx"].annotation
        context = annotation if isinstance(annotation, str) and annotation else "CheckContext"
        if context not in _CONTEXTS:
            raise TypeError(
                f"{function.__name__}: ctx must be one of {sorted(_CONTEXTS)}, not {context}"
            )
        inputs = tuple(list(parameters)[1:])
        known = {f.name for f in fields(_CONTEXTS[context])}
        strange = [name for name in inputs if name not in known]
        if strange:
            raise TypeError(f"{function.__name__}: inputs that are not {context} fields: {strange}")
        REGISTRY.append(RegisteredCheck(tuple(codes), function, inputs, tuple(reads), context))
        return function

    return register


def load_all() -> list[RegisteredCheck]:
    """Import every module of this package (which registers its checks); the checks in run order."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return run_order(REGISTRY)


def run_order(checks: Iterable[RegisteredCheck]) -> list[RegisteredCheck]:
    """Every check after the checks making the codes it reads; otherwise by code, so the order does
    not depend on which module was imported first. A cycle is a ValueError naming the checks."""
    pending = sorted(checks, key=lambda c: (c.codes, c.name))
    done: list[RegisteredCheck] = []
    while pending:
        ready = next((c for c in pending if _prerequisites_done(c, pending)), None)
        if ready is None:
            raise ValueError(f"checks that read each other's codes: {[c.name for c in pending]}")
        pending.remove(ready)
        done.append(ready)
    return done


def _prerequisites_done(candidate: RegisteredCheck, pending: list[RegisteredCheck]) -> bool:
    return not any(
        other is not candidate and set(other.codes) & set(candidate.reads) for other in pending
    )


def run_checks(ctx: CheckContext | DeployContext) -> list[Finding]:
    for registered in load_all():
        if registered.ready(ctx):
            ctx.earlier.extend(registered.run(ctx))
    return list(ctx.earlier)


def run_one(function: CheckFunction, ctx: CheckContext | DeployContext) -> list[Finding]:
    """Run one registered check on ``ctx`` with its declared inputs ([] when one is missing)."""
    registered = next(r for r in REGISTRY if r.function is function)
    return list(registered.run(ctx)) if registered.ready(ctx) else []
