"""The app probe (entry points, ASGI apps) and its checks, run against real installed wheels.

One uv venv per session holds both ASGI samples (Starlette and uvicorn from the index) plus a few
single-file modules written straight into site-packages for the cases no sample covers (a WSGI app,
a hanging lifespan, a module that exits at import).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from conftest import SAMPLES_DIR, copy_sample
from mcheck.checks import CheckContext, run_one
from mcheck.checks.entrypoints import entry_points_and_apps
from mcheck.findings import Finding
from mcheck.probes.apps import (
    app_outcomes,
    app_targets,
    discover_asgi_targets,
    run_app_probe,
    serve_app,
    server_argv,
)
from mcheck.probes.protocol import AppProbeResult, AppTarget
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.install import find_uv

CASES = {
    "mcheck_case_apps.py": """
        import asyncio

        def wsgi_app(environ, start_response):
            start_response("200 OK", [])
            return [b"ok"]

        async def no_lifespan(scope, receive, send):
            assert scope["type"] == "http", "only HTTP"
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def hangs_in_startup(scope, receive, send):
            await receive()
            await asyncio.sleep(3600)

        async def fails_startup(scope, receive, send):
            if scope["type"] == "lifespan":
                await receive()
                await send({"type": "lifespan.startup.failed", "message": "DATABASE_URL is not set"})

        async def raises_in_request(scope, receive, send):
            if scope["type"] == "http":
                raise RuntimeError("handler exploded")

        def sync_three(scope, receive, send):
            return None

        settings = {"debug": False}
    """,
    "mcheck_case_exits.py": """
        import sys
        sys.exit(3)
    """,
    "mcheck_case_extra.py": """
        import mcheck_missing_extra_dist  # provided by the `fancy` extra, not installed

        def run():
            pass
    """,
    "mcheck_case_broken_import.py": """
        from asgi_starlette_health.main import no_such_name

        app = None
    """,
}


@pytest.fixture(scope="session")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = find_uv()
    assert uv is not None
    root = tmp_path_factory.mktemp("app-venv")
    samples = [
        copy_sample(name, root / name) for name in ("asgi_starlette_health", "asgi_broken_health")
    ]
    venv = root / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), *map(str, samples)], check=True
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for name, source in CASES.items():
        (Path(site) / name).write_text(textwrap.dedent(source), encoding="utf-8")
    return python


def _wheel(
    top_level: tuple[str, ...] = ("asgi_starlette_health",), extra_lines: str = ""
) -> WheelContents:
    """A wheel model without a zip: the checks read only its metadata and file list."""
    members = (*(f"{name}/__init__.py" for name in top_level), "x-1.0.dist-info/METADATA")
    metadata = f"Metadata-Version: 2.1\nName: x\nVersion: 1.0\n{extra_lines}"
    return WheelContents(
        path=Path("x-1.0-py3-none-any.whl"),
        dist_info="x-1.0.dist-info",
        members=members,
        metadata_text=metadata,
    )


def _findings(
    result: AppProbeResult, wheel: WheelContents | None = None, earlier: list[Finding] | None = None
) -> list[Finding]:
    ctx = CheckContext(wheel=wheel or _wheel(), app=result, earlier=list(earlier or []))
    return list(run_one(entry_points_and_apps, ctx))


def _probe(
    python: Path,
    tmp_path: Path,
    apps: list[AppTarget],
    entry_points: dict | None = None,
    timeout: float = 10.0,
) -> AppProbeResult:
    return run_app_probe(
        python, entry_points or {}, apps, timeout=timeout, workdir=tmp_path / "probe"
    )


# --- the samples, discovered from their deploy files -------------------------------------------------


def test_healthy_sample_is_discovered_started_and_answers_200(venv_python, tmp_path):
    targets = discover_asgi_targets(
        SAMPLES_DIR / "asgi_starlette_health", ["asgi_starlette_health"]
    )
    assert [(t.spec, t.health, t.factory) for t in targets] == [
        ("asgi_starlette_health.main:app", "/api/health", False)
    ]
    [app] = _probe(venv_python, tmp_path, targets).apps
    assert (app.status, app.kind) == ("ok", "asgi3")
    assert app.lifespan is not None and app.lifespan.status == "ok"
    assert app.http is not None and (app.http.status, app.http.body) == (200, '{"ok":true}')
    assert app.exercised_cleanly
    assert _findings(AppProbeResult(apps=(app,))) == []


def test_broken_sample_reports_the_failing_health_check_and_the_factory(venv_python, tmp_path):
    targets = discover_asgi_targets(SAMPLES_DIR / "asgi_broken_health", ["asgi_broken_health"])
    assert {t.spec: t.source for t in targets} == {
        "asgi_broken_health.main:app": "railway.toml:2",
        "asgi_broken_health.admin:create_app": "Procfile:2",
    }
    result = _probe(venv_python, tmp_path, targets)
    assert [a.exercised_cleanly for a in result.apps] == [False, False]
    findings = {f.code: f for f in _findings(result, _wheel(("asgi_broken_health",)))}
    assert set(findings) == {"MC405", "MC403"}
    assert findings["MC405"].path == "asgi_broken_health.main:app"
    assert "GET /api/health answered 500" in findings["MC405"].message
    assert "unreachable" in findings["MC405"].message
    assert findings["MC403"].path == "asgi_broken_health.admin:create_app"
    assert "factory" in findings["MC403"].message
    assert "--factory asgi_broken_health.admin:create_app" in (findings["MC403"].hint or "")


def test_factory_started_with_factory_flag_is_exercised(venv_python, tmp_path):
    target = AppTarget("asgi_broken_health.admin:create_app", factory=True, health="/")
    [app] = _probe(venv_python, tmp_path, [target]).apps
    assert (app.kind, app.factory_result_kind) == ("factory", "asgi3")
    assert app.http is not None and (app.http.status, app.http.body) == (200, "admin")
    assert _findings(AppProbeResult(apps=(app,))) == []


# --- classification, lifespan and request failures ---------------------------------------------------


def test_each_kind_of_non_asgi_target_is_mc403(venv_python, tmp_path):
    specs = [
        "mcheck_case_apps:wsgi_app",
        "mcheck_case_apps:settings",
        "mcheck_case_apps:sync_three",
        "asgi_starlette_health.main:app",
    ]
    targets = [AppTarget(s, factory=s.endswith("main:app")) for s in specs]
    result = _probe(venv_python, tmp_path, targets)
    assert [a.kind for a in result.apps] == ["wsgi", "not_callable", "sync_asgi", "asgi3"]
    messages = {f.path: f.message for f in _findings(result) if f.code == "MC403"}
    assert "WSGI app" in messages["mcheck_case_apps:wsgi_app"]
    assert "not callable" in messages["mcheck_case_apps:settings"]
    assert "not `async`" in messages["mcheck_case_apps:sync_three"]
    assert "already an ASGI app" in messages["asgi_starlette_health.main:app"]


def test_app_without_lifespan_support_is_fine_and_still_answers(venv_python, tmp_path):
    [app] = _probe(
        venv_python, tmp_path, [AppTarget("mcheck_case_apps:no_lifespan", health="/x")]
    ).apps
    assert app.lifespan is not None and app.lifespan.status == "unsupported"
    assert app.http is not None and app.http.status == 204
    assert _findings(AppProbeResult(apps=(app,))) == []


def test_lifespan_failure_and_hang_are_mc404_within_the_timeout(venv_python, tmp_path):
    targets = [
        AppTarget("mcheck_case_apps:fails_startup"),
        AppTarget("mcheck_case_apps:hangs_in_startup"),
    ]
    started = time.monotonic()
    result = _probe(venv_python, tmp_path, targets, timeout=2.0)
    assert time.monotonic() - started < 15
    assert [a.lifespan.status for a in result.apps if a.lifespan] == ["failed", "timeout"]
    findings = {f.path: f for f in _findings(result)}
    assert {f.code for f in findings.values()} == {"MC404"}
    assert "DATABASE_URL is not set" in (findings["mcheck_case_apps:fails_startup"].hint or "")
    assert "sent no reply" in findings["mcheck_case_apps:hangs_in_startup"].message


def test_exception_in_the_health_request_is_mc405_with_the_raising_line(venv_python, tmp_path):
    [app] = _probe(
        venv_python, tmp_path, [AppTarget("mcheck_case_apps:raises_in_request", health="/h")]
    ).apps
    [finding] = _findings(AppProbeResult(apps=(app,)))
    assert finding.code == "MC405"
    assert "RuntimeError: handler exploded at " in finding.message
    assert "mcheck_case_apps.py:" in finding.message


def test_import_failures_are_mc402_with_exception_and_root_cause(venv_python, tmp_path):
    targets = [
        AppTarget("mcheck_case_broken_import:app"),
        AppTarget("asgi_starlette_health.main:nope"),
        AppTarget("asgi_starlette_health.app.main:app"),
        AppTarget("mcheck_case_exits:app"),
    ]
    result = _probe(venv_python, tmp_path, targets)
    assert [a.status for a in result.apps] == [
        "import_error",
        "attribute_missing",
        "import_error",
        "exited",
    ]
    root_cause = Finding("MC101", "asgi_starlette_health/app/main.py", "missing from the wheel")
    findings = {f.path: f for f in _findings(result, earlier=[root_cause])}
    assert {f.code for f in findings.values()} == {"MC402"}
    broken = findings["mcheck_case_broken_import:app"].message
    assert "ImportError: cannot import name 'no_such_name'" in broken
    assert "mcheck_case_broken_import.py:2" in broken
    assert "no attribute 'nope'" in findings["asgi_starlette_health.main:nope"].message
    assert "MC101 asgi_starlette_health/app/main.py" in (
        findings["asgi_starlette_health.app.main:app"].hint or ""
    )
    assert "exited with code 3" in findings["mcheck_case_exits:app"].message


# --- entry points ----------------------------------------------------------------------------------


def test_entry_points_resolve_or_are_mc401_except_for_optional_extras(venv_python, tmp_path):
    entry_points = {
        "console_scripts": {
            "ok": "asgi_starlette_health.main:health",
            "typo": "asgi_starlette_health.main:healht",
            "gone": "asgi_starlette_health.cli:main",
            "exits": "mcheck_case_exits:main",
        },
        "myhost.plugins": {
            "fancy": "mcheck_case_extra:run",
            "nested": "mcheck_case_apps:settings.keys",
        },
    }
    result = _probe(venv_python, tmp_path, [], entry_points)
    statuses = {ep.name: ep.status for ep in result.entry_points}
    assert statuses == {
        "ok": "ok",
        "typo": "attribute_missing",
        "gone": "import_error",
        "exits": "exited",
        "fancy": "import_error",
        "nested": "ok",
    }
    extra = 'Provides-Extra: fancy\nRequires-Dist: mcheck-missing-extra-dist; extra == "fancy"\n'
    findings = _findings(result, _wheel(extra_lines=extra))
    assert {f.path: f.code for f in findings} == {
        "asgi_starlette_health.main:healht": "MC401",
        "asgi_starlette_health.cli:main": "MC401",
        "mcheck_case_exits:main": "MC401",
    }
    messages = " | ".join(f.message for f in findings)
    assert "'typo' in [console_scripts]" in messages and "no attribute 'healht'" in messages
    # Without the extra declared, the same import failure is an error.
    assert "mcheck_case_extra:run" in {f.path for f in _findings(result)}


# --- --serve --------------------------------------------------------------------------------------


def test_serve_starts_the_deploy_command_and_polls_the_health_path(venv_python, tmp_path):
    [target] = discover_asgi_targets(
        SAMPLES_DIR / "asgi_starlette_health", ["asgi_starlette_health"]
    )
    app = serve_app(venv_python, target, list(target.command), timeout=20, workdir=tmp_path)
    assert app.serve is not None and app.serve.ready, app.serve
    assert (app.serve.status, app.serve.body) == (200, '{"ok":true}')
    assert app.serve.command[0] == str(venv_python.parent / "uvicorn")
    assert "127.0.0.1" in app.serve.command and str(app.serve.port) in app.serve.command
    assert _findings(AppProbeResult(apps=(app,))) == []


def test_serve_failures_show_the_status_or_the_server_log(venv_python, tmp_path):
    unhealthy = serve_app(
        venv_python,
        AppTarget("asgi_broken_health.main:app", health="/api/health"),
        None,
        timeout=3,
        workdir=tmp_path / "a",
    )
    missing = serve_app(
        venv_python,
        AppTarget("asgi_broken_health.nowhere:app"),
        None,
        timeout=20,
        workdir=tmp_path / "b",
    )
    [bad_status] = _findings(AppProbeResult(apps=(unhealthy,)))
    assert bad_status.code == "MC405" and "with 500" in bad_status.message
    [not_started] = _findings(AppProbeResult(apps=(missing,)))
    assert not_started.code == "MC404" and "exited with code" in not_started.message
    assert "asgi_broken_health.nowhere" in (not_started.hint or "")


def test_server_argv_binds_locally_and_substitutes_the_port(tmp_path):
    python = tmp_path / "bin" / "python"
    target = AppTarget("pkg.app:app")
    gunicorn = [
        "gunicorn",
        "-k",
        "uvicorn.workers.UvicornWorker",
        "pkg.app:app",
        "--bind",
        "0.0.0.0:$PORT",
    ]
    assert server_argv(python, target, gunicorn, 4321)[-2:] == ["--bind", "127.0.0.1:4321"]
    uvicorn = [
        "python",
        "-m",
        "uvicorn",
        "pkg.app:app",
        "--host=0.0.0.0",
        "--port",
        "${PORT:-8000}",
    ]
    assert server_argv(python, target, uvicorn, 4321) == [
        str(python),
        "-m",
        "uvicorn",
        "pkg.app:app",
        "--host=127.0.0.1",
        "--port",
        "4321",
    ]
    assert server_argv(python, AppTarget("pkg.app:make", factory=True), None, 1) == [
        str(python),
        "-m",
        "uvicorn",
        "pkg.app:make",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        "1",
    ]


def test_explicit_targets_take_precedence_and_borrow_the_deploy_health(tmp_path):
    (tmp_path / "railway.toml").write_text(
        '[deploy]\nstartCommand = "uvicorn pkg.main:app"\nhealthcheckPath = "/healthz"\n',
        encoding="utf-8",
    )
    discovered = app_targets(project_root=tmp_path, wheel_top_level=["pkg"])
    assert [(t.spec, t.health, t.source) for t in discovered] == [
        ("pkg.main:app", "/healthz", "railway.toml:2")
    ]
    cli = app_targets(
        specs=["pkg.main:app", "pkg.web:create()"], project_root=tmp_path, wheel_top_level=["pkg"]
    )
    assert [(t.spec, t.factory, t.health, t.source) for t in cli] == [
        ("pkg.main:app", False, "/healthz", "--asgi"),
        ("pkg.web:create", True, None, "--asgi"),
    ]
    configured = app_targets(
        specs=["pkg.other:app"],
        specs_source="[tool.mcheck]",
        health="/up",
        project_root=tmp_path,
        wheel_top_level=["pkg"],
    )
    assert [(t.spec, t.health, t.source) for t in configured] == [
        ("pkg.other:app", "/up", "[tool.mcheck]")
    ]


# --- incident 1: the app that works from the checkout and not from the wheel ----------------------------


def _venv_with_checkout(checkout: Path, venv: Path) -> Path:
    """A venv holding the project's declared dependencies, with the checkout itself on sys.path (through a
    ``.pth`` file, as an editable install or the test suite's rootdir puts it there)."""
    uv = find_uv()
    assert uv is not None
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    dependencies = tomllib.loads((checkout / "pyproject.toml").read_text("utf-8"))["project"][
        "dependencies"
    ]
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), *dependencies], check=True
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "checkout.pth").write_text(f"{checkout}\n", encoding="utf-8")
    return python


