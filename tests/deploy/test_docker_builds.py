"""The `docker build` commands a repository writes name the Dockerfile and context of its images."""

from __future__ import annotations

from pathlib import Path

from mcheck.deploy import check_deploy
from mcheck.deploy.configs import read_deploy_config
from mcheck.deploy.docker_builds import DockerBuildCall, docker_build_calls
from mcheck.wheel.discover import list_source_files


def _repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


FILES = {
    "docker/api/Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY common/models models\n"
    'COPY apps/api/api api\nCMD ["uvicorn", "api.main:app"]\n',
    "docker/api/publish.sh": "# run from the repository root\n"
    "sudo docker build -t $IMAGE:$TAG -f docker/api/Dockerfile .\n",
    "Makefile": "worker:\n\tdocker buildx build --platform linux/amd64 \\\n\t  --file=worker/Dockerfile worker\n",
    ".github/workflows/ci.yml": 'steps:\n  - run: docker build -f "$DOCKERFILE" .\n'
    "  - run: podman build --tag x -f gone/Dockerfile .\n",
    "worker/Dockerfile": "FROM python:3.11\n",
    "common/models/__init__.py": "",
    "apps/api/api/__init__.py": "",
    "apps/api/api/main.py": "from models import x\napp = None\n",
}


def test_each_build_command_names_its_dockerfile_and_context(tmp_path: Path) -> None:
    repo = _repo(tmp_path, FILES)
    assert docker_build_calls(repo, sorted(FILES)) == [
        # a variable Dockerfile, and one the repository does not have, name nothing
        DockerBuildCall("Makefile", 2, "worker/Dockerfile", "worker"),
        DockerBuildCall("docker/api/publish.sh", 2, "docker/api/Dockerfile", ""),
    ]


def test_a_script_that_builds_from_the_root_sets_the_services_context(tmp_path: Path) -> None:
    """runelite-wrapped (tests/realbugs): docker/api/ holds the Dockerfile, its publish script builds
    it with the repository root as context, where `COPY common/models models` finds its source."""
    repo = _repo(tmp_path, FILES)
    config = read_deploy_config(repo / "docker/api", repo, list_source_files(repo, None))
    assert (config.dockerfile, config.docker_context) == ("docker/api/Dockerfile", "")
    assert "docker/api/publish.sh" in config.files_read
    assert check_deploy(repo / "docker/api", repo_root=repo, install=False).findings == []


def test_a_host_file_that_says_how_to_build_wins_over_the_scripts(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {**FILES, "docker/api/railway.toml": '[build]\nbuilder = "DOCKERFILE"\n'},
    )
    config = read_deploy_config(repo / "docker/api", repo, list_source_files(repo, None))
    assert config.docker_context == "docker/api"


def test_a_module_in_one_place_outside_the_context_is_mc502_not_an_index_package(
    tmp_path: Path,
) -> None:
    """The same service built with its own directory as context: `models` (common/models/) is the
    repository's code outside it, never "add models to requirements.txt"."""
    repo = _repo(
        tmp_path,
        {
            "apps/api/Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY api api\n"
            'CMD ["uvicorn", "api.main:app"]\n',
            "apps/api/api/__init__.py": "",
            "apps/api/api/main.py": "from models.raw import Event\napp = None\n",
            "common/models/raw.py": "Event = object\n",
        },
    )
    report = check_deploy(repo / "apps/api", repo_root=repo, install=False)
    [finding] = report.findings
    assert (finding.code, finding.path, finding.line) == ("MC502", "apps/api/api/main.py", 1)
    assert "`models.raw` is common/models/raw.py" in finding.message


def test_a_package_the_repository_publishes_and_the_service_installs_is_not_mc502(
    tmp_path: Path,
) -> None:
    """ranking-challenge (tests/realbugs): module/src/ranking_challenge is the source of a package
    on the index, which the service installs by name: the import is third-party there."""
    repo = _repo(
        tmp_path,
        {
            "apps/api/Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n"
            'RUN pip install -r requirements.txt\nCMD ["uvicorn", "main:app"]\n',
            "apps/api/requirements.txt": "ranking-challenge\n",
            "apps/api/main.py": "from ranking_challenge.request import Request\napp = None\n",
            "module/src/ranking_challenge/request.py": "Request = object\n",
        },
    )
    assert check_deploy(repo / "apps/api", repo_root=repo, install=False).findings == []
