"""Stage ``tests`` (``--tests``), part one: the project's own pytest suite, ready to run anywhere.

:func:`find_suite` decides which tests run (the paths given to pytest, ``tests-path``, pytest's
``testpaths``, else a conventional directory), which pytest configuration applies and what the tests
need installed (:func:`suite_requirements`), and says where each answer came from. :func:`copy_suite`
copies the tests to a directory outside the checkout with the project's pytest settings minus those
that point at the checkout, so that what they import there can only come from the installed wheel.
Running them is :mod:`mcheck.probes.suite`; judging the outcomes is :mod:`mcheck.checks.suite`.
"""

from __future__ import annotations

import configparser
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.dependency_groups import resolve_dependency_groups
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mcheck.errors import UsageError
from mcheck.knowledge.conventions import (
    PYTEST_CHECKOUT_SETTINGS,
    PYTEST_CONFIG_FILES,
    PYTEST_PYPROJECT_TABLES,
    TEST_DEPENDENCY_NAMES,
    TEST_DIRECTORIES,
    TEST_REQUIREMENTS_FILES,
)
from mcheck.smallfiles import SOURCE_FILE_LIMIT, read_small_text
from mcheck.tomlfile import read_toml
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.discover import Project
from mcheck.wheel.layout import map_packages

COPY_FILE_LIMIT = 20_000_000  # bytes: larger files of the checkout are not copied for the tests
COPY_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


@dataclass(frozen=True)
class PytestConfig:
    """The project's pytest settings as pytest reads them: ini-style strings, from one file."""

    path: Path
    options: Mapping[str, str]

    def for_copy(self) -> dict[str, str]:
        return {k: v for k, v in self.options.items() if k not in PYTEST_CHECKOUT_SETTINGS}


@dataclass(frozen=True)
class SuiteRequirements:
    """What the tests need next to the wheel, and where mcheck found it."""

    requirements: tuple[str, ...]
    source: str  # "dependency group `test` (pyproject.toml)", "pytest alone (...)"
    extras: tuple[str, ...] = ()  # extras of the project itself the group asks for (`pkg[cli]`)


@dataclass(frozen=True)
class Suite:
    """Which tests run, under which configuration, with what installed."""

    project_root: Path
    base: Path  # pytest's rootdir: the configuration file's directory, else the project root
    paths: tuple[str, ...]  # project-relative files or directories to copy and run
    chosen_by: str  # "pytest's testpaths (pyproject.toml)", "the tests/ directory", ...
    config: PytestConfig | None
    requirements: SuiteRequirements
    pytest_args: tuple[str, ...] = ()  # the user's (after `--`)
    user_paths: bool = False  # the user's pytest arguments name the paths: pass none of ours
    files: tuple[str, ...] = ()  # the project's source tree (project-relative), for the copy

    @property
    def position(self) -> str:
        """The project root relative to the rootdir ("" when they are the same directory)."""
        relative = Path(os.path.relpath(self.project_root, self.base)).as_posix()
        return "" if relative == "." else relative

    def arguments(self) -> list[str]:
        """The paths and selections pytest gets, the same on both sides (cwd: the project root)."""
        return [*self.pytest_args, *([] if self.user_paths else self.paths)]


def find_suite(
    project: Project, tests_path: Sequence[str] = (), pytest_args: Sequence[str] = ()
) -> Suite | None:
    """The project's suite, or None when it has no tests mcheck can find."""
    root = project.root
    config = find_pytest_config(root, project.git_root or root)
    base = config.path.parent if config is not None else root
    user = tuple(a for a in pytest_args if not a.startswith("-") and _exists(root, a))
    if user:
        paths, chosen_by = tuple(_path_part(a) for a in user), "the paths given to pytest"
    elif tests_path:
        missing = [p for p in tests_path if not (root / p).exists()]
        if missing:
            raise UsageError(
                f"tests-path: {', '.join(missing)}: no such file or directory in {root}"
            )
        paths, chosen_by = tuple(tests_path), "tests-path"
    else:
        found = _default_paths(project, config, base)
        if found is None:
            return None
        paths, chosen_by = found
    return Suite(
        project_root=root,
        base=base,
        paths=paths,
        chosen_by=chosen_by,
        config=config,
        requirements=suite_requirements(project),
        pytest_args=tuple(pytest_args),
        user_paths=bool(user),
        files=project.files,
    )


