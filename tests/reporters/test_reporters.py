"""Reporters: golden files for the people-facing formats, schema validation for the machine ones.

Regenerate the golden files after an intended output change with
``MCHECK_UPDATE_GOLDEN=1 pytest tests/test_reporters.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

import mcheck
from conftest import REPO_ROOT
from mcheck.catalogue import CATALOGUE
from mcheck.findings import (
    AppOutcome,
    Finding,
    ModuleCounts,
    ModuleOutcome,
    ModuleStatus,
    Report,
    Severity,
    Stage,
    StageTiming,
)
from mcheck.reporters import FORMATS, clean_text, junit, render
from mcheck.reporters.github import command, escape_data, escape_property, github_step_summary
from mcheck.reporters.sarif import to_sarif_data

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
JSON_SCHEMA = json.loads((REPO_ROOT / "docs" / "json-schema.json").read_text(encoding="utf-8"))
SARIF_SCHEMA = json.loads(
    (HERE / "data" / "sarif-2.1.0-subset.schema.json").read_text(encoding="utf-8")
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def fixed_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mcheck, "__version__", "9.9.9")


# Where the fixture's project lives in its repository: a src layout in a monorepo sub-directory.
SRC = "packages/demo/src"


def make_report(**overrides: object) -> Report:
    """A fixed report with findings of several stages and severities, deliberately out of order."""
    findings = [
        Finding(
            "MC304", "demo.win", "needs another platform: No module named 'winreg'", kind="module"
        ),
        Finding(
            "MC301",
            "demo.app.main",
            "ModuleNotFoundError: No module named 'demo.email'\n  raised at demo/app/main.py:4",
            hint="see MC101: demo/email/sender.py is not in the wheel",
            repo_path=f"{SRC}/demo/app/main.py",
            kind="module",
        ),
        Finding("MC106", "demo/__pycache__/util.cpython-311.pyc", "bytecode file in the wheel"),
        Finding(
            "MC101",
            "demo/email/sender.py",
            "not in the wheel: demo/email/ has no __init__.py",
            hint="add demo/email/__init__.py (or set namespaces = true)",
            repo_path=f"{SRC}/demo/email/sender.py",
        ),
        Finding(
            "MC202",
            "demo/crypto.py",
            "imports `Crypto`, which no declared dependency provides",
            hint="Crypto comes from pycryptodome; declare it",
            line=3,
            repo_path=f"{SRC}/demo/crypto.py",
        ),
        Finding(
            "MC203",
            "idna",
            "imported by demo/net.py but installed only because httpx needs it",
            kind="module",
        ),
    ]
    outcomes = [
        ModuleOutcome("demo", ModuleStatus.OK, 0.0512),
        ModuleOutcome(
            "demo.__main__",
            ModuleStatus.SKIPPED,
            None,
            "not imported: a __main__ module runs the program",
        ),
        ModuleOutcome("demo.app", ModuleStatus.OK, 0.01),
        ModuleOutcome("demo.app.main", ModuleStatus.FAILED, 0.2),
        ModuleOutcome(
            "demo.win",
            ModuleStatus.SKIPPED,
            0.03,
            "needs another platform: No module named 'winreg'",
        ),
    ]
    values: dict[str, object] = {
        "target": "dist/demo-1.0-py3-none-any.whl",
        "findings": findings,
        "stages": [
            StageTiming("discover", 0.0123, True),
            StageTiming("build", 2.5, True),
            StageTiming("install", 1.25, True),
            StageTiming("probe", 3.0, True),
        ],
        "modules": ModuleCounts.of(outcomes),
        "module_outcomes": outcomes,
        "project_file": "packages/demo/pyproject.toml",
    }
    values.update(overrides)
    return Report(**values)  # type: ignore[arg-type]


def clean_report() -> Report:
    return Report(target="dist/clean-2.0.tar.gz", modules=ModuleCounts(imported=3))


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MCHECK_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden file {path}; create it with MCHECK_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from its golden file; if intended, MCHECK_UPDATE_GOLDEN=1"
    )


# --- registry ---------------------------------------------------------------------------------------


def test_render_dispatches_to_every_format() -> None:
    for name in FORMATS:
        assert render(name, [make_report()]).endswith("\n"), name


def test_unknown_format_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"valid formats: github, json, junit, sarif, text"):
        render("yaml", [make_report()])


def test_clean_text_strips_escape_and_control_codes() -> None:
    assert (
        clean_text("\x1b[31mred\x1b[0m\r\nnext\x07 \x1b]0;title\x07ok\tend") == "red\nnext ok\tend"
    )


# --- text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("golden", "verbosity"), [("text.txt", 0), ("text-quiet.txt", -1), ("text-verbose.txt", 1)]
)
def test_text_golden(golden: str, verbosity: int) -> None:
    assert_golden(golden, render("text", [make_report(), clean_report()], verbosity=verbosity))


def test_text_single_target_summary_line() -> None:
    out = render("text", [make_report()])
    assert out.splitlines()[-1] == (
        "mcheck: 3 errors, 2 warnings, 1 info in 1 target (imported 2 modules, 1 failed, 2 skipped)"
    )
    assert render("text", [clean_report()]).splitlines()[-1] == (
        "mcheck: no problems found in 1 target (imported 3 modules, 0 failed)"
    )


def test_text_groups_by_stage_then_errors_first() -> None:
    out = render("text", [make_report()])
    codes = re.findall(r"^  \w+ +(MC\d{3}) ", out, flags=re.M)
    assert codes == ["MC301", "MC304", "MC101", "MC106", "MC202", "MC203"]
    headings = [line for line in out.splitlines() if line in {f"{s.value}:" for s in Stage}]
    assert headings == ["probe:", "diff:", "analyse:"]


def test_text_lists_every_app_started_and_its_health_answer() -> None:
    report = clean_report()
    report.apps = [
        AppOutcome(
            "demo.main:app", "Procfile:1", "in-process", ok=True, health="/health", status=200
        ),
        AppOutcome("demo.main:app", "Procfile:1", "serve", ok=False, health="/health", status=None),
        AppOutcome("demo.admin:app", "--asgi", "in-process", ok=True),
    ]
    lines = render("text", [report]).splitlines()
    start = lines.index("apps:")
    assert lines[start + 1 : start + 4] == [
        "  ok      demo.main:app (in-process, from Procfile:1): GET /health -> 200",
        "  FAILED  demo.main:app (serve, from Procfile:1): GET /health -> no answer",
        "  ok      demo.admin:app (in-process, from --asgi)",
    ]
    assert "apps:" not in render("text", [report], verbosity=-1)


def test_text_quiet_shows_only_errors() -> None:
    out = render("text", [make_report()], verbosity=-1)
    assert "MC101" in out and "MC301" in out
    assert "warning" not in out.replace("2 warnings", "") and "MC304" not in out


def test_text_plain_is_ascii_without_escape_codes_even_for_hostile_messages() -> None:
    report = make_report(
        findings=[Finding("MC001", None, "build failed:\n\x1b[31mError\x1b[0m: boom\r")]
    )
    out = render("text", [report])
    assert "\x1b" not in out and "\r" not in out
    assert out.isascii()
    assert "  error   MC001  build failed:\n" in out and "Error: boom" in out


def test_text_color_only_adds_styling(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI decides on colour; an inherited NO_COLOR must not silently override that decision.
    monkeypatch.setenv("NO_COLOR", "1")
    plain = render("text", [make_report()], verbosity=1)
    colored = render("text", [make_report()], color=True, verbosity=1)
    assert "\x1b[" in colored
    assert ANSI.sub("", colored) == plain


# --- JSON -------------------------------------------------------------------------------------------


def test_json_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(JSON_SCHEMA)


def test_json_schema_stage_names_match_the_pipeline() -> None:
    assert JSON_SCHEMA["$defs"]["stageName"]["enum"] == [s.value for s in Stage]
    assert JSON_SCHEMA["$defs"]["finding"]["properties"]["severity"]["enum"] == [
        "error",
        "warning",
        "info",
    ]


def test_json_single_report_validates_and_is_sorted() -> None:
    report = make_report()
    data = json.loads(render("json", [report]))
    jsonschema.Draft202012Validator(JSON_SCHEMA).validate(data)
    assert data["mcheck_version"] == "9.9.9"
    assert data["exit_code"] == 1
    assert [f["code"] for f in data["findings"]] == [f.code for f in report.sorted_findings]
    assert data["findings"][-2] == {
        "code": "MC202",
        "severity": "error",
        "path": "demo/crypto.py",
        "message": "imports `Crypto`, which no declared dependency provides",
        "hint": "Crypto comes from pycryptodome; declare it",
        "stage": "analyse",
        "line": 3,
        "repo_path": "packages/demo/src/demo/crypto.py",
        "affects": [],
        "kind": "file",
    }
    assert data["fail_on"] == "error"
    assert data["stages"][0] == {"name": "discover", "seconds": 0.012, "ok": True}
    assert data["modules"] == {"imported": 2, "failed": 1, "skipped": 2}
    assert data["module_outcomes"][:2] == [
        {"name": "demo", "status": "ok", "seconds": 0.051, "reason": None},
        {
            "name": "demo.__main__",
            "status": "skipped",
            "seconds": None,
            "reason": "not imported: a __main__ module runs the program",
        },
    ]
    assert [o["status"] for o in data["module_outcomes"]] == [
        "ok",
        "skipped",
        "ok",
        "failed",
        "skipped",
    ]
    assert data["project_file"] == "packages/demo/pyproject.toml"


def test_json_several_reports_wrap_with_max_exit_code() -> None:
    data = json.loads(render("json", [clean_report(), make_report()]))
    jsonschema.Draft202012Validator(JSON_SCHEMA).validate(data)
    assert data["exit_code"] == 1
    assert [r["target"] for r in data["reports"]] == [
        "dist/clean-2.0.tar.gz",
        "dist/demo-1.0-py3-none-any.whl",
    ]
    assert [r["exit_code"] for r in data["reports"]] == [0, 1]


def test_json_schema_rejects_drift() -> None:
    # Guards the tests above against a schema that accepts anything.
    data = json.loads(render("json", [make_report()]))
    data["findings"][0]["column"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(JSON_SCHEMA).validate(data)


# --- JUnit ------------------------------------------------------------------------------------------


def test_junit_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the codes the fixture uses plus one passing code, so new catalogue entries do not churn the file
    # (test_junit_one_testcase_per_code_failing_only_at_fail_on covers the full catalogue).
    codes = ["MC001", "MC101", "MC106", "MC202", "MC203", "MC301", "MC304"]
    monkeypatch.setattr(junit, "CATALOGUE", {code: CATALOGUE[code] for code in codes})
    assert_golden("junit.xml", render("junit", [make_report(), clean_report()]))


def _cases(xml: str, classname: str | None = None) -> dict[str, ET.Element]:
    """The first suite's testcases by code (``MC101``), or by module for ``classname="mcheck.import"``."""
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    cases = [
        c
        for c in suite.iter("testcase")
        if (c.get("classname") == "mcheck.import") == (classname is not None)
    ]
    return {case.get("name", "").split(" ")[0]: case for case in cases}


