"""One deploy-file model: `mcheck wheel`'s app discovery and `mcheck deploy` read the same start command
the same way, and an app is labelled by the setting that really declared it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_sample
from mcheck.api import check_wheel
from mcheck.deploy.configs import read_deploy_config
from mcheck.deploy.start_commands import read_start_commands
from mcheck.probes.apps import discover_asgi_targets

# The last stage is built FROM the first: Docker gives it the first stage's CMD, WORKDIR and HEALTHCHECK.
MULTI_STAGE_INHERITED_CMD = """\
ARG PY=3.12
FROM python:${PY}-slim AS base
WORKDIR /srv
HEALTHCHECK CMD curl -f http://localhost:8000/api/health || exit 1
CMD ["uvicorn", "svc.main:app", "--host", "0.0.0.0"]

FROM base AS runtime
COPY svc ./svc
"""


@pytest.fixture
def service(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(MULTI_STAGE_INHERITED_CMD, encoding="utf-8")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "main.py").write_text("app = None\n", encoding="utf-8")
    return tmp_path


def test_wheel_app_discovery_finds_the_cmd_a_last_stage_inherits(service):
    [command] = read_start_commands(service)
    assert (
        command.source_file,
        command.line,
        command.app_spec,
        command.cwd,
        command.health_path,
    ) == ("Dockerfile", 5, "svc.main:app", "/srv", "/api/health")
    [target] = discover_asgi_targets(service, ["svc"])
    assert (target.spec, target.source, target.health) == (
        "svc.main:app",
        "Dockerfile:5",
        "/api/health",
    )


def test_deploy_reads_the_same_inherited_cmd_as_wheel(service):
    [deployed] = read_deploy_config(service, service).start_commands
    [wheel] = read_start_commands(service)
    assert (deployed.source_file, deployed.line, deployed.app_spec) == (
        wheel.source_file,
        wheel.line,
        wheel.app_spec,
    )


@pytest.mark.parametrize(("given", "label"), [("config", "[tool.mcheck]"), ("cli", "--asgi")])
def test_an_app_is_labelled_by_the_setting_that_declared_it(tmp_path, given, label):
    root = copy_sample("asgi_lifespan_fails", tmp_path / "svc")
    (root / "Procfile").unlink()  # only the setting under test declares the app
    spec = "asgi_lifespan_fails.main:app"
    if given == "config":
        pyproject = root / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text() + f'\n[tool.mcheck]\nasgi = "{spec}"\n', encoding="utf-8"
        )
        report = check_wheel(root)
    else:
        report = check_wheel(root, asgi=[spec])
    assert [(a.spec, a.source) for a in report.apps] == [(spec, label)]
    assert [(f.code, f.path) for f in report.findings if f.severity.value == "error"] == [
        ("MC404", spec)
    ]


SERVICE_FILES = {
    "Procfile": "web: gunicorn -k uvicorn.workers.UvicornWorker --chdir api svc.main:app\n",
    "compose.yaml": "services:\n  web:\n    build: .\n    command: uvicorn svc.other:app --port 80\n",
    "railway.toml": '[deploy]\nstartCommand = "cd api && uvicorn svc.main:app"\nhealthcheckPath = "/up"\n',
}


def test_both_commands_read_one_start_command_type_in_one_file_order(tmp_path):
    for name, text in SERVICE_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    wheel_view = read_start_commands(tmp_path)
    deploy_view = read_deploy_config(tmp_path, tmp_path).start_commands
    # railway.toml before the Procfile before compose, in both; the same type with the same fields
    assert [type(c) for c in wheel_view] == [type(c) for c in deploy_view]
    assert [(c.source_file, c.line, c.app_spec, c.cwd, c.chdir, c.app_dir) for c in wheel_view] == [
        ("railway.toml", 2, "svc.main:app", "api", None, "api"),
        ("Procfile", 1, "svc.main:app", None, "api", "api"),
        ("compose.yaml", 4, "svc.other:app", None, None, None),
    ]
    assert wheel_view == deploy_view
