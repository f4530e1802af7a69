"""``--fix`` and ``--diff``: each fixable code's sample, its proven fix as a golden diff, and the fixed
tree checked again. The user's tree is byte-identical after ``--diff``, after a fix that could not be
proven, and when uncommitted changes make ``--fix`` refuse."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from conftest import committed_copy, golden_diff, tree_digest

GOLDEN = Path(__file__).parent / "golden"

# sample -> the codes its fixes remove
FIXABLE = {
    "incident1_monorepo_core": {"MC101"},  # three directories without __init__.py
    "explicit_packages_list": {"MC101"},  # a sub-package missing from [tool.setuptools] packages
    "hatch_package_not_named_like_project": {"MC101"},  # hatchling's guess misses acme/
    "missing_package_data": {"MC102"},  # a template neither in MANIFEST.in nor package-data
    "poetry_include_sdist_only": {"MC102"},
    "root_level_helper": {
        "MC107"
    },  # shipped code imports a root module the wheel lacks  # poetry-core 2 include without format: sdist only
    "setup_cfg_literal_lists": {"MC101", "MC102"},  # [options] packages and no package_data
    "setup_py_literal_lists": {"MC101", "MC102"},  # setup(packages=[...]) and no package_data
    "undeclared_dependency": {"MC202"},  # imports Crypto, declares pycryptodomex (incident 5)
    "version_mismatch": {"MC201"},  # a hand-written __version__ behind the static version
    "release_typed_not_shipped": {"MC606"},  # Typing :: Typed without a py.typed
}


def test_every_code_with_an_automatic_fix_has_a_sample_whose_fix_is_proven():
    from test_deploy_fix import FIXABLE as DEPLOY_FIXABLE

    from mcheck.catalogue import AUTOMATIC_FIXES

    deploy_codes = {code for found in DEPLOY_FIXABLE.values() for code, _, _ in found}
    assert set().union(*FIXABLE.values()) | deploy_codes == set(AUTOMATIC_FIXES)


def check(root: Path, **options):
    from mcheck.api import check_wheel

    with contextlib.chdir(root):  # diff paths are relative to the current directory
        return check_wheel(root, **options)


@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_the_proven_fix_is_the_golden_diff_and_diff_writes_nothing(name, tmp_path):
    root = committed_copy(name, tmp_path)
    before = tree_digest(root)
    report = check(root, fix="diff")
    assert report.fix_diff == golden_diff(GOLDEN / f"{name}.diff", report)
    assert {f.status for f in report.fixes} == {"proven"}
    assert tree_digest(root) == before
    assert FIXABLE[name] <= {f.code for f in report.findings}  # --diff reports what it found


@pytest.mark.parametrize("name", sorted(FIXABLE))
def test_fix_writes_the_proven_fix_and_the_fixed_tree_has_no_finding_of_those_codes(name, tmp_path):
    root = committed_copy(name, tmp_path)
    fixed = check(root, fix="write")
    assert {f.status for f in fixed.fixes} == {"applied"}
    assert not FIXABLE[name] & {f.code for f in fixed.findings}
    again = check(root)
    assert [f for f in again.findings if f.code in FIXABLE[name]] == []


def test_fix_refuses_over_uncommitted_changes_to_the_files_it_would_touch(tmp_path):
    root = committed_copy("missing_package_data", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "# my edit\n")
    before = tree_digest(root)
    report = check(root, fix="write")
    [outcome] = report.fixes
    assert (outcome.status, outcome.reason) == (
        "refused",
        "uncommitted changes to pyproject.toml (commit them, or --force)",
    )
    assert tree_digest(root) == before
    forced = check(root, fix="write", force=True)
    assert [f.status for f in forced.fixes] == ["applied"]
    assert pyproject.read_text().endswith('pkg = ["templates/*.html"]\n')


def test_a_fix_the_rerun_disproves_is_not_written(tmp_path):
    root = committed_copy("missing_package_data", tmp_path)
    pyproject = root / "pyproject.toml"
    # The package data a fix would add is excluded again: the finding stays, the fix is refused.
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.setuptools.exclude-package-data]\npkg = ["*.html"]\n'
    )
    subprocess.run(
        ["git", "commit", "-qam", "exclude"],
        cwd=root,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@m",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@m",
            "PATH": "/usr/bin:/bin",
        },
    )
    before = tree_digest(root)
    report = check(root, fix="write")
    [outcome] = report.fixes
    assert (outcome.status, outcome.reason) == ("not proven", "the finding remains after it")
    assert tree_digest(root) == before
    assert [f.code for f in report.findings] == ["MC102"]
