"""Where a finding's file lives in the repository, so code-scanning tools can place it.

Checks speak in wheel paths (``monkey_coder/app/main.py``) and module names (``monkey_coder.app.main``)
because that is what ships. GitHub code scanning and annotations need the path from the repository root
(``packages/core/src/monkey_coder/app/main.py``). This module translates once, after every check ran,
using the same wheel -> source mapping as the diff checks (:func:`mcheck.wheel.layout.map_packages`); reporters
only prefer :attr:`Finding.repo_path` when it is set.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path, PurePosixPath

from mcheck.findings import Finding
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.discover import Project
from mcheck.wheel.layout import map_packages

PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def repo_prefix(project: Project) -> str:
    """Where the project sits in its repository (``packages/core``); "" at the top level or outside git."""
    base = project.git_root or project.root
    prefix = project.root.resolve().relative_to(base.resolve()).as_posix()
    return "" if prefix == "." else prefix


def in_repo(prefix: str, project_path: str) -> str:
    return f"{prefix}/{project_path}" if prefix else project_path


def project_file(project: Project) -> str | None:
    """The project's build configuration: the file a finding about the whole project belongs to."""
    files = project.file_set()
    name = next((n for n in PROJECT_FILES if n in files), None)
    return in_repo(repo_prefix(project), name) if name else None


def with_project_file_path(finding: Finding, project: Project) -> Finding:
    """``finding`` with :attr:`Finding.repo_path` set when it names a file of the project directory
    itself (``pyproject.toml``, ``setup.py``, a readme, the repository's ``../../.gitignore``), which no
    wheel path maps: build failures and package-selection findings."""
    if finding.path is None or finding.repo_path is not None or finding.path.endswith("/"):
        return finding
    candidate = project.root / finding.path
    if not (candidate.is_file() or candidate.is_symlink()):
        return finding
    base = (project.git_root or project.root).resolve()
    location = Path(os.path.normpath(project.root.resolve() / finding.path))
    if location != base and base not in location.parents:
        return finding
    return dataclasses.replace(finding, repo_path=location.relative_to(base).as_posix())


class RepoPaths:
    """Translate wheel paths and module names of one target into repository paths."""

    def __init__(self, wheel: WheelContents, project: Project) -> None:
        self._wheel = wheel
        self._files = project.file_set()
        self._packages = {p.name: p for p in map_packages(wheel, self._files)}
        self._prefix = repo_prefix(project)

    def resolve(self, finding: Finding) -> Finding:
        """``finding`` with :attr:`Finding.repo_path` set when its source file is known."""
        # A finding about another project's wheel (a local dependency) already knows its file.
        return dataclasses.replace(
            finding, repo_path=finding.repo_path or self.for_finding(finding)
        )

    def for_finding(self, finding: Finding) -> str | None:
        """The repository path of what ``finding`` is about, or None when it names no source file."""
        if finding.path is None or finding.kind in ("entry_point", "app"):
            return None
        if finding.kind == "module":
            wheel_path = self._wheel.modules.get(finding.path)
            if wheel_path is None:
                return None
        else:
            wheel_path = finding.path
        source = self._source_path(wheel_path)
        return in_repo(self._prefix, source) if source is not None else None

    def _source_path(self, wheel_path: str) -> str | None:
        top, sep, _ = wheel_path.partition("/")
        package = self._packages.get(top) if sep else None
        if package is not None:
            if wheel_path.endswith(
                "/"
            ):  # a directory (MC105): mapped packages exist by construction
                return package.source_path(wheel_path)
            source = package.source_path(wheel_path)
            # A file the wheel ships but the source tree lacks (MC104) has no repository path.
            return source if source in self._files else None
        if wheel_path in self._files:
            return wheel_path
        return self._unique_suffix_match(wheel_path)

    def _unique_suffix_match(self, wheel_path: str) -> str | None:
        """A single-file top-level module (``helper.py``) under a source root such as ``src/``.

        Only a file name that occurs once is trusted: picking one of two ``helper.py`` would point
        code scanning at the wrong file, which is worse than pointing nowhere.
        """
        if "/" in wheel_path or PurePosixPath(wheel_path).suffix not in (".py", ".pyi"):
            return None
        matches = [f for f in self._files if f.endswith("/" + wheel_path)]
        return matches[0] if len(matches) == 1 else None