def test_junit_one_testcase_per_code_failing_only_at_fail_on() -> None:
    xml = render("junit", [make_report()])
    root = ET.fromstring(xml)
    cases = _cases(xml)
    assert list(cases) == list(CATALOGUE)
    assert cases["MC101"].get("classname") == "mcheck.diff"
    assert cases["MC101"].get("name") == f"MC101 {CATALOGUE['MC101'].title}"
    failed = sorted(code for code, case in cases.items() if case.find("failure") is not None)
    assert failed == ["MC101", "MC202", "MC301"]
    assert root.get("failures") == "4"  # the three codes and the module demo.app.main
    assert "demo/crypto.py:3" in (cases["MC202"].findtext("failure") or "")
    # Below fail_on: visible but passing.
    assert cases["MC106"].find("failure") is None
    assert "bytecode file in the wheel" in (cases["MC106"].findtext("system-out") or "")


def test_junit_one_testcase_per_module_failed_ones_carry_their_finding() -> None:
    xml = render("junit", [make_report()])
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    modules = _cases(xml, classname="mcheck.import")
    assert list(modules) == ["demo", "demo.__main__", "demo.app", "demo.app.main", "demo.win"]
    assert [m.get("time") for m in modules.values()] == ["0.051", None, "0.010", "0.200", "0.030"]
    # Passing modules have no child element at all.
    assert [len(modules[name]) for name in ("demo", "demo.app")] == [0, 0]
    failure = modules["demo.app.main"].find("failure")
    assert failure is not None
    assert failure.get("type") == "MC301"
    assert failure.get("message") == "ModuleNotFoundError: No module named 'demo.email'"
    assert failure.text == (
        "error demo.app.main: ModuleNotFoundError: No module named 'demo.email'\n  raised at demo/app/main.py:4\n"
        "  fix: see MC101: demo/email/sender.py is not in the wheel"
    )
    skipped = modules["demo.win"].find("skipped")
    assert (
        skipped is not None
        and skipped.get("message") == "needs another platform: No module named 'winreg'"
    )
    assert suite.get("skipped") == "2"
    assert suite.get("tests") == str(len(CATALOGUE) + 5)


