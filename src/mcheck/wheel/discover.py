"""Stage 1, discover: what the project in a directory is and which files make up its source tree."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from mcheck.errors import UsageError
from mcheck.gitcmd import git_text, run_git
from mcheck.knowledge.backends import BACKEND_FAMILIES, LEGACY_BACKEND, VCS_VERSION_PLUGINS
from mcheck.knowledge.conventions import REPOSITORY_ROOT_FILES
from mcheck.tomlfile import read_toml as read_pyproject

# Directories that are never part of a source tree, whatever .gitignore says.
ALWAYS_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "node_modules",
    }
)
# Build leftovers of setuptools in the project root: copying them into the build would let a stale
# SOURCES.txt or build/lib leak deleted files into the artifacts, so they never reach the build copy.
BUILD_LEFTOVERS = ("build", "dist")
# Files whose contents decide what the backend reads; scanned for references to the parent directory.
BUILD_FILES = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "hatch_build.py",
    "build.py",
    "MANIFEST.in",
)
_PARENT_PATH = re.compile(r"(?:\.\./)+[^\s\"'\],)]+")
_PARENT_MENTION = re.compile(r"\.\./|[\"']\.\.[\"']|\.parent\b|os\.pardir")


@dataclass(frozen=True)
class Project:
    """A Python project directory as found on disk (no build has run yet)."""

    root: Path
    backend: str  # the build-backend string, e.g. "hatchling.build"
    build_requires: tuple[str, ...]
    name: str | None  # from [project] or [tool.poetry]; None when dynamic / only in setup.py
    version: str | None  # static version, None when dynamic
    dependencies: tuple[str, ...] = ()
    optional_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pyproject: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # posix paths relative to root: the source tree as the user sees it
    # What the build backend is given (== files in git; outside git every file, as pip and uv give it).
    build_files: tuple[str, ...] = ()
    git_root: Path | None = None
    has_setup_py: bool = False
    # Paths above ``root`` (relative to ``git_root``) that the build configuration names (`../README.md`,
    # hatch ``force-include`` of `../proto`): a real checkout has them, so the staged build must too.
    outside_paths: tuple[str, ...] = ()
    reads_parent: bool = False  # a build file refers to the parent directory at all

    @property
    def backend_family(self) -> str:
        module = self.backend.split(":", 1)[0].split(".", 1)[0]
        return BACKEND_FAMILIES.get(module, module)

    @property
    def is_setuptools(self) -> bool:
        return self.backend_family == "setuptools"

    @property
    def uses_vcs_version(self) -> bool:
        requires = " ".join(self.build_requires).lower()
        return (
            any(plugin in requires for plugin in VCS_VERSION_PLUGINS)
            and "version" not in self.static_fields
        )

    @property
    def reads_vcs(self) -> bool:
        """A VCS plugin is a build requirement. Its file finder ships what git tracks, also when the
        version is static, so the build must see a git checkout."""
        requires = " ".join(self.build_requires).lower()
        return any(plugin in requires for plugin in VCS_VERSION_PLUGINS)

    @property
    def stages_from_git(self) -> bool:
        """Build in a checkout of the repository rather than in a copy of the project's files: always for
        a project in a subdirectory (backends read the repository's ``.gitignore`` and files above the
        project), and for a VCS plugin's file finder."""
        return self.git_root is not None and (self.reads_vcs or self.git_root != self.root)

    @property
    def static_fields(self) -> set[str]:
        project = self.pyproject.get("project", {})
        return {key for key in project if key not in set(project.get("dynamic", []))}

    @property
    def setuptools_config(self) -> dict[str, Any]:
        return self.pyproject.get("tool", {}).get("setuptools", {})

    def file_set(self) -> frozenset[str]:
        return frozenset(self.files)


def discover_project(path: Path) -> Project:
    """Read the project at ``path``. Raises :class:`UsageError` for anything that is not a project."""
    root = path.resolve()
    if not root.exists():
        raise UsageError(f"{path}: no such file or directory")
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory or a .whl file")
    pyproject_path = root / "pyproject.toml"
    has_setup_py = (root / "setup.py").is_file()
    if not pyproject_path.is_file() and not has_setup_py:
        raise UsageError(f"{path}: not a Python project (no pyproject.toml or setup.py)")

    pyproject = read_pyproject(pyproject_path) if pyproject_path.is_file() else {}
    check_pyproject_shape(pyproject, pyproject_path)
    if _virtual_workspace_root(pyproject, has_setup_py):
        raise UsageError(
            f"{path}: a uv workspace root without a project of its own: check its members "
            "(`mcheck wheel ROOT` checks each one)"
        )
    build_system = pyproject.get("build-system", {})
    backend = build_system.get("build-backend") or LEGACY_BACKEND
    build_requires = tuple(build_system.get("requires", ["setuptools>=40.8.0"]))
    project_table = pyproject.get("project", {})
    poetry_table = pyproject.get("tool", {}).get("poetry", {})
    dynamic = set(project_table.get("dynamic", []))

    git_root = _tracking_git_root(root)
    reads_parent, outside = _parent_references(root, git_root)
    source_files = list_source_files(root, git_root)
    return Project(
        root=root,
        backend=backend,
        build_requires=build_requires,
        name=project_table.get("name") or poetry_table.get("name"),
        version=None
        if "version" in dynamic
        else (project_table.get("version") or poetry_table.get("version")),
        dependencies=tuple(project_table.get("dependencies", [])),
        optional_dependencies={
            k: tuple(v) for k, v in project_table.get("optional-dependencies", {}).items()
        },
        pyproject=pyproject,
        files=tuple(source_files),
        build_files=tuple(list_build_files(root, git_root, source_files)),
        git_root=git_root,
        has_setup_py=has_setup_py,
        outside_paths=outside,
        reads_parent=reads_parent,
    )


