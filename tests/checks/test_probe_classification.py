"""Classification of import-probe failures into MC301-MC304, on hand-built probe results."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from mcheck.checks import CheckContext, run_one
from mcheck.checks.import_failures import classify_probe, probe_failures
from mcheck.findings import Finding
from mcheck.knowledge.import_names import distributions_for_import, import_names_for_distribution
from mcheck.probes.protocol import ExceptionInfo, Frame, ModuleResult, ProbeResult
from mcheck.wheel.artifacts import WheelContents

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)

SITE = "/venv/lib/python3.11/site-packages"
METADATA = """\
Metadata-Version: 2.1
Name: demo
Version: 1.0
Requires-Dist: requests>=2
Requires-Dist: pycryptodomex
Requires-Dist: click; extra == "cli"
Requires-Dist: PyYAML; extra == "yaml"
Requires-Dist: Jinja2>=3; extra == "templates"
Requires-Dist: protobuf; extra == "grpc"
Requires-Dist: pywin32; sys_platform == "win32"
Provides-Extra: cli
Provides-Extra: yaml
Provides-Extra: templates
Provides-Extra: grpc
"""
WHEEL_FILES = (
    "demo/__init__.py",
    "demo/app/__init__.py",
    "demo/app/main.py",
    "demo/cli.py",
    "demo/_main.py",
    "demo/testing.py",
    "demo/models/__init__.py",
    "demo/models.py",
    "demo/mypy.py",
    "demo/win.py",
)


@pytest.fixture
def wheel(tmp_path: Path) -> WheelContents:
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name in WHEEL_FILES:
            zf.writestr(name, "")
        zf.writestr("demo-1.0.dist-info/METADATA", METADATA)
        zf.writestr("demo-1.0.dist-info/RECORD", "")
    return WheelContents.read(path)


def probe(*results: ModuleResult, platform: str = "linux") -> ProbeResult:
    modules = {r.name: r for r in results} | {
        "demo": ModuleResult("demo", "ok", 0.01, file=f"{SITE}/demo/__init__.py")
    }
    return ProbeResult(
        python_version="3.11.7",
        platform=platform,
        stdlib_module_names=frozenset(
            {"os", "sys", "email", "winreg", "msvcrt", "_tkinter", "json"}
        ),
        sys_path=("/usr/lib/python3.11", f"{SITE}/"),
        modules=modules,
    )


def frame(path: str, line: int, source: str = "", *, root: str = SITE) -> Frame:
    return Frame(f"{root}/{path}", line, "<module>", source)


def not_found(name: str, *frames: Frame, chain: tuple[ExceptionInfo, ...] = ()) -> ExceptionInfo:
    return ExceptionInfo("ModuleNotFoundError", f"No module named '{name}'", name, frames, chain)


def error(module: str, exc: ExceptionInfo) -> ModuleResult:
    return ModuleResult(module, "error", 0.05, error=exc)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --- MC301 ---------------------------------------------------------------------------------------------


def test_dropped_first_party_module_links_mc101(wheel: WheelContents) -> None:
    exc = not_found("demo.email", frame("demo/app/main.py", 3, "from demo.email import send"))
    earlier = [
        Finding("MC101", "demo/email/sender.py", "dropped"),
        Finding("MC101", "demo/other/x.py", "x"),
    ]
    finding = only(classify_probe(probe(error("demo.app.main", exc)), wheel, earlier))
    assert finding == Finding(
        "MC301",
        "demo.app.main",
        "importing demo.app.main raised ModuleNotFoundError: No module named 'demo.email' (demo/app/main.py:3)",
        hint="`demo.email` is not in the wheel; root cause: MC101 demo/email/sender.py",
        kind="module",
    )


def test_dropped_first_party_module_without_known_cause(wheel: WheelContents) -> None:
    finding = only(classify_probe(probe(error("demo.cli", not_found("demo.email"))), wheel))
    assert finding.code == "MC301"
    assert finding.hint is not None and finding.hint.startswith(
        "`demo.email` is not in the wheel; see MC101"
    )


def test_message_shows_innermost_wheel_frame_not_dependency_frame(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "TypeError",
        "bad operand\nsecond line",
        None,
        (
            frame("demo/app/main.py", 7),
            frame("demo/models/__init__.py", 12),
            frame("requests/api.py", 40),
        ),
    )
    finding = only(classify_probe(probe(error("demo.app.main", exc)), wheel))
    assert (
        finding.message
        == "importing demo.app.main raised TypeError: bad operand (demo/models/__init__.py:12)"
    )


def test_cannot_import_name_links_shadowing_module(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "ImportError",
        f"cannot import name 'ExecuteRequest' from 'demo.models' ({SITE}/demo/models/__init__.py)",
        "demo.models",
        (frame("demo/app/main.py", 2),),
    )
    earlier = [Finding("MC103", "demo/models.py", "shadowed")]
    finding = only(classify_probe(probe(error("demo.app.main", exc)), wheel, earlier))
    assert finding.code == "MC301"
    assert (
        finding.hint
        == "`demo.models` does not define `ExecuteRequest`; root cause: MC103 demo/models.py"
    )


def test_undeclared_third_party_suggests_distribution(wheel: WheelContents) -> None:
    finding = only(classify_probe(probe(error("demo.app.main", not_found("Crypto.Cipher"))), wheel))
    assert finding.code == "MC301"
    assert (
        finding.hint is not None
        and "`pycryptodome`" in finding.hint
        and "[project.dependencies]" in finding.hint
    )


def test_undeclared_third_party_links_mc202(wheel: WheelContents) -> None:
    earlier = [Finding("MC202", "Crypto", "undeclared", line=None)]
    finding = only(
        classify_probe(probe(error("demo.app.main", not_found("Crypto"))), wheel, earlier)
    )
    assert finding.hint == "root cause: MC202 Crypto"


def test_removed_stdlib_module_is_an_error_with_version_hint(wheel: WheelContents) -> None:
    finding = only(classify_probe(probe(error("demo.app.main", not_found("distutils"))), wheel))
    assert finding.code == "MC301"
    assert finding.hint == "`distutils` was removed from the standard library in Python 3.12"


def test_generic_runtime_error_is_an_error(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "RuntimeError", "database unreachable", None, (frame("demo/app/main.py", 9, "connect()"),)
    )
    assert only(classify_probe(probe(error("demo.app.main", exc)), wheel)).code == "MC301"


def test_name_error_links_mc204_on_same_line(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "NameError",
        "name 'URLSafeTimedSerializer' is not defined",
        None,
        (frame("demo/app/main.py", 5),),
    )
    earlier = [Finding("MC204", "demo/app/main.py", "undefined", line=5)]
    assert (
        only(classify_probe(probe(error("demo.app.main", exc)), wheel, earlier)).hint
        == "root cause: MC204 demo/app/main.py:5"
    )


# --- MC304 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "extra"),
    [("click", "cli"), ("yaml", "yaml"), ("jinja2.ext", "templates"), ("google.protobuf", "grpc")],
)
def test_dependency_of_an_extra_is_info(wheel: WheelContents, missing: str, extra: str) -> None:
    finding = only(classify_probe(probe(error("demo.cli", not_found(missing))), wheel))
    assert (finding.code, finding.path, finding.hint) == (
        "MC304",
        "demo.cli",
        f"pip install 'demo[{extra}]'",
    )
    assert f"needs the optional extra [{extra}]" in finding.message


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("from google.protobuf import message", "MC304"),
        ("import google.protobuf.message as m", "MC304"),
        ("from google import genai", "MC301"),
        ("", "MC301"),
    ],
)
def test_missing_namespace_uses_the_import_statement(
    wheel: WheelContents, source: str, code: str
) -> None:
    # `google` is missing entirely: only the statement tells whether protobuf (in the grpc extra) was wanted.
    exc = not_found("google", frame("demo/cli.py", 4, source))
    assert only(classify_probe(probe(error("demo.cli", exc)), wheel)).code == code


def test_extra_found_in_exception_chain(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "demo.errors.DidNotEnable", "CLI support unavailable", None, (), chain=(not_found("click"),)
    )
    assert only(classify_probe(probe(error("demo.cli", exc)), wheel)).code == "MC304"


def test_extra_named_in_custom_import_error_message(wheel: WheelContents) -> None:
    exc = ExceptionInfo("ImportError", "Jinja2 must be installed to use demo.templates", None, ())
    finding = only(classify_probe(probe(error("demo.cli", exc)), wheel))
    assert (finding.code, finding.hint) == ("MC304", "pip install 'demo[templates]'")


def test_runtime_dependency_that_is_missing_stays_an_error(wheel: WheelContents) -> None:
    # requests is a plain dependency: if it is missing, something is really wrong.
    assert (
        only(classify_probe(probe(error("demo.cli", not_found("requests"))), wheel)).code == "MC301"
    )


@pytest.mark.parametrize("missing", ["winreg", "msvcrt", "_winapi", "win32api", "_tkinter"])
def test_module_for_another_platform_is_info(wheel: WheelContents, missing: str) -> None:
    finding = only(classify_probe(probe(error("demo.win", not_found(missing))), wheel))
    assert finding.code == "MC304"
    assert finding.message.startswith(f"demo.win is for another platform: it needs {missing}")


def test_dependency_declared_for_windows_only_is_info(wheel: WheelContents) -> None:
    finding = only(classify_probe(probe(error("demo.win", not_found("pywintypes"))), wheel))
    assert finding.code == "MC304"


def test_posix_module_missing_on_windows_is_info(wheel: WheelContents) -> None:
    result = probe(error("demo.app.main", not_found("fcntl")), platform="win32")
    assert only(classify_probe(result, wheel)).code == "MC304"


def test_platform_assertion_is_info(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "AssertionError", "", None, (frame("demo/win.py", 4, 'assert sys.platform == "win32"'),)
    )
    finding = only(classify_probe(probe(error("demo.win", exc)), wheel))
    assert finding.code == "MC304"
    assert finding.message == "demo.win is for another platform: AssertionError at demo/win.py:4"


def test_platform_runtime_error_message_is_info(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "RuntimeError", "this module only works on Windows", None, (frame("demo/win.py", 9),)
    )
    assert only(classify_probe(probe(error("demo.win", exc)), wheel)).code == "MC304"


def test_test_tooling_in_testing_module_is_info(wheel: WheelContents) -> None:
    findings = classify_probe(
        probe(
            error("demo.testing", not_found("pytest")),
            error("demo.tests.conftest", not_found("_pytest.fixtures")),
            error("demo.mypy", not_found("mypy.plugin")),
            error("demo.v1._hypothesis_plugin", not_found("hypothesis")),
        ),
        wheel,
    )
    assert [(f.path, f.code) for f in findings] == [
        ("demo.mypy", "MC304"),
        ("demo.testing", "MC304"),
        ("demo.tests.conftest", "MC304"),
        ("demo.v1._hypothesis_plugin", "MC304"),
    ]


def test_test_tooling_in_runtime_module_is_an_error(wheel: WheelContents) -> None:
    assert (
        only(classify_probe(probe(error("demo.app.main", not_found("pytest"))), wheel)).code
        == "MC301"
    )


def test_module_failing_because_optional_sibling_failed_is_info(wheel: WheelContents) -> None:
    main_error = error("demo._main", not_found("click", frame("demo/_main.py", 1)))
    cli_error = error(
        "demo.cli",
        ExceptionInfo(
            "ImportError",
            "cannot import name 'run' from 'demo._main'",
            "demo._main",
            (frame("demo/cli.py", 1),),
        ),
    )
    findings = classify_probe(probe(main_error, cli_error), wheel)
    assert [(f.path, f.code) for f in findings] == [("demo._main", "MC304"), ("demo.cli", "MC304")]
    assert findings[1].hint == "see the MC304 finding for demo._main"


def test_sibling_marked_optional_by_an_earlier_check(wheel: WheelContents) -> None:
    earlier = [Finding("MC304", "demo._main", "optional")]
    result = probe(error("demo.cli", not_found("demo._main.core")))
    assert only(classify_probe(result, wheel, earlier)).code == "MC304"


@pytest.mark.parametrize(
    ("module", "missing", "code"),
    [
        ("demo.contrib.pyopenssl", "OpenSSL", "MC304"),  # named after the dependency it integrates
        ("demo.integrations.boto3", "botocore", "MC304"),  # inside an integrations package
        ("demo.ext._trio", "trio", "MC304"),
        ("demo.integrations.http", "requests", "MC301"),  # a runtime dependency must be installed
        ("demo.integrations.mail", "demo.email", "MC301"),  # first-party modules are never optional
        ("demo.app.openssl_utils", "OpenSSL", "MC301"),  # not an integration by name or place
    ],
)
def test_optional_integrations(wheel: WheelContents, module: str, missing: str, code: str) -> None:
    assert only(classify_probe(probe(error(module, not_found(missing))), wheel)).code == code


def test_unconfigured_django_app_is_info(wheel: WheelContents) -> None:
    exc = ExceptionInfo(
        "django.core.exceptions.ImproperlyConfigured",
        "Requested setting INSTALLED_APPS, but settings are not configured.",
        None,
        (),
    )
    assert only(classify_probe(probe(error("demo.models", exc)), wheel)).code == "MC304"


# --- MC302 / MC303 and bookkeeping ---------------------------------------------------------------------


def test_timeout_exit_and_crash_messages(wheel: WheelContents) -> None:
    results = probe(
        ModuleResult("demo.slow", "timeout", 30.02),
        ModuleResult(
            "demo.cli", "exited", 0.1, exit_code=3, output_tail="usage: demo\nerror: bad\n"
        ),
        ModuleResult("demo.ext", "crashed", 0.1, signal=11),
    )
    findings = classify_probe(results, wheel)
    assert [(f.code, f.path, f.message) for f in findings] == [
        ("MC303", "demo.cli", "importing demo.cli exited with code 3; last output: error: bad"),
        ("MC303", "demo.ext", "importing demo.ext was killed by signal SIGSEGV"),
        ("MC302", "demo.slow", "importing demo.slow did not finish within 30 s"),
    ]


def test_one_finding_per_failed_module_and_none_for_ok(wheel: WheelContents) -> None:
    result = probe(
        ModuleResult("demo.app", "ok", 0.01),
        error("demo.cli", not_found("click")),
        error("demo.app.main", not_found("demo.email")),
        ModuleResult("demo.slow", "timeout", 2.0),
    )
    assert sorted(f.path or "" for f in classify_probe(result, wheel)) == [
        "demo.app.main",
        "demo.cli",
        "demo.slow",
    ]


def test_registered_check_reads_the_context(wheel: WheelContents) -> None:
    ctx = CheckContext(wheel=wheel, probe=probe(error("demo.cli", not_found("click"))))
    assert [f.code for f in run_one(probe_failures, ctx)] == ["MC304"]


# --- import name table ---------------------------------------------------------------------------------


def test_import_name_table() -> None:
    assert import_names_for_distribution("PyYAML") == ("yaml", "_yaml")
    assert import_names_for_distribution("Flask_SQLAlchemy") == ("flask_sqlalchemy",)
    assert distributions_for_import("Crypto.Cipher.AES") == ("pycryptodome",)
    assert distributions_for_import("Cryptodome") == ("pycryptodomex",)
    assert distributions_for_import("cv2") == (
        "opencv-contrib-python",
        "opencv-python",
        "opencv-python-headless",
    )
    assert distributions_for_import("google.protobuf.message") == ("protobuf",)
    assert distributions_for_import("Requests") == ("requests",)


def test_one_root_cause_is_one_finding_naming_every_module_it_breaks():
    # Scrapy-style: an undeclared `pkg_resources` makes many modules fail; the report leads with one
    # finding for the cause, its `affects` names the others (module outcomes keep every module).
    from mcheck.checks.import_failures import group_by_cause
    from mcheck.findings import Finding

    failing = [
        Finding(
            "MC301",
            f"pkg.m{i}",
            f"importing pkg.m{i} raised ModuleNotFoundError: No module named "
            "'pkg_resources' (pkg/m.py:1)",
        )
        for i in range(7)
    ]
    other = Finding("MC301", "pkg.z", "importing pkg.z raised ValueError: bad")
    [grouped, kept] = group_by_cause([*failing, other])
    assert (grouped.path, grouped.affects) == ("pkg.m0", tuple(f"pkg.m{i}" for i in range(1, 7)))
    assert grouped.message.endswith(
        "6 more modules fail the same way: pkg.m1, pkg.m2, pkg.m3, pkg.m4, pkg.m5 and 1 more"
    )
    assert kept is other
    assert group_by_cause(failing[:2]) == failing[:2]  # two are still told apart
