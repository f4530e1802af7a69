"""``mcheck deploy`` on the incident samples (2-5) and their fixed twins.

Each sample is checked on a private copy (not a git checkout, so the repository root is given). The
broken ones must report exactly the listed ``(code, path, line)`` triples; the fixed twins nothing at
all. These runs create real venvs and install the samples' (tiny) requirements with uv.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import REPO_ROOT, copy_sample, python_installed
from mcheck.catalogue import CATALOGUE
from mcheck.deploy import check_deploy
from mcheck.findings import Report, Severity

# sample -> (service directory inside it, exact findings)
SPEC: dict[str, tuple[str, set[tuple[str, str, int | None]]]] = {
    "deploy_ml_root_dir": (
        "services/ml",
        {
            (
                "MC501",
                "services/ml/railway.toml",
                6,
            ),  # uvicorn services.ml.ml_server:app from services/ml
            (
                "MC502",
                "services/ml/railway.toml",
                3,
            ),  # pip install -r ../../requirements-deploy.txt
        },
    ),
    "deploy_ml_root_dir_fixed": ("services/ml", set()),
    # python:3.15-slim, not installed here: imported with the nearest installed Python, and said.
    "deploy_python_not_installed": (".", {("MC004", None, None)}),
    "deploy_backend_wrong_cwd": (
        ".",
        {
            (
                "MC501",
                "backend/main.py",
                1,
            ),  # from backend.deps import get_db, run as cd backend && python main.py
            ("MC501", "backend/worker.py", 1),  # from .deps import get_db in a script
        },
    ),
    "deploy_backend_wrong_cwd_fixed": (".", set()),
    "deploy_health_sibling_src": (
        "health-service",
        {
            (
                "MC502",
                "health-service/main.py",
                5,
            ),  # from src.config import Config; src/ is outside the root
        },
    ),
    "deploy_health_sibling_src_fixed": (".", set()),
    "deploy_bot_dockerfile": (
        ".",
        {
            ("MC502", "bot/main.py", 1),  # import mega_sync; the Dockerfile only copies bot/
            (
                "MC202",
                "bot/crypto.py",
                1,
            ),  # from Crypto.Cipher import AES with pycryptodomex installed
        },
    ),
    "deploy_bot_dockerfile_fixed": (".", set()),
    # `COPY . .` and a .dockerignore rule that excludes the package main.py imports
    "deploy_dockerignore_drops_package": (".", {("MC502", "main.py", 1)}),
    # healthcheckPath = "/health" while the app's health route is /healthz: GET /health is a 404
    "deploy_health_path_wrong": (".", {("MC405", "railway.toml", 6)}),
    # CMD names the module by its repository path, not by where COPY put it in the image
    "deploy_cmd_module_path": (".", {("MC501", "Dockerfile", 6)}),
    # compose's `command:` replaces a right CMD with a wrong one (tests/realbugs: otp-auth-example).
    "deploy_compose_command": (".", {("MC501", "docker-compose.yml", 6)}),
    # backend/main.py imports its siblings as top-level packages (tests/realbugs: atlas-ui-3).
    "deploy_subdir_imports": (".", {("MC501", "backend/main.py", 1)}),
    # a shared package outside the Blueprint's rootDir; the tree has no .git (issue 14)
    "deploy_shared_common": ("services/api", {("MC502", "services/api/main.py", 1)}),
    "deploy_shared_common_fixed": (".", set()),
    # the service installs the repository's own package, which the image never gets (issue 14)
    "deploy_compose_installs_core": (".", {("MC502", "services/api/Dockerfile", 2)}),
    "deploy_compose_installs_core_fixed": (".", set()),
    # incident 1's deploy: the service installs the repository's core, whose wheel drops routes/
    "deploy_installs_core_that_drops_a_file": (
        ".",
        {
            ("MC301", "railway.toml", 6),
            ("MC101", "mcheck_svc_core/routes/health.py", None),
        },
    ),
    "deploy_installs_core_that_drops_a_file_fixed": (".", set()),
    # the core installed by this repository's git URL: built from the checkout, never cloned
    "deploy_git_url_core": (
        "services/api",
        {
            ("MC301", "services/api/main.py", 1),
            ("MC101", "mcheck_git_core/views/home.py", None),
        },
    ),
    "deploy_git_url_core_fixed": ("services/api", set()),
    # the core installed by git URL with --target deps, and no PYTHONPATH puts deps on sys.path
    "deploy_git_url_target": ("services/api", {("MC501", "services/api/railway.toml", 4)}),
    "deploy_git_url_target_fixed": ("services/api", set()),
    # the core installed by a line of the service's requirements file (`./packages/core`), whose
    # wheel drops views/: built from what the image holds at that path (issue 14)
    "deploy_requirements_local_core": (
        ".",
        {
            ("MC301", "services/api/main.py", 1),
            ("MC101", "mcheck_reqcore/views/__init__.py", None),
            ("MC101", "mcheck_reqcore/views/home.py", None),
        },
    ),
    "deploy_requirements_local_core_fixed": (".", set()),
    # `-e ../../packages/core` in the requirements of a root-directory service: not in the build
    "deploy_requirements_outside_root": (
        "services/api",
        {("MC502", "services/api/requirements.txt", 3)},
    ),
    "deploy_requirements_outside_root_fixed": ("services/api", set()),
    # ENTRYPOINT a shell script ending in `exec "$@"`: the CMD runs, and `COPY api/ .` flattened api/
    "deploy_entrypoint_script": (".", {("MC501", "Dockerfile", 7)}),
    "deploy_entrypoint_script_fixed": (".", set()),
    # only the Justfile's `docker build -f .dockerfiles/Dockerfile .` names the image's Dockerfile
    # (tests/realbugs: django-email-relay); `COPY src/relay /app` flattens the package
    "deploy_dockerfile_named_by_justfile": (".", {("MC501", ".dockerfiles/Dockerfile", 7)}),
    "deploy_dockerfile_named_by_justfile_fixed": (".", set()),
    # `poetry install --only main` in the image: httpx is only in the dev group
    "deploy_poetry_image": (".", {("MC202", "app/main.py", 1)}),
    "deploy_poetry_image_fixed": (".", set()),
    # the start target needs the host's configuration: info, not an error (tests/realbugs: gptdiscord)
    "deploy_needs_host_env": (".", {("MC304", "bot.py", 4)}),
    "deploy_needs_host_env_fixed": (".", set()),
    # typing.override (3.12+) under python:3.12-slim: clean, imported with the image's Python (#16)
    "deploy_python_from_image": (".", set()),
}
# Samples whose spec holds only where the Python their service runs is installed.
NEEDS_PYTHON = {"deploy_python_from_image": "3.12"}
# Samples whose finding (MC004) exists only where this Python is not installed.
NEEDS_NO_PYTHON = {"deploy_python_not_installed": "3.15"}


_reports: dict[str, Report] = {}


@pytest.fixture(scope="module")
def deploy_report(tmp_path_factory: pytest.TempPathFactory):
    def run(name: str) -> Report:
        if name not in _reports:
            repo = copy_sample(name, tmp_path_factory.mktemp("deploy") / name)
            _reports[name] = check_deploy(repo / SPEC[name][0], repo_root=repo, timeout=30.0)
        return _reports[name]

    return run


def _keys(report: Report) -> set[tuple[str, str | None, int | None]]:
    return {(f.code, f.path, f.line) for f in report.findings}


@pytest.mark.parametrize("name", sorted(SPEC))
def test_sample_reports_exactly_the_spec(name: str, deploy_report) -> None:
    if name in NEEDS_PYTHON and not python_installed(NEEDS_PYTHON[name]):
        pytest.skip(f"the service runs Python {NEEDS_PYTHON[name]}, which is not installed here")
    if name in NEEDS_NO_PYTHON and python_installed(NEEDS_NO_PYTHON[name]):
        pytest.skip(f"Python {NEEDS_NO_PYTHON[name]} is installed here: no MC004 to report")
    report = deploy_report(name)
    assert _keys(report) == SPEC[name][1], [
        f"{f.code} {f.path}:{f.line} {f.message}" for f in report.findings
    ]
    errors = [code for code, _, _ in SPEC[name][1] if CATALOGUE[code].severity is Severity.ERROR]
    assert report.exit_code == (1 if errors else 0)


def test_every_deploy_sample_has_a_readme_and_a_fixed_twin() -> None:
    samples = REPO_ROOT / "sample_projects"
    on_disk = {p.name for p in samples.iterdir() if p.is_dir() and p.name.startswith("deploy_")}
    assert on_disk == set(SPEC)
    assert all((samples / name / "README.md").is_file() for name in on_disk)


def _finding(report: Report, code: str):
    (finding,) = [f for f in report.findings if f.code == code]
    return finding


def test_root_directory_start_command_hint_names_the_module_that_resolves(deploy_report) -> None:
    report = deploy_report("deploy_ml_root_dir")
    start = _finding(report, "MC501")
    assert "services/ml/ml_server.py" in start.message and "/app/ml_server.py" in start.message
    assert start.hint == "start it as `uvicorn ml_server:app --host 0.0.0.0 --port $PORT`"
    requirements = _finding(report, "MC502")
    assert "the repository has it at requirements-deploy.txt" in requirements.message
    assert "services/ml/" in requirements.hint


def test_self_import_from_the_wrong_directory_suggests_python_m(deploy_report) -> None:
    report = deploy_report("deploy_backend_wrong_cwd")
    main = next(f for f in report.findings if f.path == "backend/main.py")
    assert "`backend.deps` does not resolve on sys.path (/app/backend)" in main.message
    assert "python -m backend.main" in main.hint
    worker = next(f for f in report.findings if f.path == "backend/worker.py")
    assert (
        "attempted relative import" in worker.message and "python -m backend.worker" in worker.hint
    )


def test_sibling_package_outside_the_root_directory(deploy_report) -> None:
    finding = _finding(deploy_report("deploy_health_sibling_src"), "MC502")
    assert (
        "src/config.py" in finding.message
        and "outside the service's root directory health-service/" in (finding.message)
    )
    assert "COPY src ./src" in finding.hint


def test_dockerfile_without_copy_and_the_wrong_crypto_package(deploy_report) -> None:
    report = deploy_report("deploy_bot_dockerfile")
    missing = _finding(report, "MC502")
    assert "mega_sync.py" in missing.message and "never copies it" in missing.message
    assert missing.hint == "add `COPY mega_sync.py ./` to Dockerfile"
    crypto = _finding(report, "MC202")
    assert "`Crypto`" in crypto.message and "pycryptodomex" in crypto.message
    assert "pycryptodome" in crypto.hint and "`Cryptodome`" in crypto.hint


def test_fixed_twin_breaks_again_when_the_copy_line_goes(sample_copy) -> None:
    repo = sample_copy("deploy_bot_dockerfile_fixed")
    dockerfile = repo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY mega_sync.py ./\n", ""))
    report = check_deploy(repo, repo_root=repo, install=False)
    assert _keys(report) == {("MC502", "bot/main.py", 1)}


def test_fixed_twin_health_path_is_really_requested(sample_copy) -> None:
    """The fixed ML service passes because GET /health answers 200; a wrong path must fail (MC405)."""
    pytest.importorskip("mcheck.probes.apps")
    repo = sample_copy("deploy_ml_root_dir_fixed")
    config = repo / "services/ml/railway.toml"
    config.write_text(config.read_text().replace('"/health"', '"/api/health"'))
    report = check_deploy(repo / "services/ml", repo_root=repo)
    assert _keys(report) == {("MC405", "services/ml/railway.toml", 6)}


def test_the_import_really_runs_in_the_requirements_venv(sample_copy) -> None:
    """Dropping starlette from the fixed twin's requirements makes the real import fail (MC202)."""
    repo = sample_copy("deploy_health_sibling_src_fixed")
    (repo / "health-service/requirements.txt").write_text("")
    report = check_deploy(repo, repo_root=repo)
    assert {(f.code, f.path) for f in report.findings} == {("MC202", "health-service/main.py")}
    shutil.rmtree(repo)