def test_incident1_app_imports_from_the_checkout_but_not_from_the_installed_wheel(
    checked, tmp_path
):
    [target] = discover_asgi_targets(SAMPLES_DIR / "incident1_monorepo_core", ["monkey_coder"])
    assert (target.spec, target.health, target.source) == (
        "monkey_coder.app.main:app",
        "/api/health",
        "railway.toml:7",
    )
    checkout = copy_sample("incident1_monorepo_core", tmp_path / "checkout")
    python = _venv_with_checkout(checkout, tmp_path / "venv")
    [from_checkout] = _probe(python, tmp_path, [target]).apps
    assert from_checkout.exercised_cleanly, from_checkout
    assert from_checkout.http is not None and (
        from_checkout.http.status,
        from_checkout.http.body,
    ) == (200, '{"status": "ok"}')
    # The same app, as mcheck imported it from the wheel it built and installed:
    report = checked("incident1_monorepo_core")
    [from_wheel] = [f for f in report.findings if f.code == "MC402"]
    assert from_wheel.path == "monkey_coder.app.main:app"
    assert "does not import from the installed wheel" in from_wheel.message
    assert "No module named 'monkey_coder.app.routes'" in from_wheel.message
    assert "root cause (see above): MC101 monkey_coder/app/routes/health.py" in (
        from_wheel.hint or ""
    )
    assert [(a.spec, a.mode, a.ok, a.status) for a in report.apps] == [
        ("monkey_coder.app.main:app", "in-process", False, None)
    ]


