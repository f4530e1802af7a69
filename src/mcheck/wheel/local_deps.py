"""Stage 2b, local dependencies: the projects of this repository a project depends on by path.

A workspace member that depends on a sibling (``[tool.uv.sources] acme-core = { workspace = true }``)
is installed by its users together with that sibling, built from the same repository; never with
whatever an index holds under the same name. This module finds those siblings in every form users
write them, so the pipeline can build them with the same build stage and install them next to the
wheel:

- ``[tool.uv.sources] NAME = { workspace = true }`` (the member of the enclosing uv workspace,
  ``[tool.uv.workspace] members``/``exclude``, virtual roots included) and ``NAME = { path = "..." }``;
- poetry's ``NAME = { path = "..." }`` in ``[tool.poetry.dependencies]``;
- PEP 508 direct references to a local directory: ``NAME @ file:///abs/path``, pdm's
  ``file:///${PROJECT_ROOT}/../core`` and hatch's ``{root:uri}/../core``.

Only runtime dependencies count (``[project] dependencies`` and poetry's main group), followed
transitively. Nothing here builds or runs anything.
"""

from __future__ import annotations

import fnmatch
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mcheck.tomlfile import read_toml


@dataclass(frozen=True)
class LocalDependency:
    """A project of this repository that a project depends on by path."""

    name: str  # canonical distribution name, as the dependent declares it
    root: Path  # the dependency's project directory
    declared_by: Path  # the project directory that declares it
    how: str  # "[tool.uv.sources] workspace", "[tool.uv.sources] path", "poetry path", "direct reference"


def local_dependencies(root: Path, pyproject: dict[str, Any]) -> list[LocalDependency]:
    """Every local dependency of the project at ``root``, transitively, nearest first."""
    found: dict[str, LocalDependency] = {}
    pending = [(root.resolve(), pyproject)]
    seen = {root.resolve()}
    while pending:
        directory, data = pending.pop(0)
        for dependency in _declared(directory, data):
            if dependency.name in found or dependency.root.resolve() == root.resolve():
                continue
            found[dependency.name] = dependency
            target = dependency.root.resolve()
            if target not in seen and (target / "pyproject.toml").is_file():
                seen.add(target)
                pending.append((target, read_toml(target / "pyproject.toml")))
    return list(found.values())


def _declared(directory: Path, data: dict[str, Any]) -> Iterator[LocalDependency]:
    runtime = _runtime_requirements(data)
    declared = _table(_table(data, "tool"), "uv").get("sources", {})
    sources = (
        {canonicalize_name(k): v for k, v in declared.items()} if isinstance(declared, dict) else {}
    )
    for name, requirement in runtime.items():
        source = sources.get(name)
        if isinstance(source, dict) and source.get("workspace") is True:
            member = _workspace_member(directory, name)
            if member is not None:
                yield LocalDependency(name, member, directory, "[tool.uv.sources] workspace")
        elif isinstance(source, dict) and isinstance(source.get("path"), str):
            path = directory / source["path"]
            if _is_project(path):  # an sdist keeps the setting but not the sibling: not ours then
                yield LocalDependency(name, path, directory, "[tool.uv.sources] path")
        elif requirement.url is not None:
            path = _local_url(requirement.url, directory)
            if path is not None and _is_project(path):
                yield LocalDependency(name, path, directory, "direct reference")
    yield from _poetry_paths(directory, data)


def _runtime_requirements(data: dict[str, Any]) -> dict[str, Requirement]:
    """``[project] dependencies`` by canonical name (unparsable entries are the build's business)."""
    found: dict[str, Requirement] = {}
    for raw in _table(data, "project").get("dependencies", []) or []:
        try:
            requirement = Requirement(str(raw))
        except InvalidRequirement:
            continue
        found[canonicalize_name(requirement.name)] = requirement
    return found


def _poetry_paths(directory: Path, data: dict[str, Any]) -> Iterator[LocalDependency]:
    dependencies = _table(_table(_table(data, "tool"), "poetry"), "dependencies")
    for name, spec in dependencies.items():
        if isinstance(spec, dict) and isinstance(spec.get("path"), str):
            path = directory / spec["path"]
            if _is_project(path):
                yield LocalDependency(canonicalize_name(name), path, directory, "poetry path")


