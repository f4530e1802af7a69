"""Builds that install a project's dependencies from its project file, not a requirements file.

``poetry install`` (``virtualenvs.create false`` in an image), ``pipenv install --system``,
``uv sync``, ``pdm install``, and the requirements files ``poetry export``/``uv export``/``pdm export``/
``pipenv requirements`` write (``> requirements.txt``, ``-o requirements.txt``) that a later
``pip install -r`` reads. mcheck installs the project file's main dependencies into the service venv
instead: pinned as the lock file pins them when the build has it (``Pipfile.lock``'s default section,
``poetry.lock``'s versions of the declared names), else by name for poetry (its ``^1.2`` constraints
are not PEP 508) and as written for ``[project]`` and Pipfile (``"*"`` is any version). Development
groups are left out, as ``--only main``, ``--no-dev`` and a deploy's ``--system`` install leave them.
"""

from __future__ import annotations

import json
import posixpath
import tomllib
from collections.abc import Callable
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


@dataclass(frozen=True)
class ProjectInstall:
    """A command that installs from a project file: the tool, and where an export writes to."""

    tool: str  # "poetry", "pipenv", "uv", "pdm"
    cwd: str  # relative to where the command starts
    output: str | None = None  # an export's requirements file, as written; None: installs


_INSTALLS = {
    ("poetry", "install"): "poetry",
    ("poetry", "sync"): "poetry",
    ("pipenv", "install"): "pipenv",
    ("pipenv", "sync"): "pipenv",
    ("uv", "sync"): "uv",
    ("pdm", "install"): "pdm",
    ("pdm", "sync"): "pdm",
}
_EXPORTS = {
    ("poetry", "export"): "poetry",
    ("uv", "export"): "uv",
    ("pdm", "export"): "pdm",
    ("pipenv", "requirements"): "pipenv",
}


def project_installs(commands: list[list[str]]) -> list[ProjectInstall]:
    """The project-file installs and exports among a build line's simple commands (``cd`` moves)."""
    found: list[ProjectInstall] = []
    cwd = "."
    for argv in commands:
        if argv[0] == "cd" and len(argv) >= 2:
            cwd = posixpath.normpath(posixpath.join(cwd, argv[1]))
            continue
        head = (posixpath.basename(argv[0]), argv[1] if len(argv) > 1 else "")
        if head in _EXPORTS:
            output = _output(argv[2:])
            if output is not None:
                found.append(ProjectInstall(_EXPORTS[head], cwd, output))
        elif head in _INSTALLS and not _names_packages(head[0], argv[2:]):
            found.append(ProjectInstall(_INSTALLS[head], cwd))
    return found


def _output(args: list[str]) -> str | None:
    for i, arg in enumerate(args[:-1]):
        if arg in (">", "-o", "--output", "--output-file"):
            return args[i + 1]
    for arg in args:
        if arg.startswith(("--output=", "--output-file=")):
            return arg.split("=", 1)[1]
    return None


def _names_packages(tool: str, args: list[str]) -> bool:
    """``pipenv install requests`` adds a package; only a bare install reads the Pipfile."""
    return tool == "pipenv" and any(not a.startswith("-") for a in args)


def lock_pins(
    tool: str, directory: str, files: dict[str, str], read: Callable[[str], str | None]
) -> list[str]:
    """``name==version`` of every package poetry.lock pins (constraints: what the service's
    dependencies resolve to, transitive ones included, as ``poetry install`` would install them)."""
    if tool != "poetry":
        return []
    lock_file = files.get(posixpath.join(directory, "poetry.lock"))
    lock = read(lock_file) if lock_file is not None else None
    pins = _poetry_lock_versions(lock) if lock is not None else {}
    return _valid([f"{name}=={version}" for name, version in sorted(pins.items())])


def project_requirements(
    tool: str, directory: str, files: dict[str, str], read: Callable[[str], str | None]
) -> list[str] | None:
    """The main dependencies the project file in container ``directory`` declares, as requirement
    strings; None when the build has no such file there."""
    name = "Pipfile" if tool == "pipenv" else "pyproject.toml"
    repo_file = files.get(posixpath.join(directory, name))
    text = read(repo_file) if repo_file is not None else None
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    lock_file = files.get(posixpath.join(directory, _LOCK_FILES.get(tool, "")))
    lock = read(lock_file) if lock_file is not None else None
    if tool == "pipenv":
        locked = _pipfile_lock_requirements(lock) if lock is not None else None
        return locked if locked is not None else _pipfile_requirements(data.get("packages", {}))
    declared = [d for d in data.get("project", {}).get("dependencies", []) if isinstance(d, str)]
    if tool == "poetry":
        poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
        pins = _poetry_lock_versions(lock) if lock is not None else {}
        declared += [
            f"{name}=={pins[canonicalize_name(name)]}" if canonicalize_name(name) in pins else name
            for name, spec in (poetry.items() if isinstance(poetry, dict) else [])
            if name.lower() != "python" and not _local_source(spec)
        ]
    return _valid(declared)


# What the tool installs when its lock file is there (pipenv: the whole default section).
_LOCK_FILES = {"pipenv": "Pipfile.lock", "poetry": "poetry.lock"}


def _pipfile_lock_requirements(text: str) -> list[str] | None:
    try:
        default = json.loads(text).get("default", {})
    except (ValueError, AttributeError):
        return None
    if not isinstance(default, dict):
        return None
    found = []
    for name, entry in default.items():
        if not isinstance(entry, dict) or _local_source(entry) or "version" not in entry:
            continue
        markers = entry.get("markers")
        found.append(f"{name}{entry['version']}" + (f"; {markers}" if markers else ""))
    return _valid(found)


def _poetry_lock_versions(text: str) -> dict[str, str]:
    try:
        packages = tomllib.loads(text).get("package", [])
    except tomllib.TOMLDecodeError:
        return {}
    return {
        canonicalize_name(p["name"]): str(p["version"])
        for p in packages
        if isinstance(p, dict) and isinstance(p.get("name"), str) and "version" in p
    }


def _pipfile_requirements(packages: object) -> list[str]:
    if not isinstance(packages, dict):
        return []
    found = []
    for name, spec in packages.items():
        version = spec if isinstance(spec, str) else (spec or {}).get("version", "*")
        if _local_source(spec):
            continue
        found.append(name if version in ("*", "", None) else f"{name}{version}")
    return _valid(found)


def _valid(requirements: list[str]) -> list[str]:
    valid = []
    for text in requirements:
        try:
            Requirement(text)
        except InvalidRequirement:
            continue
        valid.append(text)
    return valid


def _local_source(spec: object) -> bool:
    """A path, VCS or URL source (``{ path = "../core" }``): not a package of the index."""
    return isinstance(spec, dict) and any(k in spec for k in ("path", "git", "file", "url"))


_TABLES = {
    "poetry": "[tool.poetry.dependencies] of",
    "pipenv": "[packages] of",
    "uv": "[project] dependencies of",
    "pdm": "[project] dependencies of",
}


def declared_in(tool: str, directory: str, files: dict[str, str]) -> str:
    """Where the dependencies a project install reads are declared, for hints: the table and the
    repository file (``[tool.poetry.dependencies] of services/api/pyproject.toml``)."""
    name = "Pipfile" if tool == "pipenv" else "pyproject.toml"
    return f"{_TABLES[tool]} {files.get(posixpath.join(directory, name), name)}"
