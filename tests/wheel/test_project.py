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


# --- what the build is given outside git (class 12 of the real-bug corpus) ---------------------------


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_a_gitignore_line_git_rejects_is_skipped_not_fatal(tmp_path: Path) -> None:
    # black's sdist carries a .gitignore with a lone `!`: git skips such a line, and so does mcheck.
    _tree(
        tmp_path,
        {"setup.py": "", "pkg/__init__.py": "", ".gitignore": "!\n*.log\n", "pkg/run.log": ""},
    )
    project = discover_project(tmp_path)
    assert "pkg/run.log" not in project.files and "pkg/__init__.py" in project.files


def test_a_deeper_gitignore_re_includes_what_a_shallower_one_ignores(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "setup.py": "",
            ".gitignore": "*.h\n",
            "vendor/.gitignore": "!keep.h\n",
            "vendor/keep.h": "",
            "vendor/drop.h": "",
        },
    )
    files = discover_project(tmp_path).files
    assert "vendor/keep.h" in files and "vendor/drop.h" not in files


def test_outside_git_the_build_is_given_what_gitignore_hides_from_the_diff(tmp_path: Path) -> None:
    # aiohttp's sdist: vendor/llhttp/.gitignore ignores build/, yet the sdist ships build/llhttp.h and
    # the C extension's build needs it; pip and uv give the backend the directory as it is.
    _tree(
        tmp_path,
        {
            "setup.py": "",
            "vendor/llhttp/.gitignore": "build/\n",
            "vendor/llhttp/build/llhttp.h": "",
            "pkg/__init__.py": "",
        },
    )
    project = discover_project(tmp_path)
    assert "vendor/llhttp/build/llhttp.h" not in project.files
    assert "vendor/llhttp/build/llhttp.h" in project.build_files
