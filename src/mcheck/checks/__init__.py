"""Checks: small functions from a :class:`CheckContext` to findings.

Adding a check means: one entry in :mod:`mcheck.catalogue`, one function here decorated with
``@check("MCxxx", ...)``, one sample project, one test. The pipeline runs every registered check
whose inputs are available; checks never run subprocesses or touch the network.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mcheck.findings import Finding

if TYPE_CHECKING:
    from mcheck.analysis.model import StaticAnalysis
    from mcheck.probes.protocol import AppProbeResult, ProbeResult
    from mcheck.wheel.artifacts import SdistContents, WheelContents
    from mcheck.wheel.discover import Project


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
    # Findings already made by earlier checks, so later ones can point at a root cause.
    earlier: list[Finding] = field(default_factory=list)


CheckFunction = Callable[[CheckContext], Iterable[Finding]]


@dataclass(frozen=True)
class RegisteredCheck:
    codes: tuple[str, ...]
    function: CheckFunction
    needs: tuple[str, ...]

    def ready(self, ctx: CheckContext) -> bool:
        return all(getattr(ctx, attr) is not None for attr in self.needs)


REGISTRY: list[RegisteredCheck] = []


def check(*codes: str, needs: tuple[str, ...] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check producing ``codes``; it runs only when every context attribute in ``needs`` is set.

    Checks run in registration order (module import order in :func:`load_all`), so a check that links to
    a root cause (MC301 -> MC101) is registered after the checks that find root causes.
    """

    def register(function: CheckFunction) -> CheckFunction:
        from mcheck.catalogue import CATALOGUE

        unknown = [c for c in codes if c not in CATALOGUE]
        if unknown:
            raise ValueError(f"{function.__name__}: codes not in the catalogue: {unknown}")
        REGISTRY.append(RegisteredCheck(codes, function, needs))
        return function

    return register


# Check modules in run order: root causes (contents, dependencies, ...) before the checks that link to
# them (import_failures, entrypoints). A new check module is added here.
CHECK_MODULES = ("contents", "declared_data", "project_code", "versions", "first_party", "dependencies", "names",
                 "import_failures", "entrypoints")


def load_all() -> list[RegisteredCheck]:
    """Import every check module (which registers its checks) and return the registry."""
    for name in CHECK_MODULES:
        importlib.import_module(f"mcheck.checks.{name}")
    # Sorted, not import-ordered: a test importing one check module first must not change the order.
    return sorted(REGISTRY, key=lambda r: CHECK_MODULES.index(r.function.__module__.rsplit(".", 1)[-1]))


def run_checks(ctx: CheckContext) -> list[Finding]:
    for registered in load_all():
        if registered.ready(ctx):
            ctx.earlier.extend(registered.function(ctx))
    return list(ctx.earlier)