def _exists(root: Path, argument: str) -> bool:
    return (root / _path_part(argument)).exists()


def _path_part(argument: str) -> str:
    """``tests/test_a.py::test_b[x]`` -> ``tests/test_a.py``."""
    return argument.split("::", 1)[0].rstrip("/") or "."


def _default_paths(
    project: Project, config: PytestConfig | None, base: Path
) -> tuple[tuple[str, ...], str] | None:
    root = project.root
    testpaths = (config.options.get("testpaths", "") if config else "").split()
    inside = [
        os.path.relpath(base / p, root)
        for p in testpaths
        if (base / p).exists() and (base / p).resolve().is_relative_to(root.resolve())
    ]
    if inside and config is not None:
        return tuple(Path(p).as_posix() for p in inside), f"pytest's testpaths ({config.path.name})"
    for directory in TEST_DIRECTORIES:
        if (root / directory).is_dir():
            return (directory,), f"the {directory}/ directory"
    files = sorted(
        f
        for f in project.files
        if "/" not in f and f.endswith(".py") and (f.startswith("test_") or f.endswith("_test.py"))
    )
    if files:
        return tuple(files), "the test files at the project root"
    return None


# --- the pytest configuration ---------------------------------------------------------------------


def find_pytest_config(start: Path, stop: Path) -> PytestConfig | None:
    """The file pytest takes its settings from, looking up from ``start`` to ``stop`` as pytest does
    (the first directory with one wins; inside it, pytest's own order of file names)."""
    directory = start.resolve()
    stop = stop.resolve()
    while True:
        for name, section in PYTEST_CONFIG_FILES:
            options = _read_config(directory / name, section)
            if options is not None:
                return PytestConfig(directory / name, options)
        if directory == stop or directory.parent == directory or not directory.is_relative_to(stop):
            return None
        directory = directory.parent


def _read_config(path: Path, section: str) -> dict[str, str] | None:
    if not path.is_file():
        return None
    if path.name == "pyproject.toml":
        return _pyproject_options(read_toml(path))
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(read_small_text(path, limit=SOURCE_FILE_LIMIT), source=str(path))
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the pytest configuration: {exc}") from None
    if not parser.has_section(section):
        # pytest.ini is pytest's even without a [pytest] section; the shared files are not.
        return {} if path.name in ("pytest.ini", ".pytest.ini") else None
    return {key: value.strip() for key, value in parser.items(section)}


def _pyproject_options(data: Mapping[str, Any]) -> dict[str, str] | None:
    for keys in PYTEST_PYPROJECT_TABLES:
        table: Any = data
        for key in keys:
            table = table.get(key) if isinstance(table, Mapping) else None
        if isinstance(table, Mapping):
            return {k: _ini_value(v) for k, v in table.items() if not isinstance(v, Mapping)}
    return None


def _ini_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(map(str, value))
    return str(value)


def write_ini(options: Mapping[str, str], path: Path) -> None:
    """``options`` as a ``pytest.ini``; a value of several lines continues indented, as ini files do."""
    lines = ["[pytest]"]
    for key, value in options.items():
        first, *rest = value.split("\n") or [""]
        lines.append(f"{key} = {first}")
        lines.extend(f"    {line}" for line in rest)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the copy ---------------------------------------------------------------------------------------


