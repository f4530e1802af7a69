"""The machine-readable reporter: the stable JSON contract documented in ``docs/json-schema.json``.

Changing the shape of this output means changing that schema (and bumping ``SCHEMA_VERSION`` when
the change is not purely additive); the test suite validates the output against it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import mcheck
from mcheck.findings import (
    AppOutcome,
    Finding,
    ModuleCounts,
    ModuleOutcome,
    ModuleStatus,
    Report,
    Severity,
    StageTiming,
    SuiteCase,
    SuiteSummary,
)

SCHEMA_VERSION = 1


def render_json(reports: Sequence[Report], *, color: bool = False, verbosity: int = 0) -> str:
    """One report -> one report object; several (or none) -> ``{"reports": [...]}`` with the max exit code."""
    return json.dumps(to_json_data(reports), indent=2) + "\n"


def to_json_data(reports: Sequence[Report]) -> dict[str, Any]:
    """The JSON document as Python data (for callers that embed it instead of printing it)."""
    if len(reports) == 1:
        return _report_object(reports[0])
    return {
        "schema": SCHEMA_VERSION,
        "mcheck_version": mcheck.__version__,
        "exit_code": max((r.exit_code for r in reports), default=0),
        "reports": [_report_object(r) for r in reports],
    }


def _report_object(report: Report) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "mcheck_version": mcheck.__version__,
        "target": report.target,
        "exit_code": report.exit_code,
        "findings": [_finding_object(f) for f in report.sorted_findings],
        "stages": [
            {"name": s.name, "seconds": round(s.seconds, 3), "ok": s.ok} for s in report.stages
        ],
        "modules": {
            "imported": report.modules.imported,
            "failed": report.modules.failed,
            "skipped": report.modules.skipped,
        },
        "module_outcomes": [_outcome_object(o) for o in report.module_outcomes],
        "apps": [_app_object(a) for a in report.apps],
        "project_file": report.project_file,
        "fail_on": report.fail_on.value,
        "cached": report.cached,
        **({"computed_at": report.computed_at} if report.cached else {}),
        **_repository_root(report),
        **_pythons(report),
        **_tests(report),
        **_fixes(report),
    }


def _fixes(report: Report) -> dict[str, Any]:
    """Only with --fix/--diff: an additive key of schema 1."""
    if not report.fixes and report.fix_diff is None:
        return {}
    return {
        "fixes": [
            {
                "code": f.code,
                "path": f.path,
                "fix": f.description,
                "status": f.status,
                "reason": f.reason,
                "follow_up": f.follow_up,
            }
            for f in report.fixes
        ]
    }


def _tests(report: Report) -> dict[str, Any]:
    """Only with ``--tests``: additive keys of schema 1."""
    if report.suite is None:
        return {}
    suite = report.suite
    return {
        "tests_run": {
            "paths": list(suite.paths),
            "chosen_by": suite.chosen_by,
            "requirements_from": suite.requirements_from,
            "mode": suite.mode,
            "collected": suite.collected,
        },
        "tests": [_case_object(case) for case in report.tests],
    }


def _case_object(case: SuiteCase) -> dict[str, Any]:
    return {
        "nodeid": case.nodeid,
        "wheel": case.wheel,
        "checkout": case.checkout,
        "seconds": round(case.seconds, 3),
        "code": case.code,
        "detail": case.detail,
        **({"python": case.python} if case.python else {}),
    }


def _pythons(report: Report) -> dict[str, Any]:
    """Only when the wheel was imported with some interpreter: additive keys of schema 1."""
    if not report.pythons:
        return {}
    return {"pythons": list(report.pythons), "pythons_chosen": report.pythons_chosen}


def _repository_root(report: Report) -> dict[str, Any]:
    """Only for the commands that look for it (``mcheck deploy``): an additive key of schema 1."""
    if report.repository_root is None:
        return {}
    path, found_by = report.repository_root
    return {"repository_root": {"path": path, "found_by": found_by}}


def _app_object(app: AppOutcome) -> dict[str, Any]:
    return {
        "spec": app.spec,
        "source": app.source,
        "mode": app.mode,
        "ok": app.ok,
        "health": app.health,
        "status": app.status,
        "seconds": round(app.seconds, 3),
        "command": list(app.command),
        **({"python": app.python} if app.python else {}),
    }


def _outcome_object(outcome: ModuleOutcome) -> dict[str, Any]:
    seconds = round(outcome.seconds, 3) if outcome.seconds is not None else None
    return {
        "name": outcome.name,
        "status": outcome.status.value,
        "seconds": seconds,
        "reason": outcome.reason,
        **({"python": outcome.python} if outcome.python else {}),
    }


def _finding_object(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "path": finding.path,
        "message": finding.message,
        "hint": finding.hint,
        "stage": finding.stage.value,
        "line": finding.line,
        "repo_path": finding.repo_path,
        "affects": list(finding.affects),
        "kind": finding.kind,
        **({"pythons": list(finding.pythons)} if finding.pythons else {}),
    }


# --- reading it back ------------------------------------------------------------------------------


def report_from_data(data: dict[str, Any]) -> Report:
    """The report one report object of this schema was written from (``mcheck merge`` reads shards
    with it, the result cache replays entries with it). What no reporter writes (the fixes' edits,
    the installed versions) is not in it."""
    report = Report(target=str(data["target"]), fail_on=Severity(data.get("fail_on", "error")))
    report.findings = [_finding(f) for f in data["findings"]]
    report.stages = [
        StageTiming(s["name"], float(s["seconds"]), bool(s["ok"])) for s in data["stages"]
    ]
    report.module_outcomes = [
        ModuleOutcome(
            o["name"], ModuleStatus(o["status"]), o["seconds"], o["reason"], o.get("python")
        )
        for o in data["module_outcomes"]
    ]
    modules = data["modules"]
    report.modules = ModuleCounts(modules["imported"], modules["failed"], modules["skipped"])
    report.apps = [
        AppOutcome(
            a["spec"],
            a["source"],
            a["mode"],
            a["ok"],
            a["health"],
            a["status"],
            a["seconds"],
            tuple(a["command"]),
            a.get("python"),
        )
        for a in data["apps"]
    ]
    report.project_file = data["project_file"]
    root = data.get("repository_root")
    report.repository_root = (root["path"], root["found_by"]) if root else None
    report.pythons = [str(version) for version in data.get("pythons", [])]
    report.pythons_chosen = data.get("pythons_chosen")
    report.suite, report.tests = _suite(data)
    report.computed_at = data.get("computed_at")
    return report


def _suite(data: dict[str, Any]) -> tuple[SuiteSummary | None, list[SuiteCase]]:
    """``tests_run`` and ``tests`` (with --tests) back into the report they were written from."""
    run = data.get("tests_run")
    if run is None:
        return None, []
    summary = SuiteSummary(
        tuple(run["paths"]),
        run["chosen_by"],
        run["requirements_from"],
        run["mode"],
        run["collected"],
    )
    cases = [
        SuiteCase(
            t["nodeid"],
            t["wheel"],
            t["checkout"],
            t["seconds"],
            t["code"],
            t["detail"],
            t.get("python"),
        )
        for t in data.get("tests", [])
    ]
    return summary, cases


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(
        data["code"],
        data["path"],
        data["message"],
        hint=data["hint"],
        line=data["line"],
        repo_path=data.get("repo_path"),
        affects=tuple(data.get("affects", ())),
        kind=data.get("kind", "file"),
        pythons=tuple(data.get("pythons", ())),
    )
