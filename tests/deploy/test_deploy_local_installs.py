"""A build that installs a project of the repository from a path: what the build had at that moment is
what gets built (a multi-stage build's builder stage, a directory made by `RUN mkdir`)."""

from __future__ import annotations

from pathlib import Path

from mcheck.deploy import check_deploy
from mcheck.deploy.configs import read_deploy_config
from mcheck.deploy.runtime import reconstruct
from mcheck.wheel.discover import list_source_files

# Like a real service's Dockerfile (tests/realbugs: gptdiscord): the package is installed with
# --target in a builder stage, and only the installed files reach the final image.
BUILDER_DOCKERFILE = """\
FROM python:3.11 AS builder
RUN mkdir /install /src
WORKDIR /install
COPY requirements.txt /install
RUN pip install --target="/install" -r requirements.txt
COPY README.md /src
COPY pyproject.toml /src
COPY greeter /src/greeter
RUN pip install --target="/install" /src

FROM python:3.11-slim
COPY --from=builder /install /usr/local/lib/python3.11/site-packages
COPY app.py /bin/app
CMD ["python3", "/bin/app"]
"""
FILES = {
    "Dockerfile": BUILDER_DOCKERFILE,
    "requirements.txt": "",
    "README.md": "# greeter\n",
    "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
    '[project]\nname = "mcheck-sample-greeter"\nversion = "1.0"\nreadme = "README.md"\n\n'
    '[tool.hatch.build.targets.wheel]\npackages = ["greeter"]\n',
    "greeter/__init__.py": 'GREETING = "hello"\n',
    "app.py": "from greeter import GREETING\n\nprint(GREETING)\n",
}


def _repo(root: Path) -> Path:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_builder_stages_files_are_what_the_local_install_builds(tmp_path):
    repo = _repo(tmp_path / "repo")
    runtime, findings = reconstruct(
        read_deploy_config(repo, repo), repo, list_source_files(repo, None)
    )
    assert findings == []
    [install] = runtime.local_installs
    assert (install.written, install.container_path, install.line) == ("/src", "/src", 9)
    # `RUN mkdir /src` made a directory: `COPY README.md /src` puts the file inside it
    assert dict(install.files) == {
        "README.md": "README.md",
        "pyproject.toml": "pyproject.toml",
        "greeter/__init__.py": "greeter/__init__.py",
    }
    [requirements] = runtime.requirements
    assert (requirements.container_path, requirements.repo_path) == (
        "/install/requirements.txt",
        "requirements.txt",
    )
    assert "/src/README.md" not in runtime.files  # the final image does not keep the builder's /src


def test_a_service_installing_its_package_in_a_builder_stage_imports_it(tmp_path):
    report = check_deploy(_repo(tmp_path / "repo"))
    assert [(f.code, f.path, f.line) for f in report.findings] == []


def test_installing_a_package_from_outside_the_root_directory_is_one_mc502(tmp_path):
    """Incident 1's deploy with the service's root directory as build: `../../packages/core` is
    outside it. One finding at the install line; the start target's failure is its consequence."""
    import shutil

    from conftest import SAMPLES_DIR

    repo = tmp_path / "repo"
    shutil.copytree(
        SAMPLES_DIR / "deploy_installs_core_that_drops_a_file_fixed/packages", repo / "packages"
    )
    service = repo / "services/api"
    service.mkdir(parents=True)
    (service / "requirements.txt").write_text("starlette\nuvicorn\n", encoding="utf-8")
    (service / "railway.toml").write_text(
        '[build]\nbuildCommand = "pip install -r requirements.txt && uv pip install --system '
        '../../packages/core"\n\n[deploy]\nstartCommand = "uvicorn mcheck_svc_core.app:app"\n',
        encoding="utf-8",
    )
    report = check_deploy(service, repo_root=repo)
    assert [(f.code, f.path, f.line) for f in report.findings] == [
        ("MC502", "services/api/railway.toml", 2)
    ]
    assert report.findings[0].message.startswith(
        "`pip install ../../packages/core`: /packages/core is not in the build when this runs"
    )


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_requirements_file_lines_that_name_projects_are_local_installs(tmp_path):
    """pip reads a path in a requirements file relative to the directory it runs in, and a `-r`
    include relative to the file: a project named in an included file, in any form pip accepts."""
    repo = _write(
        tmp_path / "repo",
        {
            "Dockerfile": "FROM python:3.11-slim\nWORKDIR /srv\nCOPY . .\n"
            'RUN pip install -r deploy/requirements.txt\nCMD ["python", "-m", "app"]\n',
            "deploy/requirements.txt": "flask\n-r nested/base.txt\n-e ./libs/one  # editable\n",
            "deploy/nested/base.txt": "two @ file:///srv/libs/two\nrequests==2.0\n",
            "libs/one/pyproject.toml": "",
            "libs/two/pyproject.toml": "",
            "app/__init__.py": "",
        },
    )
    runtime, _ = reconstruct(read_deploy_config(repo, repo), repo, list_source_files(repo, None))
    found = [
        (i.source_file, i.line, i.requirements_line, i.repo_dir) for i in runtime.local_installs
    ]
    assert found == [
        ("deploy/nested/base.txt", 1, "two @ file:///srv/libs/two", "libs/two"),
        ("deploy/requirements.txt", 3, "-e ./libs/one", "libs/one"),
    ]


def test_a_requirements_line_outside_the_root_directory_is_mc502_with_the_git_url_fix(tmp_path):
    from conftest import copy_sample

    repo = copy_sample("deploy_requirements_outside_root", tmp_path / "repo")
    report = check_deploy(repo / "services/api", repo_root=repo, install=False)
    [finding] = report.findings
    assert (finding.code, finding.path, finding.line) == (
        "MC502",
        "services/api/requirements.txt",
        3,
    )
    assert finding.message == (
        "`-e ../../packages/core`: /packages/core is not in the build when this runs "
        "(the repository has the project at packages/core/)"
    )
    assert "#subdirectory=packages/core" in finding.hint
    assert "root directory services/api/" in finding.hint


def test_a_git_url_is_this_checkout_only_when_it_is_the_origin_remote(tmp_path):
    """`git+URL#subdirectory=packages/core` of another repository is that repository's package,
    even when this one has a packages/core too: compared with `origin`, in every URL form."""
    import subprocess

    from mcheck.deploy.model import LocalInstall
    from mcheck.deploy.pipeline import _this_repository_only

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:acme/mono.git"],
        check=True,
    )
    ours = "core @ git+https://github.com/Acme/mono@main#subdirectory=packages/core"
    theirs = "core @ git+https://github.com/other/mono.git#subdirectory=packages/core"
    installs = [
        LocalInstall("requirements.txt", 1, ours, "packages/core"),
        LocalInstall("requirements.txt", 2, theirs, "packages/core"),
    ]
    kept = _this_repository_only(installs, tmp_path)
    assert [i.repo_dir for i in kept] == ["packages/core", None]
