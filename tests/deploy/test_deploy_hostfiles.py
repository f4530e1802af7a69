"""Host deploy files are read by one module: what each format says, and both consumers seeing it the same way."""

from __future__ import annotations

import pytest
from tests.deploy.test_deploy_model import make_repo

from mcheck.deploy import check_deploy
from mcheck.deploy.configs import read_deploy_config
from mcheck.deploy.hostfiles import HOST_FILE_NAMES, DeployFileError, read_host_file
from mcheck.deploy.start_commands import read_start_commands

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)


def test_every_host_file_format_has_a_reader():
    assert set(HOST_FILE_NAMES) == {
        "railway.toml",
        "railway.json",
        "railpack.json",
        "nixpacks.toml",
        "render.yaml",
        "fly.toml",
        "app.json",
        "Procfile",
        "Dockerfile",
        "compose.yaml",
        "compose.yml",
        "docker-compose.yaml",
        "docker-compose.yml",
    }


def test_railway_build_and_deploy_settings():
    [service] = read_host_file(
        "railway.toml",
        '[build]\nbuilder = "NIXPACKS"\nbuildCommand = "pip install ."\n'
        'dockerfilePath = "ops/Dockerfile"\n[deploy]\n'
        'startCommand = "uvicorn pkg.main:app"\nhealthcheckPath = "/up"\n',
    )
    assert (service.builder, service.dockerfile, service.health_path) == (
        "dockerfile",
        "ops/Dockerfile",
        "/up",
    )
    assert [(b.command, b.line) for b in service.build_commands] == [("pip install .", 3)]
    assert [(s.command, s.line, s.kind, s.health_path) for s in service.start_commands] == [
        ("uvicorn pkg.main:app", 6, "start", "/up")
    ]


def test_render_runs_the_docker_command_of_a_docker_service_and_the_start_command_of_the_others():
    services = read_host_file(
        "render.yaml",
        "services:\n  - name: web\n    runtime: docker\n    rootDir: api\n"
        "    startCommand: ignored\n    dockerCommand: uvicorn a:app\n"
        "  - name: worker\n    runtime: python\n    dockerCommand: ignored\n"
        "    startCommand: python -m worker\n    envVars:\n"
        "      - key: PYTHONPATH\n        value: src\n",
    )
    assert [(s.root_dir, s.builder, s.dockerfile, s.docker_context, s.env) for s in services] == [
        ("api", "dockerfile", "Dockerfile", ".", {}),
        ("", "python", None, None, {"PYTHONPATH": "src"}),
    ]
    assert [
        [(c.command, c.line, c.cwd, c.process) for c in s.start_commands] for s in services
    ] == [[("uvicorn a:app", 6, "api", "web")], [("python -m worker", 10, None, "worker")]]


def test_fly_processes_replace_the_image_cmd_and_the_first_http_check_is_the_health_path():
    [service] = read_host_file(
        "fly.toml",
        'app = "demo"\n[build]\ndockerfile = "Dockerfile.prod"\n[processes]\n'
        'app = "uvicorn a:app"\n[checks.alive]\ntype = "http"\npath = "/alive"\n'
        '[[http_service.checks]]\npath = "/ready"\n',
    )
    assert (service.builder, service.builder_explicit, service.dockerfile) == (
        "dockerfile",
        False,
        "Dockerfile.prod",
    )
    assert service.health_path == "/ready"
    # The app name `app = "demo"` on line 1 is not the process `app`: its line is looked up inside [processes].
    assert [(c.command, c.line, c.kind, c.process) for c in service.start_commands] == [
        ("uvicorn a:app", 5, "docker", "app")
    ]


def test_nixpacks_railpack_and_app_json_settings():
    [nix] = read_host_file(
        "nixpacks.toml",
        '[phases.install]\ncmds = ["pip install -r req.txt"]\n[variables]\n'
        'PYTHONPATH = "src"\n[start]\ncmd = "uvicorn n:app"\n',
    )
    assert [(b.command, b.line) for b in nix.build_commands] == [("pip install -r req.txt", 2)]
    assert (nix.env, [(c.command, c.line) for c in nix.start_commands]) == (
        {"PYTHONPATH": "src"},
        [("uvicorn n:app", 6)],
    )
    [rail] = read_host_file(
        "railpack.json",
        '{"steps": {"install": {"commands": [{"cmd": "pip install x"}]}},\n'
        ' "deploy": {"startCommand": "uvicorn r:app", "variables": {"A": 1}}}',
    )
    assert [(b.command, b.line) for b in rail.build_commands] == [("pip install x", 1)]
    assert (rail.env, [(c.command, c.line) for c in rail.start_commands]) == (
        {"A": "1"},
        [("uvicorn r:app", 2)],
    )
    [heroku] = read_host_file(
        "app.json",
        '{"env": {"PYTHONPATH": {"value": "src"}, "SECRET": {"generator": "x"}},\n'
        ' "scripts": {"postdeploy": "python -m migrate"}}',
    )
    assert heroku.env == {"PYTHONPATH": "src"}
    assert [(c.command, c.line, c.kind, c.process) for c in heroku.start_commands] == [
        ("python -m migrate", 2, "script", "postdeploy")
    ]


