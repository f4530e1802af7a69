"""SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, VS Code SARIF viewer, ...).

One run for all targets; ``tool.driver.rules`` is the whole catalogue so a result's ``ruleIndex`` is
stable across runs; each result records its target in ``properties.target``. File locations are
repository paths (:attr:`Finding.repo_path`, filled by the pipeline) whenever the source file is
known, so code scanning can place them; otherwise the wheel-relative path is the best there is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import mcheck
from mcheck.catalogue import CATALOGUE, CodeInfo
from mcheck.explain import dedent_example, fold_prose
from mcheck.findings import Finding, Report, Severity
from mcheck.reporters._common import on_pythons

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_INDEX = {code: index for index, code in enumerate(CATALOGUE)}


def render_sarif(reports: Sequence[Report], *, color: bool = False, verbosity: int = 0) -> str:
    """A SARIF 2.1.0 log with one run holding the findings of every report."""
    return json.dumps(to_sarif_data(reports), indent=2) + "\n"


def to_sarif_data(reports: Sequence[Report]) -> dict[str, Any]:
    results = [_result(f, r) for r in reports for f in r.sorted_findings]
    driver = {
        "name": "mcheck",
        "version": mcheck.__version__,
        "rules": [_rule(i) for i in CATALOGUE.values()],
    }
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def rule_name(title: str) -> str:
    """A readable identifier from a title: "a `x.py` and `x/` share a name" -> "a-x-py-and-x-share-a-name"."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _rule(info: CodeInfo) -> dict[str, Any]:
    before, after = dedent_example(info.before), dedent_example(info.after)
    return {
        "id": info.code,
        "name": rule_name(info.title),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": fold_prose(info.why)},
        "help": {
            "text": f"Before:\n{before}\n\nAfter:\n{after}",
            "markdown": f"Before:\n\n```\n{before}\n```\n\nAfter:\n\n```\n{after}\n```",
        },
        "defaultConfiguration": {"level": LEVELS[info.severity]},
    }


def _result(finding: Finding, report: Report) -> dict[str, Any]:
    message = finding.message + on_pythons(finding.pythons)
    text = f"{message} (fix: {finding.hint})" if finding.hint else message
    return {
        "ruleId": finding.code,
        "ruleIndex": _RULE_INDEX[finding.code],
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": _locations(finding, report.project_file),
        "properties": {
            "target": report.target,
            "stage": finding.stage.value,
            **({"cached": True, "computed_at": report.computed_at} if report.cached else {}),
        },
    }


def _locations(finding: Finding, project_file: str | None) -> list[dict[str, Any]]:
    """A physical location (the repository path when known) and, for a module or import name, a logical one.

    GitHub code scanning rejects a result without a file location, so a finding that names no file is
    anchored at the project's ``pyproject.toml`` (``project_file``) when the report knows it.
    """
    location: dict[str, Any] = {}
    file = finding.file
    if file is not None:
        location["physicalLocation"] = _physical(file, finding.line)
    elif project_file is not None:
        location["physicalLocation"] = _physical(project_file, None)
    if finding.path is not None and finding.kind != "file":
        name = finding.path.rsplit(".", 1)[-1]
        location["logicalLocations"] = [
            {"name": name, "fullyQualifiedName": finding.path, "kind": "module"}
        ]
    return [location] if location else []


def _uri(path: str) -> str:
    """A path as a URI reference. A file name that is not UTF-8 (its bytes kept by Python as
    surrogates) is percent-encoded byte for byte, so the URI still names the real file."""
    raw = path.replace("\\", "/").encode("utf-8", errors="surrogateescape")
    return quote(raw, safe="/")


def _physical(path: str, line: int | None) -> dict[str, Any]:
    # artifactLocation.uri must be a URI reference: percent-encode spaces, '%', '#', '?' and the like.
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return physical