def test_junit_warnings_fail_when_fail_on_is_warning() -> None:
    cases = _cases(render("junit", [make_report(fail_on=Severity.WARNING)]))
    assert cases["MC106"].find("failure") is not None
    assert cases["MC203"].find("failure") is not None
    assert cases["MC304"].find("failure") is None


def test_junit_survives_characters_xml_cannot_carry() -> None:
    report = make_report(findings=[Finding("MC001", None, "log:\x1b[1m bold\x00\x0c end & <tag>")])
    failure = _cases(render("junit", [report]))["MC001"].find("failure")
    assert failure is not None and failure.text == "error log: bold end & <tag>"


# --- SARIF ------------------------------------------------------------------------------------------


def _sarif_validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(SARIF_SCHEMA)
    cls.check_schema(SARIF_SCHEMA)
    return cls(SARIF_SCHEMA)


# RFC 3986 characters; jsonschema checks "format": "uri-reference" only with optional extras installed.
URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def test_sarif_validates_against_the_schema_subset() -> None:
    data = json.loads(render("sarif", [make_report(), clean_report()]))
    _sarif_validator().validate(data)
    results = data["runs"][0]["results"]
    # GitHub code scanning rejects a result without a file location ("expected at least one location").
    uris = [
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results
    ]
    assert len(uris) == 6 and all(URI_REFERENCE.fullmatch(uri) for uri in uris)


