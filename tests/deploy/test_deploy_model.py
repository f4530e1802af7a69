"""``mcheck deploy`` without venvs: deploy-file parsing, the Docker filesystem replay, start commands.

Every test builds a tiny repository in a temporary directory and runs the static part of
``check_deploy`` (``install=False``) or one of its building blocks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcheck.deploy import check_deploy
from mcheck.deploy.commands import parse_server, pip_installs, split_shell
from mcheck.deploy.configs import make_start_command, read_deploy_config
from mcheck.deploy.dockerignore import DockerIgnore
from mcheck.deploy.runtime import reconstruct
from mcheck.errors import UsageError

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def findings(root: Path, service: str = ".") -> set[tuple[str, str | None, int | None]]:
    report = check_deploy(root / service, repo_root=root, install=False)
    return {(f.code, f.path, f.line) for f in report.findings}


def runtime_of(root: Path, service: str = "."):
    config = read_deploy_config(root / service, root)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return reconstruct(config, root, files)


# --- .dockerignore -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "excluded_by"),
    [
        ("a.pyc", "*.pyc"),  # Docker anchors patterns at the context root...
        ("pkg/a.pyc", None),  # ...so `*.pyc` does not match below it
        ("pkg/debug.log", "**/*.log"),
        ("tests/test_x.py", "tests"),  # a directory pattern excludes everything below it
        ("tests/conftest.py", None),  # re-included by a later `!` line
        ("lib/tests/x.py", None),
        ("docs/index.md", "/docs/"),
        ("main.py", None),
    ],
)
def test_dockerignore_has_docker_semantics(
    tmp_path: Path, path: str, excluded_by: str | None
) -> None:
    (tmp_path / ".dockerignore").write_text(
        "# comment\n*.pyc\n**/*.log\ntests\n!tests/conftest.py\n/docs/\n"
    )
    rule = DockerIgnore.read(tmp_path / ".dockerignore", ".dockerignore").excluded_by(path)
    assert (rule.text if rule else None) == excluded_by


# --- command lines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "uvicorn app.main:app --host 0.0.0.0 --port $PORT",
            ("uvicorn", "module", "app.main", "app", ".", ()),
        ),
        (
            "cd api && exec uvicorn main:app --reload",
            ("uvicorn", "module", "main", "app", "api", ()),
        ),
        (
            "uvicorn --app-dir src pkg.web:create_app --factory",
            ("uvicorn", "module", "pkg.web", "create_app", ".", ("src",)),
        ),
        (
            "gunicorn -k uvicorn.workers.UvicornWorker --chdir backend -b 0.0.0.0:$PORT main:app",
            ("gunicorn", "module", "main", "app", "backend", ()),
        ),
        ("gunicorn wsgi", ("gunicorn", "module", "wsgi", None, ".", ())),
        (
            "hypercorn svc.asgi:app --bind 0.0.0.0:8000",
            ("hypercorn", "module", "svc.asgi", "app", ".", ()),
        ),
        (
            "granian --interface asgi --working-dir web main:app",
            ("granian", "module", "main", "app", "web", ()),
        ),
        ("fastapi run app/main.py --port 80", ("fastapi", "script", "app/main.py", None, ".", ())),
        ("python -m uvicorn main:app", ("uvicorn", "module", "main", "app", ".", ())),
        ("python3 -u -m bot.main", ("python", "module", "bot.main", None, ".", ())),
        (
            "sh -c 'cd backend && python main.py'",
            ("python", "script", "main.py", None, "backend", ()),
        ),
        (
            "PORT=1 uv run --no-sync python server.py",
            ("python", "script", "server.py", None, ".", ()),
        ),
    ],
)
def test_start_commands_are_parsed(command: str, expected: tuple) -> None:
    start = make_start_command("Procfile", 1, command, None)
    call = parse_server(start.argv, start.cwd or ".")
    assert call is not None
    assert (call.server, call.kind, call.target, call.attr, call.cwd, call.extra_path) == expected


def test_non_python_commands_are_not_servers() -> None:
    assert make_start_command("Procfile", 1, "npm start", None).server is None
    assert split_shell("a && b ; c") == ["a", "&&", "b", ";", "c"]


def test_pip_installs_are_read_from_build_commands() -> None:
    command = (
        "cd api && pip install -r requirements.txt && uv pip install --requirement=x.txt fastapi"
    )
    (first, second) = pip_installs(command)
    assert (first.requirement_files, first.cwd) == (("requirements.txt",), "api")
    assert (second.requirement_files, second.packages) == (("x.txt",), ("fastapi",))
    assert pip_installs("python -m pip install --no-cache-dir -rreq.txt -e .")[
        0
    ].requirement_files == ("req.txt",)


# --- deploy files ------------------------------------------------------------------------------------


def test_malformed_railway_toml_is_mc503_with_its_line(tmp_path: Path) -> None:
    make_repo(
        tmp_path, {"railway.toml": "[deploy]\nstartCommand = uvicorn main:app\n", "main.py": ""}
    )
    assert findings(tmp_path) == {("MC503", "railway.toml", 2)}


def test_malformed_procfile_line_and_json(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "Procfile": "web: python -m app\nnot a process line\n",
            "app.py": "",
            "railway.json": '{"deploy": {\n  "startCommand": }\n}',
        },
    )
    assert findings(tmp_path) == {("MC503", "Procfile", 2), ("MC503", "railway.json", 2)}


def test_no_start_command_and_unknown_server(tmp_path: Path) -> None:
    make_repo(tmp_path / "a", {"main.py": "", "requirements.txt": ""})
    assert findings(tmp_path / "a") == {("MC503", ".", None)}
    make_repo(tmp_path / "b", {"Procfile": "web: ./start.sh\n", "start.sh": ""})
    assert findings(tmp_path / "b") == {("MC503", "Procfile", 1)}


def test_render_yaml_at_the_root_selects_the_service_by_root_dir(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "render.yaml": "services:\n  - type: web\n    name: other\n    startCommand: uvicorn nope:app\n"
            "  - type: web\n    name: api\n    rootDir: api\n    buildCommand: pip install -r ../req.txt\n"
            "    startCommand: uvicorn api.main:app\n    healthCheckPath: /health\n",
            "req.txt": "",
            "api/main.py": "",
        },
    )
    config = read_deploy_config(tmp_path / "api", tmp_path)
    assert [(s.source_file, s.line, s.app_spec, s.health_path) for s in config.start_commands] == [
        ("render.yaml", 9, "api.main:app", "/health")
    ]
    assert findings(tmp_path, "api") == {("MC501", "render.yaml", 9), ("MC502", "render.yaml", 8)}


# --- Dockerfile replay -------------------------------------------------------------------------------


def test_copy_semantics(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11 AS build\nWORKDIR /src\nCOPY lib/ ./lib\n"
            "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nCOPY app /app/\n"
            'COPY conf/*.toml ./conf/\nCOPY --from=build /src/lib /opt/lib\nCOPY ["run.py", "start.py"]\n'
            "ENV PYTHONPATH=/opt/lib:$PYTHONPATH\nCMD python start.py\n",
            "requirements.txt": "",
            "app/main.py": "",
            "app/sub/x.py": "",
            "conf/a.toml": "",
            "conf/b.json": "",
            "lib/shared.py": "",
            "run.py": "",
        },
    )
    runtime, problems = runtime_of(tmp_path)
    assert problems == []
    assert runtime.files == {
        "/app/requirements.txt": "requirements.txt",
        "/app/main.py": "app/main.py",
        "/app/sub/x.py": "app/sub/x.py",
        "/app/conf/a.toml": "conf/a.toml",
        "/opt/lib/shared.py": "lib/shared.py",
        "/app/start.py": "run.py",
    }
    assert (runtime.workdir, runtime.pythonpath) == ("/app", ("/opt/lib",))


def test_pythonpath_from_env_makes_a_package_resolve(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY . .\nCMD uvicorn main:app\n",
        "src/main.py": "from shared import util\n",
        "src/shared/__init__.py": "",
        "src/shared/util.py": "",
    }
    make_repo(tmp_path / "bad", files)
    assert {c for c, _, _ in findings(tmp_path / "bad")} == {
        "MC501"
    }  # main is src/main.py, not main.py
    files["Dockerfile"] = (
        "FROM python:3.11\nWORKDIR /app\nCOPY . .\nENV PYTHONPATH=/app/src\nCMD uvicorn main:app\n"
    )
    make_repo(tmp_path / "good", files)
    assert findings(tmp_path / "good") == set()


def test_requirements_installed_before_they_are_copied(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nWORKDIR /app\nRUN pip install -r requirements.txt\n"
            'COPY . .\nCMD ["python", "-m", "app"]\n',
            "requirements.txt": "",
            "app.py": "",
        },
    )
    report = check_deploy(tmp_path, repo_root=tmp_path, install=False)
    (finding,) = report.findings
    assert (finding.code, finding.path, finding.line) == ("MC502", "Dockerfile", 3)
    assert (
        finding.hint == "add `COPY requirements.txt requirements.txt` to Dockerfile before line 3"
    )


def test_dockerignored_module_names_the_ignore_line(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY . .\nCMD uvicorn main:app\n",
            ".dockerignore": ".git\nsettings*\n",
            "main.py": "import settings\n",
            "settings.py": "",
        },
    )
    report = check_deploy(tmp_path, repo_root=tmp_path, install=False)
    (finding,) = report.findings
    assert (finding.code, finding.path, finding.line) == ("MC502", "main.py", 1)
    assert finding.hint == "remove `settings*` from .dockerignore (line 2)"


def test_copy_from_outside_the_context(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "svc/Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY ../shared ./shared\nCOPY . .\n"
            "CMD python -m main\n",
            "svc/main.py": "from shared import x\n",
            "shared/__init__.py": "",
            "shared/x.py": "",
        },
    )
    assert findings(tmp_path, "svc") == {
        ("MC502", "svc/Dockerfile", 3),
        ("MC502", "svc/main.py", 1),
    }


def test_transitive_first_party_imports_are_followed(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY app ./app\nCMD uvicorn app.main:app\n",
            "app/__init__.py": "",
            "app/main.py": "from app import routes\n",
            "app/routes.py": "def f():\n    from common.db import session\n",
            "common/__init__.py": "",
            "common/db.py": "",
            "app/optional.py": "try:\n    import common.extra\nexcept ImportError:\n    pass\n",
        },
    )
    assert findings(tmp_path) == {("MC502", "app/routes.py", 2)}


def test_gunicorn_chdir_and_railway_dockerfile_path(tmp_path: Path) -> None:
    make_repo(
        tmp_path,
        {
            "railway.toml": '[build]\ndockerfilePath = "deploy/Dockerfile"\n',
            "deploy/Dockerfile": "FROM python:3.11\nWORKDIR /srv\nCOPY . .\n"
            "CMD gunicorn --chdir web -k uvicorn.workers.UvicornWorker site:app\n",
            "web/site.py": "",
        },
    )
    assert findings(tmp_path) == set()
    (tmp_path / "web/site.py").rename(tmp_path / "web/other.py")
    assert findings(tmp_path) == {("MC501", "deploy/Dockerfile", 4)}


def test_service_outside_the_repository_root_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(UsageError):
        check_deploy(tmp_path / "a", repo_root=tmp_path / "b")


def test_a_build_command_installing_a_project_of_this_repository_is_a_local_install() -> None:
    from mcheck.deploy.model import local_install

    [install] = pip_installs(
        "pip install -r req.txt -e ../shared 'acme-core @ git+https://github.com/acme/mono.git@main"
        "#subdirectory=packages/core' /opt/tools fastapi"
    )
    assert (install.requirement_files, install.packages) == (("req.txt",), ("fastapi",))
    assert install.local == (
        "../shared",
        "acme-core @ git+https://github.com/acme/mono.git@main#subdirectory=packages/core",
        "/opt/tools",
    )
    files = {
        "/opt/tools/pyproject.toml": "libs/tools/pyproject.toml",
        "/opt/tools/src/tools/__init__.py": "libs/tools/src/tools/__init__.py",
    }
    repo = {"packages/core/pyproject.toml", "libs/tools/pyproject.toml"}
    resolved = [
        local_install("Dockerfile", 3, arg, "/app", files, repo.__contains__)
        for arg in install.local
    ]
    assert [(i.repo_dir, i.container_path) for i in resolved] == [
        (None, "/shared"),  # nothing was copied there: MC502 at Dockerfile:3
        ("packages/core", None),  # a git URL of this repository: built from packages/core
        ("libs/tools", "/opt/tools"),  # copied in from libs/tools
    ]


def test_an_import_after_an_early_version_exit_is_still_followed(tmp_path) -> None:
    """PolarDNS (tests/realbugs): `if sys.version_info < MIN: sys.exit(...)`, then `import nfz` of a
    root module the Dockerfile never copies. The exit makes what follows version-specific, not an
    import whose failure is expected: MC502 at the importing file."""
    from mcheck.deploy import check_deploy

    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.11\nWORKDIR /app\nCOPY server.py .\nCMD ["python", "server.py"]\n'
    )
    (tmp_path / "server.py").write_text(
        "import sys\nif sys.version_info < (3, 11):\n    sys.exit('3.11 or later')\n"
        "import helpers\n"
    )
    (tmp_path / "helpers.py").write_text("")
    report = check_deploy(tmp_path, repo_root=tmp_path, install=False)
    assert [(f.code, f.path, f.line) for f in report.findings] == [("MC502", "server.py", 4)]


def test_a_celery_worker_imports_its_app_module(tmp_path) -> None:
    """ranking-challenge (tests/realbugs): compose runs `celery -A sandbox_worker.tasks worker`
    from /app, where `COPY . .` put the worker under examples/: the module does not resolve."""
    from mcheck.deploy import check_deploy

    (tmp_path / "examples/sandbox_worker").mkdir(parents=True)
    (tmp_path / "examples/sandbox_worker/__init__.py").write_text("")
    (tmp_path / "examples/sandbox_worker/tasks.py").write_text("app = None\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\nWORKDIR /app\nCOPY . .\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  worker:\n    build: .\n"
        "    command: celery -A sandbox_worker.tasks worker --loglevel=info\n"
    )
    report = check_deploy(tmp_path, repo_root=tmp_path, install=False)
    assert [(f.code, f.path, f.line) for f in report.findings] == [
        ("MC501", "docker-compose.yml", 4)
    ]
    assert "`sandbox_worker.tasks` does not resolve from /app" in report.findings[0].message


def test_a_pythonpath_the_start_command_sets_is_where_its_modules_are_found(tmp_path) -> None:
    """`PYTHONPATH=src uvicorn app.main:app` (a Railway start command) resolves src/app/main.py;
    without the assignment the module does not resolve from /app."""
    from mcheck.deploy import check_deploy

    (tmp_path / "src/app").mkdir(parents=True)
    (tmp_path / "src/app/__init__.py").write_text("")
    (tmp_path / "src/app/main.py").write_text("app = None\n")
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: PYTHONPATH=src uvicorn app.main:app --port $PORT\n")
    assert check_deploy(tmp_path, repo_root=tmp_path, install=False).findings == []
    procfile.write_text("web: export PYTHONPATH=lib && uvicorn app.main:app --port $PORT\n")
    [finding] = check_deploy(tmp_path, repo_root=tmp_path, install=False).findings
    assert (finding.code, finding.path, finding.line) == ("MC501", "Procfile", 1)
    assert "(sys.path: /app, /app/lib)" in finding.message