def test_incident1_fixed_app_starts_from_the_wheel_and_passes_its_health_check(checked):
    report = checked("incident1_fixed")
    assert report.findings == []
    assert [(a.spec, a.source, a.mode, a.ok, a.health, a.status) for a in report.apps] == [
        ("monkey_coder.app.main:app", "railway.toml:7", "in-process", True, "/api/health", 200)
    ]


# --- the MC401 and MC404 samples ---------------------------------------------------------------------


def test_console_script_naming_a_missing_function_is_mc401_with_the_attribute(checked):
    [finding] = checked("entrypoint_missing_attr").findings
    assert (finding.code, finding.path) == ("MC401", "entrypoint_missing_attr.cli:main")
    assert "'entrypoint-missing-attr' in [console_scripts]" in finding.message
    assert "entrypoint_missing_attr.cli has no attribute 'main'" in finding.message


def test_lifespan_startup_that_raises_is_mc404_with_the_apps_traceback(checked):
    report = checked("asgi_lifespan_fails")
    [finding] = report.findings
    assert (finding.code, finding.path) == ("MC404", "asgi_lifespan_fails.main:app")
    assert "lifespan startup failed" in finding.message
    assert "RuntimeError: MCHECK_SAMPLE_DATABASE_URL is not set" in (finding.hint or "")
    assert [(a.mode, a.ok, a.status) for a in report.apps] == [("in-process", False, None)]


