"""JUnit XML: one ``<testsuite>`` per target, one ``<testcase>`` per catalogue code.

CI systems show JUnit as tests, so every code is a test that passes when nothing of that code was
found and fails when findings at or above the report's ``fail_on`` were; findings below that
threshold are listed in ``<system-out>`` so they are visible without failing the build.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence

import mcheck
from mcheck.catalogue import CATALOGUE, CodeInfo
from mcheck.findings import Finding, Report
from mcheck.reporters import clean_text, location

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
        skipped="0",
        time=f"{sum(s.seconds for s in report.stages):.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="mcheck.version", value=mcheck.__version__)
    suite.extend(cases)
    return suite


def _testcases(report: Report) -> Iterator[ET.Element]:
    yield from _code_testcases(report)
    yield from _module_testcases(report)


def _module_testcases(report: Report) -> Iterator[ET.Element]:
    """One testcase per probed module (``classname="mcheck.import"``, ``name=<module>``).

    ``Report`` carries only module counts for now; once it carries the probe's per-module results
    (``ModuleResult``), yield a passing testcase per ``ok`` module and a ``<failure>`` per failed one here.
    """
    return iter(())


def _code_testcases(report: Report) -> Iterator[ET.Element]:
    by_code: dict[str, list[Finding]] = {}
    for finding in report.sorted_findings:
        by_code.setdefault(finding.code, []).append(finding)
    for info in CATALOGUE.values():
        yield _code_testcase(info, by_code.get(info.code, []), report)


def _code_testcase(info: CodeInfo, findings: list[Finding], report: Report) -> ET.Element:
    case = ET.Element("testcase", classname=f"mcheck.{info.stage.value}", name=f"{info.code} {info.title}")
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
    text = f"{finding.severity.value} {where + ': ' if where else ''}{finding.message}"
    if finding.hint:
        text += f"\n  fix: {finding.hint}"
    return _xml_text(text)
