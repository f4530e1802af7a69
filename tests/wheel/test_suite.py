"""``mcheck wheel --tests``: the project's own tests against the installed wheel, and on the checkout.

``SPEC`` is the specification per sample: the exact findings (code, path, line) a run with
``tests=True`` reports, and every test's outcome against the wheel and on the checkout. Paths are the
test file relative to the project root (MC701-MC703) or the wheel path (MC101, MC102).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import copy_sample, tree_digest

NO_FINDINGS: set = set()

SPEC: dict[str, dict] = {
    # A template read when called, dropped by the sdist: every module imports, one test fails.
    "tests_template_dropped": {
        "findings": {
            ("MC102", "render_pages/templates/page.html", None),
            ("MC701", "tests/test_render.py", 8),
        },
        "tests": {
            "tests/test_render.py::test_page": ("failed", "passed", "MC701"),
            "tests/test_render.py::test_title": ("passed", "passed", None),
        },
    },
    "tests_template_dropped_fixed": {
        "findings": NO_FINDINGS,
        "tests": {
            "tests/test_render.py::test_page": ("passed", "passed", None),
            "tests/test_render.py::test_title": ("passed", "passed", None),
        },
    },
    # The code is wrong: the test fails on both sides, a warning that is not a packaging problem.
    "tests_real_bug": {
        "findings": {("MC702", "tests/test_totals.py", 8)},
        "tests": {
            "tests/test_totals.py::test_total_with_discount": ("failed", "failed", "MC702"),
            "tests/test_totals.py::test_total_without_discount": ("passed", "passed", None),
        },
    },
    # The test module imports a sub-package the wheel lacks: it cannot even be collected there.
    "tests_import_dropped_subpackage": {
        "findings": {
            ("MC101", "plugin_host/plugins/__init__.py", None),
            ("MC101", "plugin_host/plugins/echo.py", None),
            ("MC703", "tests/test_plugins.py", None),
        },
        "tests": {
            "tests/test_plugins.py::test_every_builtin_plugin_loads": (
                "uncollected",
                "passed",
                "MC703",
            ),
        },
    },
    # A flat layout: the checkout's package directory hides the file the wheel lacks.
    "tests_flat_layout_schema": {
        "findings": {
            ("MC102", "config_schemas/schemas/v1.json", None),
            ("MC701", "tests/test_schemas.py", 4),
        },
        "tests": {
            "tests/test_schemas.py::test_v1_requires_name_and_port": ("failed", "passed", "MC701"),
        },
    },
    # The code reads a file above its package: nothing any wheel can ship (aboutcode-toolkit#525).
    "tests_reads_above_package": {
        "findings": {("MC701", "tests/test_cards.py", 4)},
        "tests": {
            "tests/test_cards.py::test_the_card_names_the_student": ("failed", "passed", "MC701"),
        },
    },
}


@pytest.fixture(scope="module")
def tested(tmp_path_factory):
    """``tested(name)``: the report of one ``tests=True`` run of a fresh copy of the sample, and
    the copy's file tree before and after (the checkout run must leave it as it was)."""
    cache: dict = {}

    def run(name: str, **settings):
        key = (name, tuple(sorted(settings.items())))
        if key not in cache:
            root = copy_sample(name, tmp_path_factory.mktemp(name) / name)
            before = tree_digest(root)
            cache[key] = (_check(root, **{"tests": True, **settings}), before, tree_digest(root))
        return cache[key]

    return run


def _check(root: Path, **settings):
    from mcheck.api import check_wheel

    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty, contextlib.chdir(empty):
        return check_wheel(root, **settings)


def findings_of(report) -> set:
    return {(f.code, f.path, f.line) for f in report.findings}


def outcomes_of(report) -> dict:
    return {c.nodeid: (c.wheel, c.checkout, c.code) for c in report.tests}


@pytest.mark.parametrize("name", sorted(SPEC))
def test_findings_and_test_outcomes_are_exactly_the_specified_ones(tested, name):
    report, before, after = tested(name)
    assert findings_of(report) == SPEC[name]["findings"]
    assert outcomes_of(report) == SPEC[name]["tests"]
    assert after == before, "running the tests on the checkout changed the source tree"


def test_a_test_failing_only_against_the_wheel_names_the_dropped_file_as_its_root_cause(tested):
    report, _, _ = tested("tests_template_dropped")
    [finding] = [f for f in report.findings if f.code == "MC701"]
    assert finding.message == (
        "tests/test_render.py::test_page passed on the checkout and fails against the installed "
        "wheel: FileNotFoundError: [Errno 2] No such file or directory: "
        "'render_pages/templates/page.html'"
    )
    assert finding.hint.startswith("root cause: MC102 render_pages/templates/page.html; ")
    assert report.exit_code == 1  # without --tests the same project passes with a warning


def test_a_file_read_from_above_the_package_is_named_with_its_place_in_the_source_tree(tested):
    report, _, _ = tested("tests_reads_above_package")
    [finding] = report.findings
    assert finding.hint == (
        "the code reads `report_cards/../../templates/card.txt`, a path that climbs out of the "
        "installed package `report_cards` (`templates/card.txt` in the source tree): a wheel "
        "installs packages, nothing beside them; move the file into the package and read it with "
        "importlib.resources"
    )


def test_an_uncollectable_test_module_names_the_missing_module_and_the_dropped_package(tested):
    report, _, _ = tested("tests_import_dropped_subpackage")
    [finding] = [f for f in report.findings if f.code == "MC703"]
    assert "ModuleNotFoundError: No module named 'plugin_host.plugins'" in finding.message
    assert finding.hint.startswith("root cause: MC101 plugin_host/plugins/__init__.py")


