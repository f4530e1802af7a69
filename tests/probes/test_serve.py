"""``--serve`` end to end: build the wheel, install it, exercise the app in-process, then start the deploy
file's real start command (uvicorn from the registry) on 127.0.0.1 and poll its health path.

Each sample is checked once (a build, an install and a real server take a few seconds); the tests
read that one result.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO_ROOT, copy_sample
from mcheck.api import check_wheel
from mcheck.findings import Report

JSON_SCHEMA = json.loads((REPO_ROOT / "docs" / "json-schema.json").read_text("utf-8"))
HEALTHY, BROKEN = "asgi_starlette_health", "asgi_broken_health"
SERVE_TIMEOUT = 30  # seconds for the server to answer; the samples answer in well under one


@pytest.fixture(scope="module")
def healthy_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``mcheck wheel SAMPLE --serve -f json`` on the healthy Starlette sample, through the real CLI."""
    root = copy_sample(HEALTHY, tmp_path_factory.mktemp("serve-cli") / HEALTHY)
    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mcheck",
                "wheel",
                str(root),
                "--serve",
                "-f",
                "json",
                "--timeout",
                str(SERVE_TIMEOUT),
            ],
            cwd=empty,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def broken_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """``mcheck.check_wheel(SAMPLE, serve=True)`` on the sample whose health route answers 500."""
    root = copy_sample(BROKEN, tmp_path_factory.mktemp("serve-api") / BROKEN)
    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty, contextlib.chdir(empty):
        return check_wheel(root, serve=True, timeout=SERVE_TIMEOUT)


def test_healthy_app_is_served_by_real_uvicorn_and_answers_its_health_path(healthy_json):
    jsonschema.Draft202012Validator(JSON_SCHEMA).validate(healthy_json)
    assert (healthy_json["exit_code"], healthy_json["findings"]) == (0, [])
    apps = [
        (a["spec"], a["source"], a["mode"], a["ok"], a["health"], a["status"])
        for a in healthy_json["apps"]
    ]
    assert apps == [
        (
            "asgi_starlette_health.main:app",
            "railway.toml:5",
            "in-process",
            True,
            "/api/health",
            200,
        ),
        ("asgi_starlette_health.main:app", "railway.toml:5", "serve", True, "/api/health", 200),
    ]


def test_served_command_is_the_deploy_files_uvicorn_from_the_venv_bound_to_localhost(healthy_json):
    served = next(a for a in healthy_json["apps"] if a["mode"] == "serve")
    program, spec, *options = served["command"]
    assert Path(program).name == "uvicorn" and Path(program).parent.name == "bin"
    assert spec == "asgi_starlette_health.main:app"
    # railway.toml says `--host 0.0.0.0 --port $PORT`: mcheck binds to loopback and a free port instead.
    assert options[:3] == ["--host", "127.0.0.1", "--port"] and options[3].isdigit()


def test_failing_health_check_is_mc405_and_unhealthy_apps_are_not_served(broken_report):
    errors = {(f.code, f.path) for f in broken_report.findings if f.severity.value == "error"}
    assert errors == {
        ("MC405", "asgi_broken_health.main:app"),
        ("MC403", "asgi_broken_health.admin:create_app"),
    }
    assert broken_report.exit_code == 1
    [mc405] = [f for f in broken_report.findings if f.code == "MC405"]
    assert "GET /api/health answered 500" in mc405.message
    assert '"database":"unreachable"' in mc405.message
    # Both apps already fail in-process: starting a server for them would only repeat the finding.
    assert [(a.spec, a.mode, a.ok, a.status) for a in broken_report.apps] == [
        ("asgi_broken_health.main:app", "in-process", False, 500),
        ("asgi_broken_health.admin:create_app", "in-process", False, None),
    ]