def test_sarif_subset_schema_is_not_vacuous() -> None:
    data = to_sarif_data([make_report()])
    data["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _sarif_validator().validate(data)


def test_sarif_rules_are_the_catalogue_and_results_point_at_them() -> None:
    run = to_sarif_data([make_report()])["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "mcheck" and run["tool"]["driver"]["version"] == "9.9.9"
    assert "informationUri" not in run["tool"]["driver"]
    assert [r["id"] for r in rules] == list(CATALOGUE)
    assert rules[list(CATALOGUE).index("MC304")]["defaultConfiguration"] == {"level": "note"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {
        "MC101": "error",
        "MC106": "warning",
        "MC301": "error",
        "MC304": "note",
        "MC202": "error",
        "MC203": "warning",
    }


def test_sarif_locations_are_repository_paths_and_modules_are_also_logical() -> None:
    results = {r["ruleId"]: r for r in to_sarif_data([make_report()])["runs"][0]["results"]}
    assert results["MC202"]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": f"{SRC}/demo/crypto.py"},
                "region": {"startLine": 3},
            }
        }
    ]
    assert results["MC101"]["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": f"{SRC}/demo/email/sender.py"}}}
    ]
    assert results["MC301"]["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": f"{SRC}/demo/app/main.py"}},
            "logicalLocations": [
                {"name": "main", "fullyQualifiedName": "demo.app.main", "kind": "module"}
            ],
        }
    ]
    assert results["MC101"]["message"]["text"] == (
        "not in the wheel: demo/email/ has no __init__.py (fix: add demo/email/__init__.py (or set namespaces = true))"
    )


def test_sarif_without_a_source_file_anchors_at_the_project_file_or_keeps_the_wheel_path() -> None:
    results = {r["ruleId"]: r for r in to_sarif_data([make_report()])["runs"][0]["results"]}
    # A module without a known file and an import name: anchored at pyproject.toml, named logically.
    assert results["MC304"]["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": "packages/demo/pyproject.toml"}},
            "logicalLocations": [
                {"name": "win", "fullyQualifiedName": "demo.win", "kind": "module"}
            ],
        }
    ]
    assert results["MC203"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "packages/demo/pyproject.toml"
    )
    # A wheel file the source tree does not have keeps its wheel path.
    assert results["MC106"]["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "demo/__pycache__/util.cpython-311.pyc"}}}
    ]
    # A wheel checked without its source tree has no project file: logical location only.
    bare = make_report(
        project_file=None, findings=[Finding("MC304", "demo.win", "optional", kind="module")]
    )
    assert to_sarif_data([bare])["runs"][0]["results"][0]["locations"] == [
        {"logicalLocations": [{"name": "win", "fullyQualifiedName": "demo.win", "kind": "module"}]}
    ]