def _parent_references(root: Path, git_root: Path | None) -> tuple[bool, tuple[str, ...]]:
    """Whether the build files refer to the parent directory, and the existing paths above ``root``
    (inside ``git_root``) that they name."""
    if git_root is None or git_root == root:
        return False, ()
    mentioned = False
    found: set[str] = set()
    for name in BUILD_FILES:
        path = root / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            continue
        mentioned = mentioned or _PARENT_MENTION.search(text) is not None
        for match in _PARENT_PATH.finditer(text):
            target = (root / match.group(0)).resolve()
            if (
                target.exists()
                and git_root in target.parents
                and root not in (target, *target.parents)
            ):
                found.add(
                    target.relative_to(git_root).as_posix() + ("/" if target.is_dir() else "")
                )
    return mentioned, tuple(sorted(found))


# The parts of pyproject.toml that mcheck reads, parents before children, with the type each must have:
# a wrong type is bad input (exit 2) rather than a crash deep inside a check.
_PYPROJECT_SHAPE: dict[tuple[str, ...], type | str] = {
    ("build-system",): dict,
    ("build-system", "requires"): "strings",
    ("build-system", "build-backend"): str,
    ("project",): dict,
    ("project", "name"): str,
    ("project", "version"): str,
    ("project", "dynamic"): "strings",
    ("project", "dependencies"): "strings",
    ("project", "optional-dependencies"): dict,
    ("tool",): dict,
    ("tool", "setuptools"): dict,
    ("tool", "poetry"): dict,
    ("tool", "mcheck"): dict,
    ("tool", "pytest"): dict,
}
_TOML_TYPES = {dict: "a table", str: "a string", "strings": "an array of strings"}


def check_pyproject_shape(data: dict[str, Any], path: Path) -> None:
    """Raise :class:`UsageError` naming the first key whose value has the wrong TOML type."""
    for keys, expected in _PYPROJECT_SHAPE.items():
        parent = data
        for key in keys[:-1]:
            parent = parent.get(key, {})
        value = parent.get(keys[-1])
        if value is None:
            continue
        ok = (
            (isinstance(value, list) and all(isinstance(v, str) for v in value))
            if expected == "strings"
            else isinstance(value, expected)
        )  # type: ignore[arg-type]
        if not ok:
            raise UsageError(
                f"{path}: malformed pyproject.toml: {'.'.join(keys)} must be {_TOML_TYPES[expected]}"
            )


@dataclass(frozen=True)
class RepositoryRoot:
    """The repository a target belongs to, and how mcheck found it (the report says so)."""

    path: Path
    found_by: (
        str  # "--repo-root", "git top level", "render.yaml", "uv workspace", "current directory"
    )


def find_repository_root(start: Path, cwd: Path | None = None) -> RepositoryRoot:
    """The git top level of ``start``; else the nearest directory at or above it holding a uv
    workspace root or a repository-wide deploy file (``render.yaml``, a compose file); else ``cwd``
    when ``start`` is inside it; else ``start`` itself."""
    start = start.resolve()
    git = find_git_root(start)
    if git is not None:
        return RepositoryRoot(git, "git top level")
    for directory in (start, *start.parents):
        marker = next((n for n in REPOSITORY_ROOT_FILES if (directory / n).is_file()), None)
        if marker is not None:
            return RepositoryRoot(directory, marker)
        if _is_uv_workspace_root(directory):
            return RepositoryRoot(directory, "uv workspace")
    if cwd is not None and (cwd.resolve() == start or cwd.resolve() in start.parents):
        return RepositoryRoot(cwd.resolve(), "current directory")
    return RepositoryRoot(start, "the target itself")