def test_app_outcomes_summarise_in_process_and_served_results(venv_python, tmp_path):
    [target] = discover_asgi_targets(
        SAMPLES_DIR / "asgi_starlette_health", ["asgi_starlette_health"]
    )
    [checked_in_process] = _probe(venv_python, tmp_path, [target]).apps
    unhealthy = serve_app(
        venv_python,
        AppTarget("asgi_broken_health.main:app", health="/api/health"),
        None,
        timeout=3,
        workdir=tmp_path / "serve",
    )
    outcomes = app_outcomes(AppProbeResult(apps=(checked_in_process, unhealthy)))
    assert [(o.spec, o.mode, o.ok, o.health, o.status) for o in outcomes] == [
        ("asgi_starlette_health.main:app", "in-process", True, "/api/health", 200),
        ("asgi_broken_health.main:app", "serve", False, "/api/health", 500),
    ]
    assert outcomes[1].command == unhealthy.serve.command


def test_a_404_on_the_health_path_lists_the_get_routes_the_app_declares(venv_python, tmp_path):
    """Without parameters, mounts followed, POST-only routes left out: what a fix can choose from."""
    [app] = _probe(
        venv_python,
        tmp_path,
        [AppTarget("asgi_starlette_health.main:app", health="/health")],
    ).apps
    assert app.http is not None and app.http.status == 404
    assert app.http.routes == ("/api/health",)
    [healthy] = _probe(
        venv_python,
        tmp_path / "ok",
        [AppTarget("asgi_starlette_health.main:app", health="/api/health")],
    ).apps
    assert healthy.http is not None and healthy.http.routes == ()
