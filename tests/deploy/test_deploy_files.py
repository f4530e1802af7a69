"""Deploy files and start commands: what each host's config says is started, and parse errors with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcheck.deploy.commands import parse_server
from mcheck.deploy.start_commands import DeployFileError, parse_command, read_start_commands
from mcheck.probes.apps import discover_asgi_targets

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)


@pytest.mark.parametrize(
    ("command", "server", "spec", "factory", "asgi", "cwd"),
    [
        (
            "uvicorn pkg.app.main:app --host 0.0.0.0 --port $PORT",
            "uvicorn",
            "pkg.app.main:app",
            False,
            True,
            None,
        ),
        ("cd backend && uvicorn main:app", "uvicorn", "main:app", False, True, "backend"),
        (
            "uvicorn --factory --port=8000 pkg.web:create_app",
            "uvicorn",
            "pkg.web:create_app",
            True,
            True,
            None,
        ),
        ("uvicorn --interface wsgi pkg.wsgi:app", "uvicorn", "pkg.wsgi:app", False, False, None),
        (
            "PYTHONUNBUFFERED=1 exec python -m uvicorn pkg.main:app --workers 2",
            "uvicorn",
            "pkg.main:app",
            False,
            True,
            None,
        ),
        (
            "uv run --with gunicorn gunicorn -k uvicorn.workers.UvicornWorker -w 4 'pkg.web:create_app()' -b :$PORT",
            "gunicorn",
            "pkg.web:create_app",
            True,
            True,
            None,
        ),
        ("gunicorn --chdir src pkg.wsgi", "gunicorn", "pkg.wsgi:application", False, False, "src"),
        ("hypercorn pkg.app --bind 0.0.0.0:$PORT", "hypercorn", "pkg.app:app", False, True, None),
        (
            "granian --interface asgi --port 80 pkg.main:app",
            "granian",
            "pkg.main:app",
            False,
            True,
            None,
        ),
        ("granian pkg.main:app", "granian", "pkg.main:app", False, False, None),
        ("fastapi run --entrypoint pkg.main:api", "fastapi", "pkg.main:api", False, True, None),
        (
            "sh -c 'alembic upgrade head && uvicorn pkg.main:app'",
            "uvicorn",
            "pkg.main:app",
            False,
            True,
            None,
        ),
        ("python -m backend.main", "python-module", None, False, False, None),
        ("./start.sh", None, None, False, False, None),
    ],
)
def test_parse_command(command, server, spec, factory, asgi, cwd):
    parsed = parse_command(command)
    assert (parsed.server, parsed.app_spec, parsed.factory, parsed.asgi, parsed.cwd) == (
        server,
        spec,
        factory,
        asgi,
        cwd,
    )


def test_exec_form_argv_and_file_paths_map_to_modules(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "main.py").write_text("", encoding="utf-8")
    argv = ["fastapi", "run", "app/main.py", "--app", "api"]
    assert parse_command(argv, base_dir=tmp_path).app_spec == "app.main:api"
    assert parse_command("fastapi run", base_dir=tmp_path).app_spec == "app.main:app"
    assert parse_command("python services/ml/server.py").module == "services.ml.server"
    with pytest.raises(ValueError, match="quotation"):
        parse_command("uvicorn 'pkg.main:app")


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_every_host_file_is_read_with_its_line_and_health_path(tmp_path):
    _write(
        tmp_path,
        {
            "Procfile": "# processes\nweb: uvicorn pkg.main:app --port $PORT\nworker: python -m pkg.worker\n",
            "railway.json": '{\n  "deploy": {\n    "startCommand": "uvicorn pkg.rail:app",\n'
            '    "healthcheckPath": "/api/health"\n  }\n}\n',
            "render.yaml": "services:\n  - type: web\n    name: api\n    rootDir: services/api\n"
            "    startCommand: uvicorn main:app --port $PORT\n    healthCheckPath: /healthz\n",
            "fly.toml": 'app = "x"\n[processes]\napp = "gunicorn -k uvicorn.workers.UvicornWorker pkg.fly:app"\n'
            '[[http_service.checks]]\npath = "/fly-health"\n',
            "nixpacks.toml": '[start]\ncmd = "hypercorn pkg.nix:app"\n',
            "app.json": '{"scripts": {"postdeploy": "python -m pkg.migrate"}}\n',
            "Dockerfile": 'FROM python:3.11 AS build\nCMD ["ignored"]\nFROM python:3.11-slim\nWORKDIR /srv\n'
            "HEALTHCHECK CMD curl -f http://localhost:8000/docker-health || exit 1\n"
            'ENTRYPOINT ["python", "-m", "uvicorn"]\nCMD ["pkg.docker:app", \\\n  "--port", "8000"]\n',
        },
    )
    commands = {c.location: c for c in read_start_commands(tmp_path)}
    assert {loc: (c.server, c.app_spec, c.health_path, c.cwd) for loc, c in commands.items()} == {
        "railway.json:3": ("uvicorn", "pkg.rail:app", "/api/health", None),
        "render.yaml:5": ("uvicorn", "main:app", "/healthz", "services/api"),
        "fly.toml:3": ("gunicorn", "pkg.fly:app", "/api/health", None),
        "nixpacks.toml:2": ("hypercorn", "pkg.nix:app", "/api/health", None),
        "Procfile:2": ("uvicorn", "pkg.main:app", "/api/health", None),
        "Procfile:3": ("python-module", None, "/api/health", None),
        "Dockerfile:6": ("uvicorn", "pkg.docker:app", "/docker-health", "/srv"),
        "app.json:1": ("python-module", None, "/api/health", None),
    }
    assert commands["Dockerfile:6"].argv == (
        "python",
        "-m",
        "uvicorn",
        "pkg.docker:app",
        "--port",
        "8000",
    )
    assert commands["Procfile:3"].process == "worker"


def test_fly_checks_apply_when_no_other_file_names_a_health_path(tmp_path):
    _write(
        tmp_path,
        {
            "fly.toml": '[experimental]\ncmd = ["uvicorn", "pkg.fly:app"]\n'
            '[[http_service.checks]]\npath = "/fly-health"\n'
        },
    )
    [command] = read_start_commands(tmp_path)
    assert (command.app_spec, command.health_path, command.line) == (
        "pkg.fly:app",
        "/fly-health",
        2,
    )


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("railway.toml", "[deploy]\nstartCommand = uvicorn main:app\n", 2, "Invalid value"),
        (
            "railway.json",
            '{"deploy": {\n  "startCommand": "uvicorn main:app",\n}}',
            3,
            "double quotes",
        ),
        ("render.yaml", "services:\n  - type: web\n   startCommand: [unclosed\n", 3, ""),
        ("Procfile", "web: uvicorn main:app\nthis is not a process line\n", 2, "process: command"),
        ("Dockerfile", 'FROM python\nCMD ["uvicorn", "main:app",]\n', 2, "JSON array"),
        ("Procfile", "web: uvicorn 'main:app\n", 1, "quotation"),
        ("railway.toml", '[deploy]\nstartCommand = "a"\nstartCommand = "b"\n', 3, "overwrite"),
    ],
)
def test_parse_errors_name_the_file_and_line(tmp_path, name, text, line, message):
    _write(tmp_path, {name: text})
    with pytest.raises(DeployFileError) as caught:
        read_start_commands(tmp_path)
    assert (caught.value.source_file, caught.value.line) == (name, line)
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{name}:{line}: ")


def test_collected_errors_do_not_stop_the_other_files(tmp_path):
    _write(tmp_path, {"railway.toml": "[deploy\n", "Procfile": "web: uvicorn pkg.main:app\n"})
    errors: list[DeployFileError] = []
    commands = read_start_commands(tmp_path, errors=errors)
    assert [c.app_spec for c in commands] == ["pkg.main:app"]
    assert [(e.source_file, e.line) for e in errors] == [("railway.toml", 1)]


def test_discovery_keeps_only_asgi_apps_of_this_wheel_and_searches_up_to_the_repo_root(tmp_path):
    project = tmp_path / "packages" / "core"
    _write(
        tmp_path,
        {
            "railway.toml": '[deploy]\nstartCommand = "uvicorn core_pkg.app.main:app"\n'
            'healthcheckPath = "/api/health"\n',
            "packages/core/Procfile": "web: uvicorn main:app\nworker: gunicorn core_pkg.wsgi\n"
            "admin: uvicorn --factory core_pkg.admin:create\n",
        },
    )
    local = discover_asgi_targets(project, ["core_pkg"])
    assert [(t.spec, t.factory, t.source) for t in local] == [
        ("core_pkg.admin:create", True, "Procfile:3")
    ]
    everywhere = discover_asgi_targets(project, ["core_pkg"], search_up_to=tmp_path)
    assert [(t.spec, t.health, t.source) for t in everywhere] == [
        ("core_pkg.admin:create", None, "Procfile:3"),
        ("core_pkg.app.main:app", "/api/health", "../../railway.toml:2"),
    ]


# --- one parser for every consumer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "cwd", "sys_path", "call"),
    [
        # uvicorn's --app-dir puts a directory on sys.path; it does not change the working directory.
        (
            "cd api && uvicorn --app-dir src pkg.web:app",
            "api",
            ("src",),
            ("uvicorn", "module", "pkg.web", "app", "api"),
        ),
        (
            "gunicorn --chdir backend --pythonpath lib,vendor main:app",
            "backend",
            ("lib", "vendor"),
            ("gunicorn", "module", "main", "app", "backend"),
        ),
        (
            "cd services && cd ml/.. && granian --interface asgi --working-dir=web main:app",
            "services/web",
            (),
            ("granian", "module", "main", "app", "services/web"),
        ),
        (
            "bash -ec 'cd bot && exec python -u -m bot.main'",
            "bot",
            (),
            ("python", "module", "bot.main", None, "bot"),
        ),
        (
            "tini -- env -u DEBUG python server.py",
            None,
            (),
            ("python", "script", "server.py", None, "."),
        ),
        (
            "hypercorn pkg.app --bind 0.0.0.0:$PORT",
            None,
            (),
            ("hypercorn", "module", "pkg.app", None, "."),
        ),
    ],
)
def test_deploy_files_and_the_deploy_follower_read_a_command_the_same_way(
    command, cwd, sys_path, call
):
    parsed = parse_command(command)
    assert (parsed.cwd, parsed.sys_path) == (cwd, sys_path)
    # The follower's view: the start command's `cd` prefix plus the server's own options.
    server_call = parse_server(parsed.argv, parsed.shell_cwd or ".")
    assert server_call is not None
    assert (
        server_call.server,
        server_call.kind,
        server_call.target,
        server_call.attr,
        server_call.cwd,
    ) == call
    assert server_call.extra_path == sys_path


def test_commands_that_run_no_known_python_program_have_no_server():
    assert parse_command("npm start").server is None
    assert parse_command("python -c 'import app'").server is None
    assert parse_command("fastapi --version").app_spec is None
    assert parse_server(["npm", "start"]) is None
    assert parse_server(["fastapi", "--version"]) is None