def test_procfile_release_is_not_a_start_command():
    [service] = read_host_file("Procfile", "release: alembic upgrade head\nweb: uvicorn a:app\n")
    assert [(c.process, c.kind, c.line) for c in service.start_commands] == [
        ("release", "release", 1),
        ("web", "start", 2),
    ]


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        (
            "railway.toml",
            'deploy = "uvicorn a:app"\n',
            None,
            "`deploy` should be a table/object, not str",
        ),
        ("render.yaml", "- uvicorn a:app\n", 1, "expected a mapping at the top level"),
        ("railpack.json", "[]", 1, "expected a JSON object"),
        ("Procfile", "web:\n", 1, "expected `process: command`"),
    ],
)
def test_malformed_files_raise_with_the_source_given(name, text, line, message):
    with pytest.raises(DeployFileError) as caught:
        read_host_file(name, text, source=f"svc/{name}")
    assert (caught.value.source_file, caught.value.line, caught.value.message) == (
        f"svc/{name}",
        line,
        message,
    )


def test_a_malformed_table_is_mc503_for_mcheck_deploy(tmp_path):
    make_repo(
        tmp_path,
        {
            "railway.toml": 'deploy = "uvicorn main:app"\n',
            "Procfile": "web: python -m main\n",
            "main.py": "",
        },
    )
    report = check_deploy(tmp_path, repo_root=tmp_path, install=False)
    assert {(f.code, f.path, f.line) for f in report.findings} == {("MC503", "railway.toml", None)}


def test_wheel_discovery_and_mcheck_deploy_read_the_same_commands(tmp_path):
    make_repo(
        tmp_path,
        {
            "railway.json": '{\n  "deploy": {"startCommand": "uvicorn pkg.rail:app", "healthcheckPath": "/h"}\n}\n',
            "nixpacks.toml": '[phases.setup]\ncmds = ["pip install ."]\n[start]\ncmd = "hypercorn pkg.nix:app"\n',
            "Procfile": "web: gunicorn -k uvicorn.workers.UvicornWorker pkg.proc:app\n",
        },
    )
    wheel_view = [
        (c.source_file, c.line, c.app_spec, c.health_path) for c in read_start_commands(tmp_path)
    ]
    deploy_view = [
        (c.source_file, c.line, c.app_spec, c.health_path)
        for c in read_deploy_config(tmp_path, tmp_path).start_commands
    ]
    assert (
        wheel_view
        == deploy_view
        == [
            ("railway.json", 2, "pkg.rail:app", "/h"),
            ("nixpacks.toml", 4, "pkg.nix:app", "/h"),
            ("Procfile", 1, "pkg.proc:app", "/h"),
        ]
    )


def test_compose_services_built_from_a_dockerfile_with_their_command_and_environment():
    compose = (
        "services:\n  api:\n    build:\n      context: ./api\n      dockerfile: Dockerfile.prod\n"
        '    command: ["uvicorn", "a:app"]\n    environment:\n      - PYTHONPATH=/srv\n'
        "  cache:\n    image: redis:7\n"
    )
    services = read_host_file("docker-compose.yml", compose)
    [api] = services  # an image-only service is not built from the repository
    assert (api.root_dir, api.builder, api.dockerfile, api.env) == (
        "./api",
        "dockerfile",
        "Dockerfile.prod",
        {"PYTHONPATH": "/srv"},
    )
    assert [(c.command, c.line, c.process) for c in api.start_commands] == [
        (["uvicorn", "a:app"], 6, "api")
    ]


def test_a_compose_file_at_the_repository_root_describes_the_service_in_its_build_context(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text('FROM python\nCMD ["uvicorn", "right:app"]\n')
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build: ./api\n    command: uvicorn wrong:app\n"
    )
    config = read_deploy_config(tmp_path / "api", tmp_path)
    assert (config.dockerfile, config.docker_context) == ("api/Dockerfile", "api")
    assert [(s.source_file, s.line, s.app_spec) for s in config.start_commands] == [
        ("compose.yaml", 4, "wrong:app")
    ]


def test_compose_entrypoint_command_working_dir_and_healthcheck_make_the_start_command():
    from mcheck.deploy.hostfiles import read_host_file

    text = (
        "services:\n"
        "  api:\n"
        "    build: ./api\n"
        "    working_dir: /srv\n"
        '    entrypoint: ["gunicorn", "-k", "uvicorn.workers.UvicornWorker"]\n'
        '    command: ["app.main:app", "--bind", "0.0.0.0:8000"]\n'
        "    healthcheck:\n"
        '      test: ["CMD", "curl", "-f", "http://localhost:8000/healthz"]\n'
        "  worker:\n"
        "    build: ./worker\n"
        "    entrypoint: python -m worker\n"
    )
    api, worker = read_host_file("compose.yaml", text)
    [start] = api.start_commands
    assert start.command == [
        "gunicorn",
        "-k",
        "uvicorn.workers.UvicornWorker",
        "app.main:app",
        "--bind",
        "0.0.0.0:8000",
    ]
    assert (start.line, start.cwd, start.health_path) == (5, "/srv", "/healthz")
    assert api.health_path == "/healthz"
    [alone] = worker.start_commands
    assert (alone.command, alone.line) == ("python -m worker", 11)


def test_a_compose_file_between_the_service_and_the_root_describes_the_service(tmp_path):
    """compose files in any directory above the service count, their contexts relative to them."""
    (tmp_path / "services/api").mkdir(parents=True)
    (tmp_path / "services/compose.yaml").write_text(
        "services:\n  api:\n    build:\n      context: ./api\n"
        "    command: uvicorn app:api --port 8000\n"
    )
    (tmp_path / "services/api/Dockerfile").write_text("FROM python:3.11\nWORKDIR /app\nCOPY . .\n")
    config = read_deploy_config(tmp_path / "services/api", tmp_path)
    assert "services/compose.yaml" in config.files_read
    assert [s.argv for s in config.start_commands] == [("uvicorn", "app:api", "--port", "8000")]