def test_sarif_uri_is_percent_encoded() -> None:
    report = make_report(findings=[Finding("MC102", "demo/data files/50%.json", "missing")])
    location = to_sarif_data([report])["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "demo/data%20files/50%25.json"


# --- GitHub -----------------------------------------------------------------------------------------


def test_github_golden() -> None:
    report = make_report()
    assert_golden("github.txt", render("github", [report]))
    assert_golden("github-summary.md", github_step_summary([report, clean_report()]))


def test_github_command_shape() -> None:
    finding = Finding("MC202", "pkg/a.py", "imports yaml", hint="declare pyyaml", line=3)
    assert (
        command(finding)
        == "::error file=pkg/a.py,line=3,title=MC202::imports yaml (fix: declare pyyaml)"
    )
    in_repo = Finding("MC202", "pkg/a.py", "imports yaml", line=3, repo_path="libs/x/src/pkg/a.py")
    assert command(in_repo) == "::error file=libs/x/src/pkg/a.py,line=3,title=MC202::imports yaml"
    module = Finding("MC301", "pkg.a", "raised", repo_path="src/pkg/a.py", kind="module")
    assert command(module) == "::error file=src/pkg/a.py,title=MC301::pkg.a: raised"
    assert command(Finding("MC304", "pkg.win", "needs Windows", kind="module")).startswith(
        "::notice title=MC304::pkg.win: "
    )
    assert command(Finding("MC106", "pkg/x.pyc", "junk")).startswith("::warning file=pkg/x.pyc,")


def test_github_escaping() -> None:
    assert escape_data("100%\r\nnext: a, b") == "100%25%0D%0Anext: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = command(Finding("MC101", "pkg/we,ird:name.py", "50% lost\nsecond line"))
    assert line == "::error file=pkg/we%2Cird%3Aname.py,title=MC101::50%25 lost%0Asecond line"
    assert "\n" not in line


def test_github_step_summary_escapes_table_breakers() -> None:
    report = make_report(findings=[Finding("MC001", None, "a | b\n<script>")])
    summary = github_step_summary([report])
    assert "| error | MC001 |  | a \\| b<br>&lt;script&gt; |  |" in summary


def test_a_finding_with_a_code_outside_the_catalogue_is_refused_when_made():
    with pytest.raises(ValueError, match="not in the catalogue: 'MC999'"):
        Finding("MC999", "pkg/a.py", "made up")


def test_reporters_read_what_a_finding_is_about_instead_of_guessing_from_its_path():
    from mcheck.reporters.sarif import render_sarif

    # `pkg.py` is a module (pkg's submodule `py`), not a file, although its name looks like one
    module = Finding("MC301", "pkg.py", "importing pkg.py raised", kind="module")
    report = make_report(project_file="pyproject.toml", findings=[module])
    [result] = json.loads(render_sarif([report]))["runs"][0]["results"]
    assert result["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": "pyproject.toml"}},
            "logicalLocations": [{"name": "py", "fullyQualifiedName": "pkg.py", "kind": "module"}],
        }
    ]
    assert module.file is None
    assert Finding("MC101", "pkg/py.py", "missing").file == "pkg/py.py"


def test_every_format_renders_a_file_name_that_is_not_utf8() -> None:
    """A file named with the byte 0xff (Python keeps it as the surrogate U+DCFF) must not crash any
    reporter; SARIF's URI percent-encodes the real byte."""
    finding = Finding("MC106", "demo/\udcff.pyc", "bytecode file in the wheel")
    report = make_report(findings=[finding])
    for name in FORMATS:
        text = render(name, [report], color=False, verbosity=0)
        assert text.encode("utf-8", errors="backslashreplace")
    sarif = to_sarif_data([report])
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for loc in result["locations"]
    ]
    assert uris == ["demo/%FF.pyc"]
