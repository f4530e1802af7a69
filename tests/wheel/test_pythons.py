"""Every supported Python in one run: which interpreters are chosen, how their findings merge, and
what the interpreter itself removed (MC206 statically, the MC301 hint at import time).

Tests that need a given interpreter skip, saying which, when it is not installed here; the project's
machines (and CI's) have pyenv's 3.8-3.13.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import copy_sample, python_installed
from mcheck.analysis.imports import extract_imports
from mcheck.analysis.model import StaticAnalysis
from mcheck.checks import CheckContext, run_one
from mcheck.checks.import_failures import classify_probe
from mcheck.checks.python_floor import removed_by_python, uses_removed_stdlib
from mcheck.errors import UsageError
from mcheck.findings import Finding, ModuleOutcome, ModuleStatus, Report
from mcheck.interpreters import Interpreter, installed_interpreters, own_interpreter
from mcheck.knowledge.python_versions import (
    STDLIB_MODULES_ADDED,
    STDLIB_MODULES_REMOVED,
    STDLIB_NAMES_REMOVED,
)
from mcheck.probes.protocol import ExceptionInfo, Frame, ModuleResult, ProbeResult
from mcheck.reporters import render
from mcheck.wheel.across_pythons import merge_findings
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.pythons import choose_pythons


def needs(*versions: str):
    missing = [v for v in versions if not python_installed(v)]
    return pytest.mark.skipif(
        bool(missing), reason=f"Python {', '.join(missing)} is not installed here"
    )


def fake(*versions: str) -> list[Interpreter]:
    return [
        Interpreter(tuple(int(p) for p in v.split(".")), f"/opt/python{v}/bin/python3")
        for v in versions
    ]


# --- choosing the interpreters -------------------------------------------------------------------


@pytest.mark.unit
def test_by_default_mcheck_s_own_interpreter_when_requires_python_admits_it():
    choice = choose_pythons((), ">=3.8", inventory=lambda: fake("3.12.1"))
    assert choice.interpreters == (own_interpreter(),)
    assert choice.why == "mcheck's own interpreter"


@pytest.mark.unit
def test_by_default_the_newest_admitted_one_when_mcheck_s_own_is_excluded():
    own = own_interpreter().minor
    newer = f"3.{own[1] + 1}"
    installed = fake(f"{newer}.0", f"3.{own[1] + 2}.4", "3.8.1")
    choice = choose_pythons((), f">={newer}", inventory=lambda: installed)
    assert [i.full_version for i in choice.interpreters] == [f"3.{own[1] + 2}.4"]
    assert "the newest installed that requires-python" in choice.why
    assert f"mcheck's own {own[0]}.{own[1]} is excluded" in choice.why


@pytest.mark.unit
def test_no_admitted_interpreter_is_bad_input_naming_what_was_found():
    with pytest.raises(UsageError) as raised:
        choose_pythons((), ">=3.15", inventory=lambda: fake("3.10.2", "3.12.1"))
    assert "requires-python >=3.15 admits no interpreter installed here (found: 3.10, 3.12)" in str(
        raised.value
    )


@pytest.mark.unit
def test_a_requires_python_no_release_satisfies_is_the_wheel_s_problem_not_the_machine_s():
    choice = choose_pythons((), ">=4", inventory=lambda: fake("3.12.1"))
    assert choice.interpreters == (own_interpreter(),)  # and the install fails: MC002


@pytest.mark.unit
def test_supported_is_every_installed_cpython_admitted_and_lists_the_missing_ones():
    installed = fake("3.7.16", "3.9.18", "3.10.13", "3.12.1")
    choice = choose_pythons(("supported",), ">=3.9,<3.13", inventory=lambda: installed)
    assert [i.label for i in choice.interpreters] == ["3.9", "3.10", "3.12"]
    (info,) = choice.findings
    assert (info.code, info.path) == ("MC004", None)
    assert info.message == (
        "requires-python >=3.9,<3.13 admits Python 3.11, which is not installed here: not checked"
    )


@pytest.mark.unit
def test_an_explicit_interpreter_that_requires_python_excludes_is_bad_input():
    with pytest.raises(
        UsageError, match=re.escape("which the wheel's requires-python >=3.99 excludes")
    ):
        choose_pythons((sys.executable,), ">=3.99", inventory=lambda: [])


@pytest.mark.unit
def test_the_inventory_finds_mcheck_s_own_interpreter_and_only_working_ones():
    found = installed_interpreters()
    assert own_interpreter().minor in {i.minor for i in found}
    assert len({(i.implementation, i.minor) for i in found}) == len(found)


# --- merging the findings of several interpreters ------------------------------------------------


@pytest.mark.unit
def test_a_finding_on_every_interpreter_is_reported_once_and_one_on_some_names_them():
    static = Finding("MC205", "pkg/__init__.py", "`import tomllib` needs Python 3.11", line=3)
    failing = Finding("MC301", "pkg", "importing pkg raised ModuleNotFoundError", kind="module")
    merged = merge_findings([("3.10", [static, failing]), ("3.11", [static]), ("3.12", [static])])
    assert merged == [static, Finding(**{**failing.__dict__, "pythons": ("3.10",)})]


@pytest.mark.unit
def test_one_interpreter_leaves_the_findings_as_they_are():
    only = Finding("MC301", "pkg", "raised", kind="module")
    assert merge_findings([("3.11", [only])]) == [only]


@pytest.mark.unit
def test_every_reporter_says_on_which_interpreters_a_finding_occurs():
    finding = Finding("MC301", "pkg", "importing pkg raised X", kind="module", pythons=("3.10",))
    report = Report(target="proj", findings=[finding], pythons=["3.10.13", "3.12.1"])
    report.module_outcomes = [
        ModuleOutcome("pkg", ModuleStatus.FAILED, 0.1, python="3.10"),
        ModuleOutcome("pkg", ModuleStatus.OK, 0.1, python="3.12"),
    ]
    assert "importing pkg raised X (on Python 3.10 only)" in render("text", [report])
    assert "(on Python 3.10 only)" in render("sarif", [report])
    assert "(on Python 3.10 only)" in render("github", [report])
    data = json.loads(render("json", [report]))
    assert data["findings"][0]["pythons"] == ["3.10"]
    assert data["pythons"] == ["3.10.13", "3.12.1"]
    assert [o["python"] for o in data["module_outcomes"]] == ["3.10", "3.12"]
    cases = ET.fromstring(render("junit", [report])).iter("testcase")
    imports = {c.get("name"): c for c in cases if c.get("classname") == "mcheck.import"}
    assert set(imports) == {"pkg [3.10]", "pkg [3.12]"}
    assert imports["pkg [3.10]"].find("failure") is not None
    assert imports["pkg [3.12]"].find("failure") is None


# --- MC206: what a newer Python removed --------------------------------------------------------------


def removed_findings(tmp_path: Path, source: str, requires: str, deps: str = "") -> list:
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("demo/__init__.py", source)
        metadata = f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Python: {requires}\n"
        zf.writestr("demo-1.0.dist-info/METADATA", metadata + deps)
        zf.writestr("demo-1.0.dist-info/RECORD", "")
    sites = extract_imports("demo", "demo/__init__.py", source, is_package=True)
    ctx = CheckContext(wheel=WheelContents.read(path), analysis=StaticAnalysis(imports=sites))
    return [(f.line, f.message) for f in run_one(uses_removed_stdlib, ctx)]


@pytest.mark.unit
def test_old_pythons_paths_in_functions_and_compat_modules_are_not_findings(tmp_path):
    """pip 24.3 keeps its distutils locations in functions it calls on old Pythons only, and in
    `locations/_distutils.py`, which it imports there only; pdm keeps `import imp` in a
    `load_next_sitecustomize_py2()`. Only what importing a module itself runs is judged."""
    source = "def load_py2():\n    import imp\n    return imp\n"
    assert removed_findings(tmp_path, source, ">=3.8") == []
    compat = "import distutils.sysconfig\n"
    sites = extract_imports("demo._distutils", "demo/_distutils.py", compat, is_package=False)
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    ctx = CheckContext(wheel=WheelContents.read(path), analysis=StaticAnalysis(imports=sites))
    assert list(run_one(uses_removed_stdlib, ctx)) == []


@pytest.mark.unit
def test_removed_modules_and_names_are_findings_when_requires_python_reaches_the_removal(tmp_path):
    source = (
        "import imp\n"
        "from collections import Mapping\n"
        "from distutils.util import strtobool\n"
        "try:\n    import telnetlib\nexcept ImportError:\n    telnetlib = None\n"
    )
    assert removed_findings(tmp_path, source, ">=3.8") == [
        (
            1,
            "`import imp` fails on Python 3.12 and newer, which removed it from the standard "
            "library; requires-python >=3.8 allows them, and it works up to 3.11 only",
        ),
        (
            2,
            "`from collections import Mapping` fails on Python 3.10 and newer, which removed it "
            "from the standard library; requires-python >=3.8 allows them, and it works up to 3.9 only",
        ),
        (
            3,
            "`import distutils.util` fails on Python 3.12 and newer, which removed it from the "
            "standard library; requires-python >=3.8 allows them, and it works up to 3.11 only",
        ),
    ]


@pytest.mark.unit
def test_a_cap_below_the_removal_or_a_declared_provider_is_no_finding(tmp_path):
    assert removed_findings(tmp_path, "import imp\n", ">=3.8,<3.12") == []
    setuptools = "Requires-Dist: setuptools>=60\n"
    assert removed_findings(tmp_path, "import distutils.core\n", ">=3.8", setuptools) == []
    deadlib = "Requires-Dist: standard-telnetlib; python_version >= '3.13'\n"
    assert removed_findings(tmp_path, "import telnetlib\n", ">=3.8", deadlib) == []


@pytest.mark.unit
def test_the_interpreter_is_named_as_the_cause_of_a_removed_name_at_import_time(tmp_path):
    wheel_path = tmp_path / "demo-1.0-py3-none-any.whl"
    import zipfile

    with zipfile.ZipFile(wheel_path, "w") as zf:
        zf.writestr("demo/__init__.py", "")
        zf.writestr(
            "demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
        )
        zf.writestr("demo-1.0.dist-info/RECORD", "")
    site = "/venv/lib/python3.12/site-packages"
    raised = ExceptionInfo(
        "AttributeError",
        "module 'asyncio' has no attribute 'coroutine'",
        None,
        (Frame(f"{site}/demo/__init__.py", 4, "<module>", "@asyncio.coroutine"),),
    )
    probe = ProbeResult(
        python_version="3.12.1",
        platform="linux",
        stdlib_module_names=frozenset({"asyncio"}),
        sys_path=(f"{site}/",),
        modules={"demo": ModuleResult("demo", "error", 0.01, error=raised)},
    )
    (finding,) = classify_probe(probe, WheelContents.read(wheel_path))
    assert finding.code == "MC301"
    assert finding.hint == (
        "not the package: Python 3.11 removed it from the standard library (this is 3.12.1); "
        "`from asyncio import coroutine` works on Python 3.10 and older only: use `async def`"
    )


@pytest.mark.unit
def test_removed_by_python_takes_the_earliest_removal():
    assert removed_by_python("collections", ("Iterable", "OrderedDict")) == (
        "`from collections import Iterable`",
        (3, 10),
        "collections.abc.Iterable",
    )
    assert removed_by_python("importlib", ("util",)) is None


_TABLE_PROBE = """
import importlib, json, sys
modules, names = json.loads(sys.argv[1])
def has(module, name=None):
    try:
        found = importlib.import_module(module)
    except ImportError:
        return False
    return name is None or hasattr(found, name)