def _virtual_workspace_root(pyproject: dict[str, Any], has_setup_py: bool) -> bool:
    tool = pyproject.get("tool", {})
    workspace = isinstance(tool.get("uv"), dict) and "workspace" in tool["uv"]
    return (
        workspace
        and not has_setup_py
        and not any(key in pyproject for key in ("project", "build-system"))
    )


def workspace_targets(target: Path) -> list[Path]:
    """``target``, or for a uv workspace root its members (the root too when it is a project)."""
    if target.suffix == ".whl" or not _is_uv_workspace_root(target):
        return [target]
    from mcheck.wheel.local_deps import workspace_members

    return [target / m.relative_to(target.resolve()) for m in workspace_members(target.resolve())]


def _is_uv_workspace_root(directory: Path) -> bool:
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        tool = read_pyproject(pyproject).get("tool", {})
    except UsageError:  # a broken pyproject.toml above the target is not this run's business
        return False
    return isinstance(tool, dict) and isinstance(tool.get("uv"), dict) and "workspace" in tool["uv"]


def find_git_root(root: Path) -> Path | None:
    try:
        top = Path(git_text(["rev-parse", "--show-toplevel"], repo=root, timeout=30))
    except (OSError, subprocess.SubprocessError):
        return None
    return top.resolve() if top.is_dir() else None


def _tracking_git_root(root: Path) -> Path | None:
    """The work tree that tracks ``root``; None when ``root`` merely sits inside one that ignores it (an
    sdist unpacked under a repository's ignored ``.nox/`` or ``build/``): git would list none of its files."""
    git_root = find_git_root(root)
    if git_root is None:
        return None
    try:
        ignored = (
            run_git(["check-ignore", "-q", "."], repo=root, check=False, timeout=30).returncode == 0
        )
    except (OSError, subprocess.SubprocessError):
        return git_root
    return None if ignored else git_root


def list_source_files(root: Path, git_root: Path | None) -> list[str]:
    """The project's source tree: git-tracked plus untracked-but-not-ignored files when in git (what a
    clean clone plus your uncommitted edits contain), else a walk that honours ``.gitignore`` files."""
    files = _git_files(root) if git_root is not None else None
    if files is None:
        files = _walk_files(root)
    return sorted(f for f in files if not _is_build_leftover(f) and (root / f).is_file())


def list_build_files(root: Path, git_root: Path | None, source_files: list[str]) -> list[str]:
    """What a real build of ``root`` is given. In git: the source tree (a clean clone plus your edits).
    Outside git (an unpacked sdist, a tarball), pip and uv build the directory as it is: ``.gitignore``
    files decide nothing there (a vendored library's own ``.gitignore`` that ignores ``build/`` must not
    hide its shipped ``build/llhttp.h``), so every file but VCS and tool caches is given."""
    if git_root is not None:
        return source_files
    return sorted(
        f
        for f in _walk_files(root, honour_gitignore=False)
        if not _is_build_leftover(f) and (root / f).is_file()
    )


def _git_files(root: Path) -> list[str] | None:
    try:
        out = run_git(
            ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], repo=root
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _walk_files(root: Path, *, honour_gitignore: bool = True) -> list[str]:
    """Walk ``root`` honouring every ``.gitignore`` on the way down with git's rules: patterns relative
    to their directory, the last matching pattern wins (a deeper file's ``!keep`` re-includes)."""
    found: list[str] = []
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        gitignore = Path(dirpath) / ".gitignore"
        if honour_gitignore and gitignore.is_file():
            specs.append((rel_dir, _gitignore_spec(gitignore)))
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in ALWAYS_SKIPPED_DIRS
            and not _ignored(f"{rel_dir}/{d}".lstrip("/") + "/", specs)
        )
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}".lstrip("/")
            if not _ignored(rel, specs):
                found.append(rel)
    return found


def _gitignore_spec(path: Path) -> pathspec.GitIgnoreSpec:
    """The patterns of one ``.gitignore``; a line git would not accept either (a lone ``!``) is skipped,
    as git skips it, instead of failing the run (black's sdist has one)."""
    valid = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError:  # GitIgnorePatternError
            continue
        valid.append(line)
    return pathspec.GitIgnoreSpec.from_lines(valid)


def _ignored(rel: str, specs: list[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
    ignored = False
    for base, spec in specs:  # shallow to deep: a deeper file's verdict overrides
        if base and not rel.startswith(base + "/"):
            continue
        verdict = spec.check_file(rel[len(base) + 1 :] if base else rel).include
        if verdict is not None:
            ignored = verdict
    return ignored


def _is_build_leftover(rel: str) -> bool:
    first = rel.split("/", 1)[0]
    return (
        first in BUILD_LEFTOVERS
        or first.endswith(".egg-info")
        or (
            first in ("src", "lib")
            and rel.count("/") >= 1
            and rel.split("/")[1].endswith(".egg-info")
        )
    )