def _is_project(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() or (path / "setup.py").is_file()


def _local_url(url: str, directory: Path) -> Path | None:
    """The directory a ``file:`` direct reference names, with pdm's and hatch's root placeholders."""
    url = url.replace("${PROJECT_ROOT}", directory.as_posix()).replace(
        "{root:uri}", directory.as_uri()
    )
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "file":
        return None
    path = Path(urllib.request.url2pathname(parsed.path))
    return path if path.is_absolute() else directory / path


# --- uv workspaces ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceMember:
    """Another member of the project's uv workspace, and the top-level names its source tree holds."""

    name: str  # canonical distribution name
    root: Path
    import_names: tuple[str, ...]


def workspace_siblings(project_root: Path) -> dict[str, WorkspaceMember]:
    """Import name -> the other member of the enclosing uv workspace that provides it (the source
    layout says: ``src/<name>/__init__.py``, ``<name>/__init__.py``, ``src/<name>.py``)."""
    root = workspace_root(project_root)
    if root is None:
        return {}
    found: dict[str, WorkspaceMember] = {}
    for member in workspace_members(root):
        if member.resolve() == project_root.resolve():
            continue
        name = str(_table(read_toml(member / "pyproject.toml"), "project").get("name", ""))
        if not name:
            continue
        sibling = WorkspaceMember(canonicalize_name(name), member, source_top_level_names(member))
        for import_name in sibling.import_names:
            found.setdefault(import_name, sibling)
    return found


def source_top_level_names(member: Path) -> tuple[str, ...]:
    """The top-level import names the source tree of the project at ``member`` holds."""
    files = [
        path.relative_to(member).as_posix()
        for base in (member / "src", member)
        if base.is_dir()
        for entry in base.iterdir()
        for path in ([entry / "__init__.py"] if entry.is_dir() else [entry])
        if path.is_file()
    ]
    return top_level_names_of(files)


def top_level_names_of(files: list[str]) -> tuple[str, ...]:
    """The top-level import names a project with these (project-relative) files holds: its packages
    and modules, under ``src/`` first, then directly."""
    names: list[str] = []
    for base in ("src/", ""):
        for path in sorted(f[len(base) :] for f in files if f.startswith(base)):
            parts = path.split("/")
            if len(parts) == 2 and parts[1] == "__init__.py" and parts[0].isidentifier():
                names.append(parts[0])
            elif len(parts) == 1 and parts[0].endswith(".py"):
                stem = parts[0][:-3]
                if stem.isidentifier() and stem not in _NOT_MODULES:
                    names.append(stem)
    return tuple(dict.fromkeys(names))


_NOT_MODULES = frozenset({"setup", "conftest", "noxfile", "tasks", "manage"})


def workspace_root(directory: Path) -> Path | None:
    """The nearest directory at or above ``directory`` whose pyproject.toml has ``[tool.uv.workspace]``."""
    for candidate in (directory.resolve(), *directory.resolve().parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "workspace" in _table(
            _table(read_toml(pyproject), "tool"), "uv"
        ):
            return candidate
    return None


def workspace_members(root: Path) -> list[Path]:
    """The member directories of the uv workspace at ``root`` (``members`` globs minus ``exclude``),
    the root itself first when it is a project (a virtual root has no ``[project]``)."""
    data = read_toml(root / "pyproject.toml")
    workspace = _table(_table(data, "tool"), "uv").get("workspace", {})
    members = [root] if "project" in data else []
    excluded = (
        [str(p) for p in workspace.get("exclude", []) or []] if isinstance(workspace, dict) else []
    )
    patterns = workspace.get("members", []) if isinstance(workspace, dict) else []
    for pattern in patterns or []:
        for path in sorted(root.glob(str(pattern))):
            relative = path.relative_to(root).as_posix()
            if (path / "pyproject.toml").is_file() and not any(
                fnmatch.fnmatchcase(relative, ex) for ex in excluded
            ):
                members.append(path)
    return list(dict.fromkeys(members))


def _workspace_member(directory: Path, name: str) -> Path | None:
    root = workspace_root(directory)
    if root is None:
        return None
    for member in workspace_members(root):
        project = _table(read_toml(member / "pyproject.toml"), "project")
        if canonicalize_name(str(project.get("name", ""))) == name:
            return member
    return None


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    return value if isinstance(value, dict) else {}