def test_the_report_says_which_tests_ran_chosen_how_with_which_dependencies(tested):
    summaries = {name: tested(name)[0].suite for name in SPEC}
    assert summaries["tests_template_dropped"].chosen_by == "pytest's testpaths (pyproject.toml)"
    assert summaries["tests_template_dropped"].paths == ("tests",)
    assert summaries["tests_template_dropped"].collected == 2
    assert {name: s.requirements_from for name, s in summaries.items()} == {
        "tests_template_dropped": "dependency group `test` (pyproject.toml)",
        "tests_template_dropped_fixed": "dependency group `test` (pyproject.toml)",
        "tests_real_bug": "the extra `test` (pyproject.toml)",
        "tests_import_dropped_subpackage": "dependency group `dev` (pyproject.toml)",
        "tests_flat_layout_schema": "dependency group `test` (pyproject.toml)",
        "tests_reads_above_package": "dependency group `test` (pyproject.toml)",
    }


def test_wheel_only_runs_no_checkout_and_reports_every_failure_unjudged(tested):
    report, _, _ = tested("tests_real_bug", tests="wheel-only")
    assert findings_of(report) == {("MC701", "tests/test_totals.py", 8)}
    [finding] = report.findings
    assert "not run on the checkout (--tests=wheel-only)" in finding.message
    assert {c.checkout for c in report.tests} == {None}
    assert report.suite.mode == "wheel-only"


def test_pytest_arguments_select_the_tests_on_both_sides(tested):
    report, _, _ = tested("tests_template_dropped", pytest_args=("-k", "title"))
    assert outcomes_of(report) == {"tests/test_render.py::test_title": ("passed", "passed", None)}
    assert findings_of(report) == {("MC102", "render_pages/templates/page.html", None)}


def test_no_tests_found_is_said_and_is_not_a_finding(tmp_path):
    root = copy_sample("clean_flit", tmp_path / "clean_flit")
    report = _check(root, tests=True)
    assert report.suite is not None and report.suite.paths == ()
    assert report.suite.chosen_by.startswith("no tests found")
    assert report.findings == [] and report.tests == []


def test_the_cli_reports_each_test_in_json_and_junit_and_a_tally_in_text(tested, tmp_path):
    root = copy_sample("tests_template_dropped", tmp_path / "tests_template_dropped")
    json_out, junit_out = tmp_path / "report.json", tmp_path / "report.xml"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "mcheck", "wheel", str(root), "--tests"),
            *("-f", "text", "-o", "-", "-f", "json", "-o", str(json_out)),
            *("-f", "junit", "-o", str(junit_out)),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "2 tests ran against the wheel and on the checkout: 1 passed, 1 broken by the " in (
        done.stdout
    )
    assert done.stdout.rstrip().endswith("(imported 1 module, 0 failed; 2 tests ran, 1 failed)")
    data = json.loads(json_out.read_text())
    assert data["tests_run"]["mode"] == "both"
    assert [(t["nodeid"], t["wheel"], t["checkout"], t["code"]) for t in data["tests"]] == [
        ("tests/test_render.py::test_page", "failed", "passed", "MC701"),
        ("tests/test_render.py::test_title", "passed", "passed", None),
    ]
    cases = {
        c.get("name"): c
        for c in ET.parse(junit_out).iter("testcase")
        if c.get("classname") == "mcheck.tests"
    }
    assert set(cases) == {"tests/test_render.py::test_page", "tests/test_render.py::test_title"}
    assert cases["tests/test_render.py::test_page"].find("failure").get("type") == "MC701"
    assert cases["tests/test_render.py::test_title"].find("failure") is None


def test_a_suite_that_outruns_its_timeout_is_stopped_with_everything_it_started(tmp_path):
    root = copy_sample("tests_real_bug", tmp_path / "tests_real_bug")
    marker = f"mcheck-suite-timeout-{tmp_path.name}"
    (root / "tests" / "test_zz_hangs.py").write_text(
        "import subprocess, time\n\n\n"
        "def test_starts_a_daemon_and_hangs():\n"
        f"    subprocess.Popen(['sleep', '300', '{marker}'], start_new_session=True)\n"
        "    time.sleep(300)\n",
        encoding="utf-8",
    )
    report = _check(root, tests=True, tests_timeout=8)
    [failure] = [f for f in report.findings if f.code == "MC003"]
    assert failure.message.startswith(
        "the tests against the wheel did not finish within 8 s (tests-timeout): 2 had finished; "
        "the last to finish was tests/test_totals.py::test_total_with_discount"
    )
    assert report.tests == []  # nothing is judged from a run that did not finish
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    assert left.stdout == "", "a process the tests started outlived the run"


def test_a_root_conftest_that_puts_the_source_on_sys_path_cannot_hide_the_dropped_file(tmp_path):
    root = copy_sample("tests_template_dropped", tmp_path / "tests_template_dropped")
    (root / "conftest.py").write_text(
        "import pathlib, sys\n\nsys.path.insert(0, str(pathlib.Path(__file__).parent / 'src'))\n",
        encoding="utf-8",
    )
    report = _check(root, tests=True)
    assert findings_of(report) == SPEC["tests_template_dropped"]["findings"]


def test_test_dependencies_that_do_not_install_are_reported_and_no_test_is_judged(tmp_path):
    root = copy_sample("tests_real_bug", tmp_path / "tests_real_bug")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'test = ["pytest>=8"]', 'test = ["pytest>=8", "mcheck-no-such-distribution-xyz==1"]'
        )
    )
    report = _check(root, tests=True)
    [failure] = [f for f in report.findings if f.code == "MC003"]
    assert failure.path is None
    assert failure.message.startswith(
        "the tests did not run: their dependencies (the extra `test` (pyproject.toml)) do not "
        "install next to the wheel: could not install the test dependencies"
    )
    assert report.tests == []
