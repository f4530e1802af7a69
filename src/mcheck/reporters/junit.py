"""JUnit XML: one ``<testsuite>`` per target, one ``<testcase>`` per catalogue code and per shipped module.

CI systems show JUnit as tests, so every code is a test that passes when nothing of that code was
found and fails when findings at or above the report's ``fail_on`` were; findings below that
threshold are listed in ``<system-out>`` so they are visible without failing the build. Every module
the wheel ships is a test too (``mcheck.import``), so the test tab names each module that failed to
import, next to the ones that imported and the ones that were skipped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence

import mcheck
from mcheck.catalogue import CATALOGUE, CodeInfo
from mcheck.findings import Finding, ModuleOutcome, ModuleStatus, Report, SuiteCase
from mcheck.reporters._common import clean_text, location, on_pythons

# Characters XML 1.0 cannot carry at all, not even escaped; ElementTree would write them verbatim
# and produce a file no CI system can parse.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(reports: Sequence[Report], *, color: bool = False, verbosity: int = 0) -> str:
    """A ``<testsuites>`` document with one ``<testsuite>`` per report."""
    suites = [_testsuite(report) for report in reports]
    root = ET.Element(
        "testsuites",
        name="mcheck",
        tests=str(sum(int(s.get("tests", "0")) for s in suites)),
        failures=str(sum(int(s.get("failures", "0")) for s in suites)),
        errors="0",
    )
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", clean_text(text))


def _testsuite(report: Report) -> ET.Element:
    cases = list(_testcases(report))
    suite = ET.Element(
        "testsuite",
        name=_xml_text(report.target),
        tests=str(len(cases)),
        failures=str(sum(1 for c in cases if c.find("failure") is not None)),
        errors="0",
        skipped=str(sum(1 for c in cases if c.find("skipped") is not None)),
        time=f"{sum(s.seconds for s in report.stages):.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="mcheck.version", value=mcheck.__version__)
    ET.SubElement(properties, "property", name="mcheck.cached", value=str(report.cached).lower())
    if report.computed_at is not None:
        ET.SubElement(properties, "property", name="mcheck.computed_at", value=report.computed_at)
    suite.extend(cases)
    return suite


def _testcases(report: Report) -> Iterator[ET.Element]:
    yield from _code_testcases(report)
    yield from _module_testcases(report)
    yield from (_suite_testcase(case, report) for case in report.tests)


PASSING_OUTCOMES = ("passed", "xfailed", "xpassed")


def _suite_testcase(case: SuiteCase, report: Report) -> ET.Element:
    """One testcase per test of the project's suite (``classname="mcheck.tests"``), per interpreter:
    a ``<failure>`` when its finding fails the run, the finding in ``system-out`` when it does not
    (MC702 under ``fail-on = error``), ``<skipped>`` when pytest skipped it against the wheel."""
    name = f"{case.nodeid} [{case.python}]" if case.python else case.nodeid
    element = ET.Element("testcase", classname="mcheck.tests", name=_xml_text(name))
    element.set("time", f"{case.seconds:.3f}")
    outcome = (
        f"{case.wheel or 'not run'} against the wheel, {case.checkout or 'not run'} on the checkout"
    )
    detail = f"{outcome}: {case.detail}" if case.detail else outcome
    if case.code is not None and CATALOGUE[case.code].severity.rank >= report.fail_on.rank:
        failure = ET.SubElement(element, "failure", message=_xml_text(detail), type=case.code)
        failure.text = _xml_text(f"{case.code} {CATALOGUE[case.code].title}")
    elif case.code is not None:
        ET.SubElement(element, "system-out").text = _xml_text(f"{case.code}: {detail}")
    elif case.wheel not in PASSING_OUTCOMES:
        ET.SubElement(element, "skipped", message=_xml_text(outcome))
    return element


def _module_testcases(report: Report) -> Iterator[ET.Element]:
    """One testcase per shipped module (``classname="mcheck.import"``, ``name=<module>``): passing when it
    imported, ``<failure>`` carrying its findings when it failed, ``<skipped>`` with the reason otherwise."""
    by_path: dict[str, list[Finding]] = {}
    for finding in report.sorted_findings:
        if finding.path is not None:
            by_path.setdefault(finding.path, []).append(finding)
    for outcome in report.module_outcomes:
        findings = [
            f
            for f in by_path.get(outcome.name, [])
            if outcome.python is None or not f.pythons or outcome.python in f.pythons
        ]
        yield _module_testcase(outcome, findings)


def _module_testcase(outcome: ModuleOutcome, findings: list[Finding]) -> ET.Element:
    # With several interpreters, one testcase per module per interpreter: "pkg.mod [3.12]".
    name = f"{outcome.name} [{outcome.python}]" if outcome.python else outcome.name
    case = ET.Element("testcase", classname="mcheck.import", name=_xml_text(name))
    if outcome.seconds is not None:
        case.set("time", f"{outcome.seconds:.3f}")
    if outcome.status is ModuleStatus.FAILED:
        first = findings[0] if findings else None
        message = (
            first.message.strip().splitlines()[0]
            if first and first.message.strip()
            else "import failed"
        )
        failure = ET.SubElement(
            case, "failure", message=_xml_text(message), type=first.code if first else "import"
        )
        failure.text = "\n".join(_finding_line(f) for f in findings) or None
    elif outcome.status is ModuleStatus.SKIPPED:
        ET.SubElement(case, "skipped", message=_xml_text(outcome.reason or "not imported"))
    return case


def _code_testcases(report: Report) -> Iterator[ET.Element]:
    by_code: dict[str, list[Finding]] = {}
    for finding in report.sorted_findings:
        by_code.setdefault(finding.code, []).append(finding)
    for info in CATALOGUE.values():
        yield _code_testcase(info, by_code.get(info.code, []), report)


def _code_testcase(info: CodeInfo, findings: list[Finding], report: Report) -> ET.Element:
    case = ET.Element(
        "testcase", classname=f"mcheck.{info.stage.value}", name=f"{info.code} {info.title}"
    )
    failing = [f for f in findings if f.severity.rank >= report.fail_on.rank]
    passing = [f for f in findings if f.severity.rank < report.fail_on.rank]
    if failing:
        count = len(failing)
        failure = ET.SubElement(
            case,
            "failure",
            message=f"{count} {info.severity.value}{'s' if count != 1 else ''}: {_xml_text(info.title)}",
            type=info.code,
        )
        failure.text = "\n".join(_finding_line(f) for f in failing)
    if passing:
        ET.SubElement(case, "system-out").text = "\n".join(_finding_line(f) for f in passing)
    return case


def _finding_line(finding: Finding) -> str:
    where = location(finding.path, finding.line)
    message = finding.message + on_pythons(finding.pythons)
    text = f"{finding.severity.value} {where + ': ' if where else ''}{message}"
    if finding.hint:
        text += f"\n  fix: {finding.hint}"
    return _xml_text(text)
