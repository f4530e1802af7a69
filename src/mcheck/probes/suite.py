"""Host side of the suite probe: one pytest run of the project's tests inside the target venv.

:func:`run_suite` runs :mod:`mcheck.probes.scripts.suite_probe` through the one host runner, so a test
run gets what every probe gets: isolated mode, an allow-listed environment with a fresh HOME and TMPDIR,
its own session and subreaper, ``--sandbox``, and a wall-clock guard (``tests-timeout``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

from mcheck.probes.protocol import CaseResult, SuiteResult, parse_case, parse_suite_answer
from mcheck.probes.runner import Probe, ProbeError, log_tail, run_probe
from mcheck.sandbox import Sandbox

# Always on the command line: no cache directory written into the tests (or the checkout).
PYTEST_BASE_ARGS = ("-p", "no:cacheprovider")


@dataclass(frozen=True)
class SuiteRun:
    """Where and how one side runs: ``name`` ("wheel", "checkout") names the files and messages."""

    name: str
    cwd: Path
    rootdir: Path
    sys_path: tuple[Path, ...]
    args: tuple[str, ...]


def run_suite(
    python: Path,
    run: SuiteRun,
    *,
    timeout: float,
    workdir: Path,
    sandbox: Sandbox | None = None,
) -> SuiteResult:
    """Run pytest with ``python`` as ``run`` says; :class:`ProbeError` when the run itself failed."""
    probe = Probe(
        f"{run.name}-tests",
        "suite_probe.py",
        python,
        workdir,
        timeout,
        sandbox=sandbox,
        cwd=run.cwd,
        staged_as="mcheck_suite_probe.py",
    )
    request = {
        "cwd": str(run.cwd),
        "sys_path": [str(p) for p in run.sys_path],
        "args": [*PYTEST_BASE_ARGS, f"--rootdir={run.rootdir}", *run.args],
    }
    try:
        answer = run_probe(probe, request)
    except ProbeError as exc:
        if not exc.timed_out:
            raise
        finished = finished_cases(Path(f"{probe.files.answer}.cases"))
        last = f"; the last to finish was {finished[-1].nodeid}" if finished else ""
        raise ProbeError(
            f"the tests against the {run.name} did not finish within {timeout:.0f} s "
            f"(tests-timeout): {len(finished)} had finished{last}",
            timed_out=True,
            log_tail=exc.log_tail,
        ) from None
    try:
        result = without_run_prefixes(parse_suite_answer(answer), run.rootdir)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(f"the {probe.name} probe wrote a malformed answer: {exc!r}") from None
    if result.exit_code is None:
        raise ProbeError(
            f"pytest could not run against the {run.name}: {result.error}",
            log_tail=log_tail(probe.files.log),
        )
    return result


SITE_PACKAGES_PREFIX = re.compile(r"[^\s'\"()]*/site-packages/")


def without_run_prefixes(result: SuiteResult, rootdir: Path) -> SuiteResult:
    """Failure texts with the paths of this run's venv and copy made relative: ``pkg/data.json``
    where the run said ``/tmp/mcheck-x/3.12-venv/lib/python3.12/site-packages/pkg/data.json``, so
    that the same failure reads the same on every interpreter and on every run."""

    def clean(text: str | None) -> str | None:
        if not text:
            return text
        return SITE_PACKAGES_PREFIX.sub("", text.replace(f"{rootdir}/", ""))

    return dataclasses.replace(
        result,
        cases=tuple(
            dataclasses.replace(c, crash=clean(c.crash), longrepr=clean(c.longrepr))
            for c in result.cases
        ),
        collection_errors=tuple(
            dataclasses.replace(e, crash=clean(e.crash), longrepr=clean(e.longrepr))
            for e in result.collection_errors
        ),
    )


def finished_cases(stream: Path) -> list[CaseResult]:
    """The cases the probe streamed before it was stopped (a torn last line is skipped)."""
    try:
        lines = stream.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    cases = []
    for line in lines:
        try:
            cases.append(parse_case(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return cases
