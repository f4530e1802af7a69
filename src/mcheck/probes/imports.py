"""Stage 4, probe (host side): run the import probe inside the target venv and parse its report.

The probe script (:mod:`mcheck.probes.scripts.import_probe`) is copied into ``workdir`` and run with the venv's
interpreter in isolated mode (``-I``) from an empty directory, so neither the checkout nor the caller's
``PYTHONPATH`` can leak onto ``sys.path``: what imports there is exactly what a user gets from the wheel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mcheck.probes.protocol import ProbeResult, parse_import_answer
from mcheck.probes.runner import SCRIPTS, Probe, ProbeError, run_probe
from mcheck.sandbox import Sandbox

PROBE_SCRIPT = SCRIPTS / "import_probe.py"  # runs as a staged copy: see mcheck.probes.runner
GUARD_SLACK = (
    60.0  # venv start-up, metadata scan and JSON writing on top of the per-module timeouts
)

__all__ = ["GUARD_SLACK", "PROBE_SCRIPT", "ProbeError", "parse_probe_report", "run_import_probe"]


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
    return parse_probe_report(answer)


def _progress_counter(
    results_dir: Path, total: int, on_progress: Callable[[int, int], None]
) -> Callable[[], None]:
    """Count the per-module result files the probe writes and report changes."""
    last = -1

    def tick() -> None:
        nonlocal last
        try:
            done = min(total, sum(1 for _ in results_dir.glob("result-*.json")))
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