def test_findings_that_name_no_file_are_anchored_at_the_service_deploy_file(deploy_report) -> None:
    # Code scanning rejects a SARIF result without a file; the service's deploy file is where it belongs.
    assert deploy_report("deploy_ml_root_dir").project_file == "services/ml/railway.toml"
    assert deploy_report("deploy_bot_dockerfile").project_file == "Dockerfile"


def test_deploy_times_its_stages_like_wheel_does(deploy_report, sample_copy) -> None:
    ran = deploy_report("deploy_bot_dockerfile_fixed")
    assert [(s.name, s.ok) for s in ran.stages] == [
        ("read", True),
        ("context", True),
        ("follow", True),
        ("install", True),
        ("probe", True),
        ("analyse", True),
    ]
    static = check_deploy(sample_copy("deploy_bot_dockerfile_fixed"), install=False)
    assert [s.name for s in static.stages] == ["read", "context", "follow", "analyse"]


def test_deploy_json_carries_the_stage_timings(sample_copy) -> None:
    import json

    from mcheck.reporters import render

    report = check_deploy(sample_copy("deploy_compose_command"), install=False)
    data = json.loads(render("json", [report]))
    assert [s["name"] for s in data["stages"]] == ["read", "context", "follow", "analyse"]
    assert [(f["code"], f["path"], f["line"]) for f in data["findings"]] == [
        ("MC501", "docker-compose.yml", 6)
    ]


