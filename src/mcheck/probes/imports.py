"""Stage 4, probe (host side): run the import probe inside the target venv and parse its report.

The probe script (:mod:`mcheck.probes.scripts.import_probe`) is copied into ``workdir`` and run with the venv's
interpreter in isolated mode (``-I``) from an empty directory, so neither the checkout nor the caller's
``PYTHONPATH`` can leak onto ``sys.path``: what imports there is exactly what a user gets from the wheel.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mcheck.probes.protocol import (
    ExceptionInfo,
    ImportOrder,
    ProbeResult,
    parse_import_answer,
    parse_loaded_by,
)
from mcheck.probes.runner import SCRIPTS, Probe, ProbeError, run_probe
from mcheck.sandbox import Sandbox

PROBE_SCRIPT = SCRIPTS / "import_probe.py"  # runs as a staged copy: see mcheck.probes.runner
GUARD_SLACK = (
    60.0  # venv start-up, metadata scan and JSON writing on top of the per-module timeouts
)

# Python's own words for an import that met its module half-initialised: the module was imported in
# an order its package never uses, and a circular import that the package's entry modules resolve
# (Django's `django.db.backends.base.operations` after `django.db.models`) broke it.
CIRCULAR_IMPORT = re.compile(r"partially initialized module|most likely due to a circular import")

__all__ = [
    "CIRCULAR_IMPORT",
    "GUARD_SLACK",
    "PROBE_SCRIPT",
    "ProbeError",
    "order_dependent",
    "parse_probe_report",
    "run_import_probe",
]


def run_import_probe(
    python: Path,
    modules: Sequence[str],
    *,
    timeout: float,
    jobs: int,
    workdir: Path,
    sandbox: Sandbox | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ProbeResult:
    """Import every module of ``modules`` with ``python`` (a venv interpreter), each in isolation.

    ``on_progress(done, total)`` is called whenever the number of modules with a result changes.
    """
    guard = timeout * math.ceil(len(modules) / max(1, jobs)) + GUARD_SLACK
    probe = Probe(
        "import",
        "import_probe.py",
        python,
        workdir,
        guard,
        sandbox=sandbox,
        staged_as="mcheck_import_probe.py",
    )
    results_dir = Path(
        f"{probe.files.answer}.d"
    )  # one file per module result (docs/probe-protocol.md)
    tick = _progress_counter(results_dir, len(modules), on_progress) if on_progress else None
    answer = run_probe(probe, {"modules": list(modules), "timeout": timeout, "jobs": jobs}, tick)
    first_pass = parse_probe_report(answer)
    return _retry_after_package(python, first_pass, timeout, jobs, workdir, sandbox)


def order_dependent(result: ProbeResult) -> list[str]:
    """Modules whose import failed on a circular import: candidates for the retry."""
    return [
        name
        for name, module in result.modules.items()
        if module.status == "error" and module.error is not None and _circular(module.error)
    ]


def _circular(error: ExceptionInfo) -> bool:
    return any(CIRCULAR_IMPORT.search(e.message) for e in (error, *error.chain))


def _retry_after_package(
    python: Path,
    first_pass: ProbeResult,
    timeout: float,
    jobs: int,
    workdir: Path,
    sandbox: Sandbox | None,
) -> ProbeResult:
    """Import each module that failed on a circular import again, this time after every module of
    its top-level package that imported alone (in one process, as a program that uses the package
    has them). One that then imports is order-dependent, not broken: its result says so
    (``ModuleResult.import_order``). One that fails there for another reason gets that failure;
    the others keep theirs."""
    candidates = order_dependent(first_pass)
    if not candidates:
        return first_pass
    packages = {name.partition(".")[0] for name in candidates}
    first = [
        name
        for name, module in first_pass.modules.items()
        if module.status == "ok" and name.partition(".")[0] in packages
    ]
    seconds_first = sum(first_pass.modules[name].seconds for name in first)
    guard = timeout * math.ceil(len(candidates) / max(1, jobs)) + seconds_first + GUARD_SLACK
    probe = Probe(
        "import",
        "import_probe.py",
        python,
        workdir / "import-order",
        guard,
        sandbox=sandbox,
        staged_as="mcheck_import_probe.py",
    )
    request = {"modules": candidates, "timeout": timeout, "jobs": jobs, "first": first}
    try:
        answer = run_probe(probe, request)
        retry, loaded_by = parse_probe_report(answer), parse_loaded_by(answer)
    except (ProbeError, KeyError, TypeError, ValueError):
        return first_pass  # the retry only ever clears failures: without it they stand
    modules = dict(first_pass.modules)
    for name in candidates:
        again = retry.modules.get(name)
        if again is None:
            continue
        if again.status == "ok":
            order = ImportOrder(name.partition(".")[0], loaded_by.get(name))
            modules[name] = dataclasses.replace(modules[name], import_order=order)
        elif again.error is None or not _circular(again.error):
            # In the package's order it fails for another reason (Django's oracle backend then
            # lacks oracledb): that is its real failure, the cycle was an artefact of the order.
            modules[name] = again
    return dataclasses.replace(first_pass, modules=modules)


def _progress_counter(
    results_dir: Path, total: int, on_progress: Callable[[int, int], None]
) -> Callable[[], None]:
    """Read how many modules the probe finished (one byte each in its progress file) and report
    changes."""
    last = -1
    progress = results_dir / "progress"

    def tick() -> None:
        nonlocal last
        try:
            done = min(total, progress.stat().st_size)
        except OSError:
            return
        if done != last:
            last = done
            on_progress(done, total)

    return tick


def parse_probe_report(data: dict[str, Any]) -> ProbeResult:
    """The probe's JSON -> :class:`ProbeResult`, or :class:`ProbeError` when it is malformed."""
    try:
        return parse_import_answer(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(f"the import probe wrote a malformed answer ({exc!r})") from None
