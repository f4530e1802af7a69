"""``mcheck deploy --fix`` / ``--diff``: each deploy fix's sample, its proven fix as a golden diff,
and the fixed repository checked again. ``--diff`` leaves the repository byte-identical."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from conftest import committed_copy, golden_diff, tree_digest
from mcheck.deploy import check_deploy

GOLDEN = Path(__file__).parent / "golden"

# sample -> the (code, path, line) findings its fixes remove
FIXABLE = {
    # the Dockerfile copies bot/ only: the fix adds the COPY line its fixed twin has
    # and Crypto comes from pycryptodome, which requirements.txt lacks: the fix adds it
    "deploy_bot_dockerfile": {("MC502", "bot/main.py", 1), ("MC202", "bot/crypto.py", 1)},
    # compose's command starts `main`, which the image has as otp_auth.main: the fix renames it
    "deploy_compose_command": {("MC501", "docker-compose.yml", 6)},
    # CMD starts src.shop.wsgi, which the image has as shop.wsgi: the fix renames that token
    "deploy_cmd_module_path": {("MC501", "Dockerfile", 6)},
    # GET /health answers 404, the app's one health route is /healthz: the fix sets that path
    "deploy_health_path_wrong": {("MC405", "railway.toml", 6)},
    # .dockerignore excludes the package main.py imports: the fix deletes that rule
    "deploy_dockerignore_drops_package": {("MC502", "main.py", 1)},
}


def keys(report) -> set[tuple[str, str | None, int | None]]:
    return {(f.code, f.path, f.line) for f in report.findings}


# the fixes these need proving by running the service: installed and its app exercised
INSTALLED = {"deploy_health_path_wrong", "deploy_bot_dockerfile"}


def check(root: Path, **options):
    with contextlib.chdir(root):  # diff paths are relative to the current directory
        return check_deploy(root, repo_root=root, install=root.name in INSTALLED, **options)


@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_the_proven_deploy_fix_is_the_golden_diff_and_diff_writes_nothing(name, tmp_path):
    root = committed_copy(name, tmp_path)
    before = tree_digest(root)
    report = check(root, fix="diff")
    assert report.fix_diff == golden_diff(GOLDEN / f"{name}.diff", report)
    assert sorted((f.code, f.status) for f in report.fixes) == [
        (code, "proven") for code, _, _ in sorted(FIXABLE[name])
    ]
    assert FIXABLE[name] <= keys(report)
    assert tree_digest(root) == before


@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_deploy_fix_writes_it_and_the_service_checks_clean_of_it(name, tmp_path):
    root = committed_copy(name, tmp_path)
    fixed = check(root, fix="write")
    assert {f.status for f in fixed.fixes} == {"applied"}
    assert not FIXABLE[name] & keys(fixed)
    assert not FIXABLE[name] & keys(check(root))


def test_the_fixed_bot_dockerfile_is_its_hand_fixed_twin(tmp_path):
    root = committed_copy("deploy_bot_dockerfile", tmp_path)
    check(root, fix="write")
    twin = Path(__file__).parents[2] / "sample_projects" / "deploy_bot_dockerfile_fixed"
    assert (root / "Dockerfile").read_text() == (twin / "Dockerfile").read_text()


def test_without_a_workdir_the_copy_line_targets_the_image_root_as_dot_slash(tmp_path):
    """No WORKDIR: the start command runs from /, and the destination is `./`, never `.//`."""
    root = committed_copy("deploy_bot_dockerfile", tmp_path)
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("WORKDIR /app\n", ""))
    report = check(root, fix="diff", force=True)
    assert [(f.description, f.status) for f in report.fixes if f.code == "MC502"] == [
        ("add `COPY mega_sync.py ./` to Dockerfile", "proven")
    ]


def test_a_deploy_fix_the_rerun_disproves_leaves_the_repository_as_it_was(tmp_path):
    """Incident 2's service: renaming the start module is right, but from the root directory the
    requirements outside it are not installed, so the renamed app's imports fail (MC202): the fix
    is not proven, and nothing is written."""
    root = committed_copy("deploy_ml_root_dir", tmp_path)
    before = tree_digest(root)
    with contextlib.chdir(root):
        report = check_deploy(root / "services/ml", repo_root=root, fix="write")
    [outcome] = report.fixes
    assert (outcome.code, outcome.status) == ("MC501", "not proven")
    assert outcome.reason is not None and outcome.reason.startswith("it adds MC202 services/ml/")
    assert tree_digest(root) == before