@pytest.mark.parametrize("run_from", ["repository root", "service directory"])
def test_without_git_the_root_render_yaml_marks_the_repository_root(
    sample_copy, monkeypatch, run_from
):
    repo = sample_copy("deploy_shared_common")
    assert not (repo / ".git").exists()
    monkeypatch.chdir(repo if run_from == "repository root" else repo / "services/api")
    report = check_deploy(repo / "services/api", install=False)
    assert report.repository_root == (str(repo.resolve()), "render.yaml")
    assert _keys(report) == {("MC502", "services/api/main.py", 1)}
    [finding] = report.findings
    assert "outside the service's root directory services/api/" in finding.message
    assert "requirements" not in (finding.hint or "")


def test_the_current_directory_is_the_root_of_a_tree_without_markers(sample_copy, monkeypatch):
    repo = sample_copy("deploy_shared_common")
    (repo / "render.yaml").rename(repo / "services/api/render.yaml")  # now the service's own file
    monkeypatch.chdir(repo)
    report = check_deploy(repo / "services/api", install=False)
    assert report.repository_root == (str((repo / "services/api").resolve()), "render.yaml")
    (repo / "services/api/render.yaml").rename(repo / "services/api/Procfile.unused")
    (repo / "services/api/Procfile").write_text("web: uvicorn main:app\n", encoding="utf-8")
    report = check_deploy(repo / "services/api", install=False)
    assert report.repository_root == (str(repo.resolve()), "current directory")
    assert _keys(report) == {("MC502", "services/api/main.py", 1)}