def copy_suite(suite: Suite, destination: Path, code: CodePaths) -> Path:
    """Copy the checkout without its code below ``destination``, where it sits below the rootdir:
    every file of the source tree except what the wheel's packages and modules are built from
    (``code``), the tests themselves (also those inside a package), every ``conftest.py`` from the
    rootdir down to the project root, and the configuration as a ``pytest.ini``. Tests read the
    checkout's other files (click's suite globs ``docs/**/conf.py``), so a copy of the tests alone
    would fail where the checkout passes; the code stays behind, so what the tests import of the
    project can only come from the wheel. Returns the copy of the project root (pytest's cwd)."""
    project_copy = destination / suite.position if suite.position else destination
    project_copy.mkdir(parents=True, exist_ok=True)
    for name in suite.files:
        source = suite.project_root / name
        if not code.holds(name) and _copyable(source):
            (project_copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, project_copy / name)
    for path in suite.paths:
        source, target = suite.project_root / path, project_copy / path
        if source.is_dir():
            shutil.copytree(source, target, ignore=COPY_IGNORED, dirs_exist_ok=True)
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    for directory in _dirs_between(suite.base, suite.project_root):
        conftest = directory / "conftest.py"
        if conftest.is_file():
            shutil.copyfile(conftest, destination / conftest.relative_to(suite.base))
    write_ini(suite.config.for_copy() if suite.config else {}, destination / "pytest.ini")
    return project_copy


@dataclass(frozen=True)
class CodePaths:
    """What the wheel's code is built from in the source tree: package directories (``src/pkg``)
    and top-level module files (``six.py``), project-relative; plus build metadata (egg-info)."""

    directories: tuple[str, ...]
    modules: frozenset[str]

    def holds(self, name: str) -> bool:
        parts = PurePosixPath(name).parts
        if any(p.endswith((".egg-info", ".dist-info")) for p in parts[:-1]):
            return True
        return name in self.modules or any(name.startswith(f"{d}/") for d in self.directories)


def shipped_code(project: Project, wheel: WheelContents) -> CodePaths:
    packages = map_packages(wheel, project.file_set())
    roots = {"", "src", *(str(PurePosixPath(p.source_dir).parent) for p in packages)}
    modules = {
        name
        for name in wheel.installed_files
        if "/" not in name and name.endswith((".py", ".pyi", ".so", ".pyd"))
    }
    files = {
        f
        for f in project.files
        if PurePosixPath(f).name in modules and str(PurePosixPath(f).parent) in roots | {"."}
    }
    return CodePaths(tuple(p.source_dir for p in packages), frozenset(files))


