"""Failures of healthy real releases that are not packaging errors (issue 12, classes 8, 11, 13 and
the template / test-run shapes): each rule on the smallest probe result that shows it.

Seen on: Twisted 24.11 (desktop reactors, pywin32 modules, deliberately raising test helpers),
jsonschema 4.23 (benchmarks needing pyperf), celery 5.4 (the eventlet pool needs greenlet through
the eventlet extra), black 24.10 (`blackd` entry point declared with `[d]`), virtualenv 20.28
(activate_this.py template), SQLAlchemy 2.0 (a pytest bootstrap reading injected globals), msgpack
1.1 (`__pypy__`), jsonbourne 0.32 (a module that asks for `pip install starlette`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from mcheck.analysis import analyse_wheel
from mcheck.analysis.names import undefined_names
from mcheck.checks import CheckContext, run_one
from mcheck.checks.entrypoints import entry_points_and_apps
from mcheck.checks.import_failures import classify_probe
from mcheck.checks.names import undefined_names as undefined_name_check
from mcheck.findings import Finding
from mcheck.probes.protocol import (
    AppProbeResult,
    Distribution,
    EntryPointResult,
    ExceptionInfo,
    Frame,
    ModuleResult,
    ProbeResult,
)
from mcheck.wheel.artifacts import WheelContents

pytestmark = pytest.mark.unit

SITE = "/venv/lib/python3.11/site-packages"
METADATA = """\
Metadata-Version: 2.1
Name: shapes
Version: 1.0
Requires-Dist: kombu>=5
Requires-Dist: eventlet>=0.32; python_version < "3.10" and extra == "eventlet"
Requires-Dist: click; extra == "cli"
Provides-Extra: eventlet
Provides-Extra: cli
"""


@pytest.fixture
def wheel(tmp_path: Path) -> WheelContents:
    path = tmp_path / "shapes-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("shapes/__init__.py", "")
        zf.writestr("shapes-1.0.dist-info/METADATA", METADATA)
        zf.writestr("shapes-1.0.dist-info/RECORD", "")
    return WheelContents.read(path)


def classify(
    wheel: WheelContents, module: str, exc: ExceptionInfo, *installed: Distribution
) -> Finding:
    probe = ProbeResult(
        python_version="3.11.7",
        platform="linux",
        stdlib_module_names=frozenset({"os", "sys"}),
        sys_path=(f"{SITE}/",),
        modules={module: ModuleResult(module, "error", 0.05, error=exc)},
        distributions=installed,
    )
    (finding,) = classify_probe(probe, wheel)
    return finding


def not_found(name: str, source: str = "") -> ExceptionInfo:
    frames = (Frame(f"{SITE}/shapes/x.py", 3, "<module>", source),)
    return ExceptionInfo("ModuleNotFoundError", f"No module named '{name}'", name, frames)


@pytest.mark.parametrize(
    ("module", "missing", "words"),
    [
        (
            "shapes.gtk2reactor",
            "gobject",
            "desktop GUI support: it needs gobject, the bindings of PyGTK",
        ),
        ("shapes.gireactor", "gi", "the bindings of PyGObject"),
        ("shapes.cfreactor", "CFNetwork", "exists only on macOS"),
        ("shapes._dumbwin32proc", "win32pipe", "exists only on Windows"),
        ("shapes.fallback", "__pypy__", "exists only on PyPy"),
    ],
)
def test_desktop_and_platform_bindings_are_info(
    wheel: WheelContents, module: str, missing: str, words: str
) -> None:
    finding = classify(wheel, module, not_found(missing))
    assert (finding.code, finding.path) == ("MC304", module)
    assert words in finding.message


def test_bindings_with_wheels_on_the_index_stay_errors(wheel: WheelContents) -> None:
    # wx (wxPython 4) and PyQt5 install from the index: a module needing them must declare them.
    assert classify(wheel, "shapes.wxreactor", not_found("wx")).code == "MC301"


def test_a_benchmark_suite_is_developer_tooling(wheel: WheelContents) -> None:
    finding = classify(wheel, "shapes.benchmarks.const_vs_enum", not_found("pyperf"))
    assert finding.code == "MC304"
    assert "developer tooling: it needs pyperf" in finding.message


@pytest.mark.parametrize(
    "exc",
    [
        ExceptionInfo("ZeroDivisionError", "integer division or modulo by zero"),
        ExceptionInfo("OSError", "[Errno 6] No such device or address: '/dev/tty'"),
        ExceptionInfo("KeyError", "'bootstrap_file'"),
    ],
)
def test_test_code_that_needs_its_test_run_is_info(
    wheel: WheelContents, exc: ExceptionInfo
) -> None:
    finding = classify(wheel, "shapes.testing.plugin.bootstrap", exc)
    assert finding.code == "MC304"
    assert "test code that does not import outside its test run" in finding.message


def test_test_code_missing_a_module_of_the_wheel_is_still_an_error(wheel: WheelContents) -> None:
    assert classify(wheel, "shapes.tests.test_core", not_found("shapes.core")).code == "MC301"


def test_a_module_named_like_an_extra_of_the_same_distribution_needs_that_extra(
    wheel: WheelContents,
) -> None:
    finding = classify(wheel, "shapes.concurrency.eventlet", not_found("greenlet"))
    assert (finding.code, finding.hint) == ("MC304", "pip install 'shapes[eventlet]'")
    assert "integration with eventlet" in finding.message


def test_a_module_named_like_an_extra_of_another_distribution_is_not_excused(
    wheel: WheelContents,
) -> None:
    # extra `cli` installs click: a `shapes.cli` lacking an undeclared `rich` is a real MC301.
    assert classify(wheel, "shapes.cli", not_found("rich")).code == "MC301"


def test_a_template_placeholder_is_info_and_no_undefined_name(wheel: WheelContents) -> None:
    exc = ExceptionInfo("NameError", "name '__BIN_NAME__' is not defined")
    finding = classify(wheel, "shapes.activation.activate_this", exc)
    assert finding.code == "MC304"
    assert "template: the placeholder __BIN_NAME__" in finding.message
    source = "bin_dir = __BIN_NAME__\nprompt = __VIRTUAL_PROMPT__ or undefined_here\n"
    assert [u.name for u in undefined_names("shapes/activate_this.py", source)] == [
        "undefined_here"
    ]


def test_a_module_that_asks_the_user_to_install_a_package_is_info(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "ModuleNotFoundError", "starlette not found/installed; `pip install starlette`"
    )
    finding = classify(wheel, "shapes.fastapi", exc)
    assert finding.code == "MC304"
    assert "needs starlette, which it asks the user to install" in finding.message


def test_asking_to_install_a_runtime_dependency_is_still_an_error(wheel: WheelContents) -> None:
    exc = ExceptionInfo("ImportError", "kombu is broken; `pip install kombu` again")
    assert classify(wheel, "shapes.transport", exc).code == "MC301"


def test_a_bare_annotation_assigned_later_is_not_an_undefined_name() -> None:
    # black's tokenizer: `strstart: tuple[int, int]`, used in a loop before the text assigns it.
    source = (
        "def tokens(lines):\n"
        "    strstart: tuple[int, int]\n"
        "    for line in lines:\n"
        "        if line:\n"
        "            yield strstart\n"
        "        strstart = (1, 2)\n"
        "    never: int\n"
        "    return never\n"
    )
    assert [u.name for u in undefined_names("shapes/tok.py", source)] == ["never"]


def entry_point_findings(wheel: WheelContents, value: str, exc: ExceptionInfo) -> list[Finding]:
    result = EntryPointResult("console_scripts", "tool", value, "import_error", error=exc)
    ctx = CheckContext(wheel=wheel, app=AppProbeResult(entry_points=(result,)))
    return run_one(entry_points_and_apps, ctx)


def test_an_entry_point_declared_with_an_extra_may_need_that_extra(wheel: WheelContents) -> None:
    """black 24.10: `blackd = "blackd:patched_main [d]"`; importing blackd raises an ImportError
    of its own ("aiohttp dependency is not installed ... re-install black with the '[d]' extra")
    chained to the ModuleNotFoundError. Not MC401: the entry point says it needs the extra."""
    missing = not_found("aiohttp")
    exc = ExceptionInfo(
        "ImportError",
        "aiohttp dependency is not installed: No module named 'aiohttp'. Please re-install",
        chain=(missing,),
    )
    assert entry_point_findings(wheel, "shapes.daemon:main [cli]", exc) == []
    # The same failure without the declared extra is the command's crash.
    (finding,) = entry_point_findings(wheel, "shapes.daemon:main", exc)
    assert (finding.code, finding.path) == ("MC401", "shapes.daemon:main")
    # A module of the wheel itself that is missing stays an error, extra or not.
    (dropped,) = entry_point_findings(wheel, "shapes.daemon:main [cli]", not_found("shapes.core"))
    assert dropped.code == "MC401"


def test_a_gunicorn_worker_is_a_plugin_of_gunicorn(wheel: WheelContents) -> None:
    # aiohttp 3.11: aiohttp/worker.py subclasses gunicorn's worker; gunicorn loads it with `-k`.
    finding = classify(wheel, "shapes.worker", not_found("gunicorn"))
    assert finding.code == "MC304"
    assert "plugin of gunicorn" in finding.message
    assert classify(wheel, "shapes.worker", not_found("redis")).code == "MC301"


def test_a_name_missing_from_the_resolved_dependency_names_version_and_range(
    wheel: WheelContents,
) -> None:
    """Issue 12 class 15 (Scrapy 2.13.3 declares Twisted>=21.7.0 and imports names newer Twisted
    removed): a real bug, worded as one."""
    exc = ExceptionInfo("ImportError", "cannot import name 'SimpleQueue' from 'kombu.simple'")
    kombu = Distribution("kombu", "5.4.2", (), ("kombu",))
    finding = classify(wheel, "shapes.transport", exc, kombu)
    assert finding.code == "MC301"
    assert finding.hint == (
        "kombu 5.4.2, the version a fresh install resolves, has no `SimpleQueue` in `kombu.simple` "
        "and the declared `kombu>=5` admits it: cap the range below the release that removed it, "
        "or stop importing `SimpleQueue`"
    )


def test_a_module_of_a_trimmed_vendored_copy_is_info(wheel: WheelContents) -> None:
    """pip 24.3: `pip._vendor.pygments.cmdline` imports lexers pip's vendoring removed."""
    exc = not_found("shapes._vendor.pygments.lexers.special")
    finding = classify(wheel, "shapes._vendor.pygments.cmdline", exc)
    assert finding.code == "MC304"
    assert "part of the vendored copy shapes._vendor.pygments" in finding.message


def test_undefined_names_in_vendored_code_are_its_upstreams(tmp_path: Path) -> None:
    path = tmp_path / "shapes-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("shapes/__init__.py", "")
        zf.writestr("shapes/_vendor/distlib/compat.py", "ident = get_ident()\n")
        zf.writestr("shapes/own.py", "ident = get_ident()\n")
        zf.writestr("shapes-1.0.dist-info/METADATA", METADATA)
        zf.writestr("shapes-1.0.dist-info/RECORD", "")
    wheel = WheelContents.read(path)
    ctx = CheckContext(wheel=wheel, analysis=analyse_wheel(wheel))
    assert [(f.code, f.path) for f in run_one(undefined_name_check, ctx)] == [
        ("MC204", "shapes/own.py")
    ]