print(json.dumps({
    "modules": {m: has(m) for m in modules},
    "names": {f"{m}.{n}": has(m, n) for m, n in names},
}))
"""


def test_the_version_tables_hold_on_every_installed_interpreter():
    """The knowledge tables checked against the real interpreters: a module removed in 3.12 is absent
    from every installed 3.12+ and present in every older one; an added one the other way round."""
    import json
    import warnings

    modules = sorted({*STDLIB_MODULES_REMOVED, *STDLIB_MODULES_ADDED})
    names = sorted(STDLIB_NAMES_REMOVED)
    wrong = []
    for python in installed_interpreters():
        if python.implementation != "cpython" or python.minor < (3, 8):
            continue
        with warnings.catch_warnings():
            ran = subprocess.run(
                [python.path, "-W", "ignore", "-c", _TABLE_PROBE, json.dumps([modules, names])],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
        seen = json.loads(ran.stdout)
        platform_only = {"msilib", "nis", "ossaudiodev", "spwd", "crypt"}  # not on every build
        for module, (removed_in, _) in STDLIB_MODULES_REMOVED.items():
            present = seen["modules"][module]
            if present != (python.minor < removed_in) and module not in platform_only:
                wrong.append(f"{module} on {python.label}: present={present}")
        for module, added_in in STDLIB_MODULES_ADDED.items():
            present = seen["modules"][module]
            if present != (python.minor >= added_in):
                wrong.append(f"{module} on {python.label}: present={present}")
        for (module, name), (removed_in, _) in STDLIB_NAMES_REMOVED.items():
            present = seen["names"][f"{module}.{name}"]
            if present != (python.minor < removed_in):
                wrong.append(f"{module}.{name} on {python.label}: present={present}")
    assert wrong == []


# --- whole runs on several interpreters --------------------------------------------------------------


@needs("3.9", "3.10")
def test_the_floor_failure_is_caught_at_import_on_the_older_interpreters_only(tmp_path):
    project = copy_sample("floor_newer_than_requires", tmp_path / "floor")
    report = _check(project, python=["3.9", "3.10", sys.executable])
    failures = sorted((f.path, f.pythons, f.hint) for f in report.findings if f.code == "MC301")
    assert failures == [
        (
            "floor_newer_than_requires",
            ("3.9", "3.10"),
            "root cause: MC205 floor_newer_than_requires/__init__.py:3",
        ),
        (
            "floor_newer_than_requires.commands",
            ("3.9", "3.10"),
            "root cause: MC205 floor_newer_than_requires/__init__.py:3",
        ),
    ]
    assert {(f.code, f.pythons) for f in report.findings if f.code == "MC205"} == {("MC205", ())}
    assert not [f for f in report.findings if f.code == "MC202"]  # tomllib is stdlib, of 3.11


@needs("3.10", "3.12")
def test_marker_guarded_backports_are_installed_per_interpreter_and_nothing_is_found(tmp_path):
    project = copy_sample("floor_guarded_backport", tmp_path / "guarded")
    report = _check(project, python=["3.10", "3.12"])
    assert [f.code for f in report.findings] == []
    assert [p.rsplit(".", 1)[0] for p in report.pythons] == ["3.10", "3.12"]
    assert {(o.name, o.python, o.status.value) for o in report.module_outcomes} == {
        ("floor_guarded_backport", "3.10", "ok"),
        ("floor_guarded_backport", "3.12", "ok"),
    }


@needs("3.12")
def test_a_module_the_interpreter_removed_fails_on_that_interpreter_only(tmp_path):
    project = copy_sample("removed_stdlib_import", tmp_path / "removed")
    report = _check(project, python=[sys.executable, "3.12"])
    keys = sorted((f.code, f.path, f.pythons) for f in report.findings)
    assert keys == [
        ("MC206", "removed_stdlib/__init__.py", ()),
        ("MC301", "removed_stdlib", ("3.12",)),
    ]


@needs("3.10", "3.12")
def test_each_app_is_checked_and_reported_on_every_interpreter(tmp_path):
    project = copy_sample("app_on_two_pythons", tmp_path / "app")
    report = _check(project, python=["3.10", "3.12"])
    keys = sorted((f.code, f.path, f.pythons) for f in report.findings)
    assert keys == [
        ("MC205", "app_on_two_pythons/__init__.py", ()),
        ("MC405", "app_on_two_pythons:app", ("3.10",)),
    ]
    [health] = [f for f in report.findings if f.code == "MC405"]
    assert health.message.startswith("GET /health raised ImportError: cannot import name 'UTC'")
    assert [(a.spec, a.python, a.ok, a.status) for a in report.apps] == [
        ("app_on_two_pythons:app", "3.10", False, None),
        ("app_on_two_pythons:app", "3.12", True, 200),
    ]
    as_json = json.loads(render("json", [report]))
    assert [(a["python"], a["ok"]) for a in as_json["apps"]] == [
        ("3.10", False),
        ("3.12", True),
    ]
    text = render("text", [report])
    assert "app_on_two_pythons:app (in-process, from [tool.mcheck], on Python 3.10)" in text


@needs("3.12")
def test_a_project_that_needs_a_newer_python_is_checked_with_one_not_refused(tmp_path):
    project = copy_sample("requires_newer_python", tmp_path / "newer")
    report = _check(project)
    assert report.findings == []
    admitted = [i for i in installed_interpreters() if i.minor >= (3, 12) and i.minor <= (3, 15)]
    assert report.pythons == [max(admitted).full_version]
    assert "is excluded" in (report.pythons_chosen or "")


@needs("3.10", "3.12")
def test_a_platform_wheel_is_built_again_for_each_interpreter(tmp_path):
    project = copy_sample("platform_wheel_extension", tmp_path / "ext")
    report = _check(project, python=["3.10", "3.12"])
    assert [f.code for f in report.findings] == []  # no MC607: each got a wheel for itself
    assert {(o.name, o.python) for o in report.module_outcomes if o.status.value == "ok"} == {
        ("platform_ext", "3.10"),
        ("platform_ext", "3.12"),
        ("platform_ext._speed", "3.10"),
        ("platform_ext._speed", "3.12"),
    }
    assert {"build (3.10)", "build (3.12)"} <= {s.name for s in report.stages}


def test_a_pure_wheel_is_built_once_for_every_interpreter(tmp_path):
    project = copy_sample("supported_pythons", tmp_path / "supported")
    report = _check(project)
    assert [s.name for s in report.stages if s.name.startswith("build")] in (
        ["build"],
        ["build (cached)"],
    )
    assert [f.code for f in report.findings if f.severity.value != "info"] == []


def _check(project: Path, **settings) -> Report:
    from mcheck.api import check_wheel

    return check_wheel(project, **settings)


@needs("3.10", "3.12")
def test_the_projects_tests_run_against_the_wheel_on_every_interpreter(tmp_path):
    project = copy_sample("tests_template_dropped", tmp_path / "tests")
    report = _check(project, python=["3.10", "3.12"], tests=True)
    keys = sorted((f.code, f.path, f.line, f.pythons) for f in report.findings)
    assert keys == [
        ("MC102", "render_pages/templates/page.html", None, ()),
        ("MC701", "tests/test_render.py", 8, ()),
    ]
    assert [(c.nodeid, c.python, c.wheel, c.checkout) for c in report.tests] == [
        ("tests/test_render.py::test_page", "3.10", "failed", "passed"),
        ("tests/test_render.py::test_title", "3.10", "passed", "passed"),
        ("tests/test_render.py::test_page", "3.12", "failed", "passed"),
        ("tests/test_render.py::test_title", "3.12", "passed", "passed"),
    ]
    junit = render("junit", [report])
    assert 'name="tests/test_render.py::test_page [3.10]"' in junit
    assert 'name="tests/test_render.py::test_page [3.12]"' in junit