def _copyable(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and path.stat().st_size <= COPY_FILE_LIMIT
    except OSError:
        return False


def _dirs_between(top: Path, bottom: Path) -> list[Path]:
    """``top``, then each directory down to ``bottom`` (both included)."""
    relative = bottom.relative_to(top).parts if bottom != top else ()
    return [top.joinpath(*relative[:depth]) for depth in range(len(relative) + 1)]


def checkout_sys_path(project: Project, wheel: WheelContents) -> list[Path]:
    """What a developer's run has on sys.path: the directory holding each package of the wheel in
    the source tree (``src/``), then the project root (``python -m pytest`` adds the cwd)."""
    roots = [
        project.root / PurePosixPath(package.source_dir).parent
        for package in map_packages(wheel, project.file_set())
    ]
    unique: list[Path] = []
    for directory in [*roots, project.root]:
        if directory.resolve() not in [u.resolve() for u in unique]:
            unique.append(directory)
    return unique


# --- what the tests need ------------------------------------------------------------------------------


def suite_requirements(project: Project) -> SuiteRequirements:
    """PEP 735 dependency groups, else extras, else poetry groups, else requirements files, of the
    names in :data:`TEST_DEPENDENCY_NAMES`; pytest is added when the choice lacks it."""
    data = project.pyproject
    found = (
        _from_dependency_groups(data)
        or _from_extras(data)
        or _from_poetry(data)
        or _from_requirements_files(project.root)
    )
    if found is None:
        return SuiteRequirements(("pytest",), "pytest alone (no test dependencies declared)")
    own = canonicalize_name(project.name) if project.name else None
    requirements, extras = _without_self(found.requirements, own)
    source = found.source
    if not any(_name(r) == "pytest" for r in requirements):
        requirements, source = (*requirements, "pytest"), f"{source}, and pytest"
    return SuiteRequirements(requirements, source, (*found.extras, *extras))


def _from_dependency_groups(data: Mapping[str, Any]) -> SuiteRequirements | None:
    groups = data.get("dependency-groups")
    if not isinstance(groups, Mapping):
        return None
    for name in TEST_DEPENDENCY_NAMES:
        if name in groups:
            try:
                resolved = resolve_dependency_groups(groups, name)
            except (ValueError, TypeError, LookupError) as exc:
                raise UsageError(f"pyproject.toml: [dependency-groups] {name}: {exc}") from None
            return SuiteRequirements(tuple(resolved), f"dependency group `{name}` (pyproject.toml)")
    return None


def _from_extras(data: Mapping[str, Any]) -> SuiteRequirements | None:
    extras = (data.get("project") or {}).get("optional-dependencies") or {}
    for name in TEST_DEPENDENCY_NAMES:
        if name in extras:
            # Installed as the wheel's extra; listed too, so that pytest is seen when it is one.
            listed = tuple(map(str, extras[name]))
            return SuiteRequirements(listed, f"the extra `{name}` (pyproject.toml)", (name,))
    return None


def _from_poetry(data: Mapping[str, Any]) -> SuiteRequirements | None:
    poetry = (data.get("tool") or {}).get("poetry") or {}
    groups = poetry.get("group") or {}
    for name in TEST_DEPENDENCY_NAMES:
        table = (groups.get(name) or {}).get("dependencies")
        if isinstance(table, Mapping):
            return _poetry_names(table, f"poetry group `{name}`")
    legacy = poetry.get("dev-dependencies")
    return _poetry_names(legacy, "poetry dev-dependencies") if isinstance(legacy, Mapping) else None


def _poetry_names(table: Mapping[str, Any], label: str) -> SuiteRequirements:
    """Poetry's version syntax is its own: the names only, versions as the resolver picks them."""
    names = tuple(name for name in table if canonicalize_name(name) != "python")
    return SuiteRequirements(names, f"{label} (pyproject.toml; names only, versions unpinned)")


def _from_requirements_files(root: Path) -> SuiteRequirements | None:
    for name in TEST_REQUIREMENTS_FILES:
        if (root / name).is_file():
            return SuiteRequirements(tuple(requirement_lines(root / name)), name)
    return None


def requirement_lines(path: Path, seen: frozenset[Path] = frozenset()) -> list[str]:
    """The requirements of a requirements file, ``-r`` includes inlined. Editable installs and local
    paths (``-e .``) are dropped: they would install the checkout, which is what must not be tested;
    other options (indexes, hashes) too: mcheck's installs name their index explicitly."""
    if path.resolve() in seen:
        return []
    lines: list[str] = []
    for raw in read_small_text(path, limit=SOURCE_FILE_LIMIT).splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")):
            include = path.parent / line.split(None, 1)[1].strip()
            if include.is_file():
                lines += requirement_lines(include, seen | {path.resolve()})
        elif line and not line.startswith(("#", "-", ".", "/", "file:")):
            try:
                Requirement(line)
            except InvalidRequirement:
                continue
            lines.append(line)
    return lines


def _without_self(
    requirements: Iterable[str], own: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The project's own name in its test dependencies (``pkg[cli]``) means the wheel: its extras."""
    kept, extras = [], []
    for requirement in requirements:
        if own is not None and _name(requirement) == own:
            extras += sorted(Requirement(requirement).extras)
        else:
            kept.append(requirement)
    return tuple(kept), tuple(extras)


def _name(requirement: str) -> str | None:
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return None
