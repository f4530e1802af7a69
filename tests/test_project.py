"""Discovering a project: which files make up its source tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mcheck.wheel.discover import discover_project


def _git_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    return root


def test_a_project_inside_an_ignored_directory_of_another_repository_is_listed_by_walking(tmp_path):
    # An sdist unpacked under a repository's ignored .nox/ directory: git lists none of its files.
    repo = _git_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text(".nox/\n")
    project = discover_project(_project(repo / ".nox" / "unpacked"))
    assert project.git_root is None
    assert project.files == ("pkg/__init__.py", "pyproject.toml")


def test_an_untracked_project_inside_a_repository_is_listed_by_git(tmp_path):
    repo = _git_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("*.log\n")
    root = _project(repo / "packages" / "core")
    (root / "debug.log").write_text("")
    project = discover_project(root)
    assert project.git_root == repo.resolve()
    assert project.files == ("pkg/__init__.py", "pyproject.toml")
