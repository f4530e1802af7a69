"""The parts of ``--tests`` that need no build: finding the suite, its configuration and test
dependencies, the copy, the verdicts, the root-cause links and the command line's spellings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mcheck.checks.suite import root_cause
from mcheck.cli import normalise_argv
from mcheck.errors import UsageError
from mcheck.findings import Finding
from mcheck.probes.protocol import CaseResult, CollectionError, SuiteResult
from mcheck.settings import resolve_settings
from mcheck.wheel.discover import discover_project
from mcheck.wheel.suite import (
    CodePaths,
    copy_suite,
    find_suite,
    requirement_lines,
    suite_requirements,
)
from mcheck.wheel.suite_verdicts import SuiteComparison, suite_cases, verdicts

pytestmark = pytest.mark.unit


def project(tmp_path: Path, pyproject: str, files: dict[str, str] | None = None):
    root = tmp_path / "proj"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n' + pyproject,
        encoding="utf-8",
    )
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return discover_project(root)


NAMED = '[project]\nname = "demo"\nversion = "1"\n'


# --- which tests -------------------------------------------------------------------------------------


def test_pytest_testpaths_choose_the_tests_and_the_config_file_is_named(tmp_path):
    found = project(
        tmp_path,
        NAMED + '[tool.pytest.ini_options]\ntestpaths = ["checks"]\n',
        {"checks/test_a.py": "", "tests/test_b.py": ""},
    )
    suite = find_suite(found)
    assert suite.paths == ("checks",)
    assert suite.chosen_by == "pytest's testpaths (pyproject.toml)"


def test_without_configuration_the_tests_directory_then_root_test_files_are_the_suite(tmp_path):
    assert find_suite(project(tmp_path / "a", NAMED, {"test/test_a.py": ""})).paths == ("test",)
    flat = find_suite(project(tmp_path / "b", NAMED, {"test_six.py": "", "six.py": ""}))
    assert (flat.paths, flat.chosen_by) == (("test_six.py",), "the test files at the project root")
    assert find_suite(project(tmp_path / "c", NAMED, {"demo.py": ""})) is None


def test_paths_given_to_pytest_replace_the_default_and_tests_path_must_exist(tmp_path):
    found = project(tmp_path, NAMED, {"tests/test_a.py": "", "tests/test_b.py": ""})
    suite = find_suite(found, pytest_args=("-k", "fast", "tests/test_a.py::test_x"))
    assert suite.paths == ("tests/test_a.py",) and suite.user_paths
    assert suite.arguments() == ["-k", "fast", "tests/test_a.py::test_x"]
    assert find_suite(found).arguments() == ["tests"]
    with pytest.raises(UsageError, match="tests-path: nowhere: no such file or directory"):
        find_suite(found, tests_path=("nowhere",))


def test_the_configuration_above_the_project_is_pytests_rootdir_as_in_a_monorepo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -ra\npythonpath = packages/a/src\n")
    (tmp_path / "conftest.py").write_text("ROOT = 1\n")
    root = tmp_path / "packages" / "a"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("")
    (root / "conftest.py").write_text("MEMBER = 1\n")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n' + NAMED
    )
    suite = find_suite(discover_project(root))
    assert suite.base == tmp_path.resolve() and suite.position == "packages/a"
    copy = tmp_path.parent / "copy"
    cwd = copy_suite(suite, copy, CodePaths(("src/a",), frozenset()))
    assert cwd == copy / "packages" / "a"
    assert (cwd / "tests" / "test_a.py").is_file()
    assert (copy / "conftest.py").read_text() == "ROOT = 1\n"
    assert (cwd / "conftest.py").read_text() == "MEMBER = 1\n"
    # The copy keeps the project's settings but not those that point at the checkout.
    assert (copy / "pytest.ini").read_text() == "[pytest]\naddopts = -ra\n"


def test_toml_lists_become_ini_lines_in_the_copys_pytest_ini(tmp_path):
    found = project(
        tmp_path,
        NAMED + "[tool.pytest.ini_options]\n"
        'markers = ["slow: long", "net: network"]\nxfail_strict = true\npythonpath = ["src"]\n',
        {"tests/test_a.py": ""},
    )
    copy_suite(find_suite(found), tmp_path / "copy", CodePaths((), frozenset()))
    assert (tmp_path / "copy" / "pytest.ini").read_text() == (
        "[pytest]\nmarkers = slow: long\n    net: network\nxfail_strict = true\n"
    )


def test_the_copy_is_the_checkout_without_the_code_the_wheel_is_built_from(tmp_path):
    files = {
        "src/demo/__init__.py": "",
        "src/demo/data.json": "{}",
        "demo_cli.py": "",
        "docs/conf.py": "",
        "setup.cfg": "",
        "demo.egg-info/PKG-INFO": "",
        "tests/test_a.py": "",
        "src/demo/tests/test_inside.py": "",
    }
    found = project(tmp_path, NAMED, files)
    suite = find_suite(found, tests_path=("tests", "src/demo/tests"))
    code = CodePaths(("src/demo",), frozenset({"demo_cli.py"}))
    cwd = copy_suite(suite, tmp_path / "copy", code)
    copied = sorted(p.relative_to(cwd).as_posix() for p in cwd.rglob("*") if p.is_file())
    assert copied == [
        "docs/conf.py",
        "pyproject.toml",
        "pytest.ini",
        "setup.cfg",
        "src/demo/tests/test_inside.py",
        "tests/test_a.py",
    ]


# --- what the tests need ---------------------------------------------------------------------------


def test_test_dependencies_come_from_groups_then_extras_then_poetry_then_files(tmp_path):
    groups = project(
        tmp_path / "groups",
        NAMED + '[dependency-groups]\nlint = ["ruff"]\n'
        'test = ["pytest>=8", {include-group = "lint"}, "demo[cli]"]\n'
        '[project.optional-dependencies]\ntest = ["nose"]\n',
    )
    assert suite_requirements(groups).requirements == ("pytest>=8", "ruff")
    assert suite_requirements(groups).extras == ("cli",)  # the project itself: the wheel's extra
    extras = project(
        tmp_path / "extras", NAMED + '[project.optional-dependencies]\ntests = ["x"]\n'
    )
    assert suite_requirements(extras).extras == ("tests",)
    assert suite_requirements(extras).source == "the extra `tests` (pyproject.toml), and pytest"
    poetry = project(
        tmp_path / "poetry",
        NAMED + '[tool.poetry.group.dev.dependencies]\npython = "^3.9"\npytest-mock = "^3"\n',
    )
    assert suite_requirements(poetry).requirements == ("pytest-mock", "pytest")
    files = project(tmp_path / "files", NAMED, {"requirements/test.txt": "hypothesis\n"})
    assert suite_requirements(files).requirements == ("hypothesis", "pytest")
    assert suite_requirements(files).source == "requirements/test.txt, and pytest"
    bare = project(tmp_path / "bare", NAMED)
    assert suite_requirements(bare).requirements == ("pytest",)


def test_a_requirements_file_never_installs_the_checkout(tmp_path):
    (tmp_path / "base.txt").write_text("requests>=2  # the client\n-e .\n")
    (tmp_path / "test.txt").write_text(
        "-r base.txt\n--index-url https://example.invalid\n.\n./vendored/pkg\npytest\nnot a req!\n"
    )
    assert requirement_lines(tmp_path / "test.txt") == ["requests>=2", "pytest"]


# --- verdicts ----------------------------------------------------------------------------------------


def case(nodeid: str, outcome: str, crash: str | None = None) -> CaseResult:
    return CaseResult(nodeid, outcome, 0.1, nodeid.split("::")[0], 3, crash)


def test_each_test_is_judged_by_its_two_outcomes():
    wheel = SuiteResult(
        0,
        4,
        (
            case("t.py::packaging", "failed"),
            case("t.py::code", "failed"),
            case("t.py::fine", "passed"),
            case("t.py::fixture", "error"),
        ),
        (CollectionError("u.py", "ModuleNotFoundError: No module named 'pkg.sub'"),),
    )
    checkout = SuiteResult(
        1,
        5,
        (
            case("t.py::packaging", "passed"),
            case("t.py::code", "failed"),
            case("t.py::fine", "passed"),
            case("t.py::fixture", "passed"),
            case("u.py::test_sub", "passed"),
        ),
    )
    comparison = SuiteComparison(wheel, checkout)
    assert [(v.code, v.nodeid) for v in verdicts(comparison)] == [
        ("MC702", "t.py::code"),
        ("MC701", "t.py::fixture"),
        ("MC701", "t.py::packaging"),
        ("MC703", "u.py"),
    ]
    table = {c.nodeid: (c.wheel, c.checkout, c.code) for c in suite_cases(comparison, "3.12")}
    assert table == {
        "t.py::code": ("failed", "failed", "MC702"),
        "t.py::fine": ("passed", "passed", None),
        "t.py::fixture": ("error", "passed", "MC701"),
        "t.py::packaging": ("failed", "passed", "MC701"),
        "u.py::test_sub": ("uncollected", "passed", "MC703"),
    }


def test_a_file_neither_side_can_collect_is_not_blamed_on_the_packaging():
    error = CollectionError("u.py", "SyntaxError: invalid syntax")
    both = SuiteComparison(SuiteResult(2, 0, (), (error,)), SuiteResult(2, 0, (), (error,)))
    assert [(v.code, v.nodeid) for v in verdicts(both)] == [("MC702", "u.py")]


def test_test_files_are_named_relative_to_the_project_not_the_rootdir():
    comparison = SuiteComparison(SuiteResult(0, 0), None, position="packages/a")
    assert comparison.project_path("packages/a/tests/test_x.py::test_y") == "tests/test_x.py"


# --- root causes -------------------------------------------------------------------------------------


def test_the_dropped_file_in_the_traceback_or_the_missing_module_is_the_root_cause():
    earlier = [
        Finding("MC102", "pkg/templates/page.html", "data file dropped"),
        Finding("MC101", "pkg/plugins/__init__.py", "module dropped"),
        Finding("MC202", "pkg/io.py", "pkg/io.py:3 imports yaml, which no ...", line=3),
    ]
    read = case(
        "t::a", "failed", "FileNotFoundError: [Errno 2] No such file: 'pkg/templates/page.html'"
    )
    assert root_cause(read, earlier).startswith("root cause: MC102 pkg/templates/page.html;")
    plugin = case("t::b", "failed", "ModuleNotFoundError: No module named 'pkg.plugins.echo'")
    assert root_cause(plugin, earlier).startswith("root cause: MC101 pkg/plugins/__init__.py;")
    yaml = case("t::c", "failed", "ModuleNotFoundError: No module named 'yaml'")
    assert root_cause(yaml, earlier).startswith("root cause: MC202 pkg/io.py:3;")
    other = case("t::d", "failed", "ModuleNotFoundError: No module named 'pkg.gone'")
    assert root_cause(other, earlier).startswith("`pkg.gone` is not importable from the installed")
    assert root_cause(case("t::e", "failed", "AssertionError: 1 != 2"), earlier) is None


# --- spellings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["wheel", "--tests", "proj"], ["wheel", "--tests=both", "proj"]),
        (["wheel", "--tests", "wheel-only", "p"], ["wheel", "--tests", "wheel-only", "p"]),
        (["wheel", "--no-tests"], ["wheel", "--tests=off"]),
        (
            ["wheel", "p", "--tests", "--", "-k", "fast", "--", "x"],
            [
                *("wheel", "p", "--tests=both", "--pytest-arg=-k", "--pytest-arg=fast"),
                *("--pytest-arg=--", "--pytest-arg=x"),
            ],
        ),
        (["deploy", "--tests"], ["deploy", "--tests"]),
    ],
)
def test_a_bare_tests_flag_and_pytest_arguments_after_the_separator_are_spelled_out(argv, expected):
    assert normalise_argv(argv) == expected


def test_the_tests_setting_takes_true_false_or_a_mode():
    assert resolve_settings({"tests": True}, {}).tests == "both"
    assert resolve_settings({"tests": "wheel-only"}, {}).tests == "wheel-only"
    assert resolve_settings({"tests": True}, {"tests": False}).tests is None
    with pytest.raises(
        UsageError, match="tests must be true, false, 'both', 'wheel-only' or 'off'"
    ):
        resolve_settings({"tests": "yes"}, {}, "pyproject.toml")


def test_the_tests_of_a_json_report_are_read_back_by_merge(tmp_path):
    from mcheck.fanout import read_reports
    from mcheck.findings import Report, SuiteCase, SuiteSummary
    from mcheck.reporters import render

    report = Report(target="proj")
    report.suite = SuiteSummary(("tests",), "the tests/ directory", "pytest alone", "both", 2)
    report.tests = [
        SuiteCase(
            "tests/test_a.py::test_x", "failed", "passed", 0.5, "MC701", "OSError: x", "3.12"
        ),
        SuiteCase("tests/test_a.py::test_y", "passed", "passed", 0.25),
    ]
    (tmp_path / "r.json").write_text(render("json", [report]))
    [back] = read_reports([tmp_path / "r.json"])
    assert (back.suite, back.tests) == (report.suite, report.tests)
