"""Stage ``tests``, part two: compare the suite's runs test by test.

A test that fails against the installed wheel and passes on the checkout failed because of packaging
(MC701); one that fails on both fails because of the code (MC702); a test file that cannot be
collected against the wheel but can on the checkout imports something the wheel lacks (MC703). This
module only classifies; :mod:`mcheck.checks.suite` words the findings and links root causes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from mcheck.findings import SuiteCase
from mcheck.probes.protocol import CaseResult, CollectionError, SuiteResult

UNCOLLECTED = "uncollected"


@dataclass(frozen=True)
class SuiteComparison:
    """The two runs of one suite on one interpreter; ``checkout`` is None with ``wheel-only``."""

    wheel: SuiteResult
    checkout: SuiteResult | None
    position: str = ""  # the project root relative to pytest's rootdir ("" when the same)

    def project_path(self, nodeid: str) -> str:
        """The test file of ``nodeid`` relative to the project root, as findings name files."""
        file = nodeid.split("::", 1)[0]
        prefix = f"{self.position}/" if self.position else ""
        return file[len(prefix) :] if prefix and file.startswith(prefix) else file


@dataclass(frozen=True)
class Verdict:
    """One finding-worthy difference: a failing test (MC701/MC702) or an uncollectable file (MC703,
    MC702 when the checkout cannot collect it either)."""

    code: str
    nodeid: str
    wheel: CaseResult | CollectionError
    checkout: CaseResult | CollectionError | None  # None: not run on the checkout


def verdicts(comparison: SuiteComparison) -> list[Verdict]:
    """Every difference worth a finding, in nodeid order."""
    found = [*_collection_verdicts(comparison), *_case_verdicts(comparison)]
    return sorted(found, key=lambda v: v.nodeid)


def _collection_verdicts(comparison: SuiteComparison) -> list[Verdict]:
    checkout = comparison.checkout
    found = []
    for error in comparison.wheel.collection_errors:
        also = _collection_error(checkout, error.nodeid) if checkout is not None else None
        code = "MC702" if also is not None else "MC703"
        found.append(Verdict(code, error.nodeid, error, also))
    return found


def _case_verdicts(comparison: SuiteComparison) -> list[Verdict]:
    found = []
    for case in comparison.wheel.cases:
        if not case.failing:
            continue
        other = comparison.checkout.case(case.nodeid) if comparison.checkout else None
        code = "MC702" if other is not None and other.failing else "MC701"
        found.append(Verdict(code, case.nodeid, case, other))
    return found


def _collection_error(result: SuiteResult, nodeid: str) -> CollectionError | None:
    return next((e for e in result.collection_errors if e.nodeid == nodeid), None)


def suite_cases(comparison: SuiteComparison, python: str | None = None) -> list[SuiteCase]:
    """The per-test table of the reports: every test either side ran, its two outcomes and code."""
    codes = {v.nodeid: v.code for v in verdicts(comparison)}
    wheel = {c.nodeid: c for c in comparison.wheel.cases}
    checkout = {c.nodeid: c for c in comparison.checkout.cases} if comparison.checkout else {}
    uncollected = [e.nodeid for e in comparison.wheel.collection_errors]
    cases = []
    for nodeid in sorted(set(wheel) | set(checkout)):
        on_wheel, on_checkout = wheel.get(nodeid), checkout.get(nodeid)
        file_error = next((f for f in uncollected if _belongs(nodeid, f)), None)
        wheel_outcome = on_wheel.outcome if on_wheel else (UNCOLLECTED if file_error else None)
        detail = on_wheel.crash if on_wheel and on_wheel.failing else None
        code = codes.get(nodeid) or (codes.get(file_error) if file_error else None)
        cases.append(
            SuiteCase(
                nodeid=nodeid,
                wheel=wheel_outcome,
                checkout=on_checkout.outcome if on_checkout else None,
                seconds=on_wheel.seconds if on_wheel else 0.0,
                code=code,
                detail=detail,
                python=python,
            )
        )
    return cases


def _belongs(nodeid: str, collected: str) -> bool:
    """``tests/test_a.py::test_b`` belongs to the collector ``tests/test_a.py`` (or ``tests``)."""
    file = PurePosixPath(nodeid.split("::", 1)[0])
    return nodeid.startswith(f"{collected}::") or PurePosixPath(collected) in file.parents
