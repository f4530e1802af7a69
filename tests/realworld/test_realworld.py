"""mcheck on real releases from the package registry (slow: run with `nox -s realworld`).

Healthy releases of widely used packages must get no error finding: an error there is a false alarm,
i.e. a classification bug in mcheck. Releases whose wheel is known to have been broken must get exactly
the findings that name the breakage, and their fixed release no error at all.

Every outcome is saved as JSON under ``$MCHECK_REALWORLD_RESULTS`` (a temporary directory by default),
from which ``realworld_harness.py render`` writes ``docs/realworld.md``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from realworld_harness import (
    Broken,
    Healthy,
    Outcome,
    SuiteEntry,
    check_release,
    load_broken,
    load_healthy,
    load_suites,
    save_outcome,
)

pytestmark = pytest.mark.slow

HEALTHY = load_healthy()
BROKEN = load_broken()
SUITES = load_suites()
RESULTS_DIR = Path(
    os.environ.get("MCHECK_REALWORLD_RESULTS") or tempfile.mkdtemp(prefix="mcheck-realworld-")
)


def _check(pin, tmp_path: Path, role: str) -> Outcome:
    outcome = check_release(pin, tmp_path, role)
    save_outcome(outcome, RESULTS_DIR)
    return outcome


def _describe(outcome: Outcome, severity: str) -> str:
    return "\n".join(
        f"{f['code']} {f['path']}:{f['line']} {f['message']}" for f in outcome.by_severity(severity)
    )


def test_the_list_is_broad_enough() -> None:
    assert len(HEALTHY) >= 30
    assert len(BROKEN) >= 6
    assert len({h.pin.name for h in HEALTHY}) == len(HEALTHY), "a package is listed twice"


@pytest.mark.parametrize("entry", HEALTHY, ids=[h.pin.label for h in HEALTHY])
def test_healthy_release_gets_no_error(entry: Healthy, tmp_path: Path) -> None:
    outcome = _check(entry.pin, tmp_path, "healthy")
    assert outcome.modules_imported > 0, (
        "nothing was imported: the pipeline did not get as far as the probe"
    )
    assert outcome.keys("error") == set(), _describe(outcome, "error")


@pytest.mark.parametrize("entry", BROKEN, ids=[b.broken.label for b in BROKEN])
def test_broken_release_gets_the_findings_that_name_the_breakage(
    entry: Broken, tmp_path: Path
) -> None:
    outcome = _check(entry.broken, tmp_path, "broken")
    reported = outcome.keys("error") | outcome.keys("warning")
    assert entry.expected <= reported, (
        _describe(outcome, "error") + "\n" + _describe(outcome, "warning")
    )
    # Any other error is a consequence of the breakage (a module importing the dropped one), not noise.
    unexplained = {
        (code, path)
        for code, path in outcome.keys("error") - entry.expected
        if code not in entry.consequences
    }
    assert unexplained == set(), _describe(outcome, "error")


@pytest.mark.parametrize("entry", BROKEN, ids=[b.fixed.label for b in BROKEN])
def test_fixed_release_gets_no_error(entry: Broken, tmp_path: Path) -> None:
    outcome = _check(entry.fixed, tmp_path, "fixed")
    assert outcome.keys("error") == set(), _describe(outcome, "error")
    assert not (outcome.keys("warning") & entry.expected), _describe(outcome, "warning")


@pytest.mark.parametrize("entry", SUITES, ids=[s.pin.label for s in SUITES])
def test_the_releases_own_tests_fail_against_the_wheel_exactly_where_the_packaging_breaks_them(
    entry: SuiteEntry, tmp_path: Path
) -> None:
    outcome = _check(entry.pin, tmp_path, "suite")
    assert outcome.tests is not None and outcome.tests["paths"], "no tests found in the sdist"
    assert outcome.tests["ran"] + outcome.tests["uncollected"] > 0, "no test ran"
    packaging = {
        (f["code"], f["path"]) for f in outcome.findings if f["code"] in ("MC701", "MC703")
    }
    assert packaging == set(entry.expected), _describe(outcome, "error")