def test_a_missing_copy_of_the_repositorys_package_names_the_copy_not_a_requirement(deploy_report):
    [finding] = deploy_report("deploy_compose_installs_core").findings
    assert finding.message == (
        "`pip install /opt/core`: /opt/core is not in the build when this runs (the repository has "
        "the project at packages/core/)"
    )
    assert finding.hint == "copy it in before this line: `COPY packages/core /opt/core`"


def test_the_installed_core_drops_a_file_and_the_start_target_names_it(deploy_report):
    report = deploy_report("deploy_installs_core_that_drops_a_file")
    failure = _finding(report, "MC301")
    assert "No module named 'mcheck_svc_core.routes'" in failure.message
    assert failure.hint == "root cause: MC101 packages/core/src/mcheck_svc_core/routes/health.py"
    dropped = _finding(report, "MC101")
    assert dropped.repo_path == "packages/core/src/mcheck_svc_core/routes/health.py"


def test_a_poetry_image_names_the_poetry_table_to_declare_it_in(deploy_report) -> None:
    finding = _finding(deploy_report("deploy_poetry_image"), "MC202")
    assert "(installed: poetry, starlette, uvicorn)" in finding.message
    assert finding.hint.endswith("add httpx to [tool.poetry.dependencies] of pyproject.toml")
