"""The package selection: what each backend's configuration says the wheel holds, and why a package of
the source tree is not in it.

Read from the configuration only (``pyproject.toml``, ``setup.cfg``, a literal ``setup.py``); nothing is
built or run here. :func:`explain_unshipped` names the setting (file and line) that left a package
out, and the setting that ships it, in the backend's own words.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pathspec
from packaging.utils import canonicalize_name

from mcheck.wheel.discover import Project


@dataclass(frozen=True)
class SelectionCause:
    config_file: str  # project-relative: "pyproject.toml", "setup.cfg", "setup.py"
    line: int | None
    reason: str
    fix: str


def explain_unshipped(
    project: Project, name: str, directory: str, *, installed_as: str | None = None
) -> SelectionCause:
    """Why the top-level package ``name`` (at ``directory``) is not in the wheel, and the fix.
    ``installed_as`` is where the wheel put it instead (``src/ledger``), when it did."""
    cause = _EXPLAINERS.get(project.backend_family, _generic)(project, name, directory)
    if installed_as is None:
        return cause
    fix = _ROOTED_FIX.get(
        project.backend_family, "declare `src` as the package root, not as a package"
    )
    return SelectionCause(
        cause.config_file,
        cause.line,
        f"the wheel installs it as {installed_as}/, inside a top-level `src` package, so "
        f"`import {name}` fails: the package selection includes the directory without saying "
        "that src/ is the root the package lives in",
        fix.format(name=name),
    )


# How each backend says "the package ledger lives in src/".
_ROOTED_FIX = {
    "poetry-core": '[tool.poetry] packages = [{{ include = "{name}", from = "src" }}]',
    "hatchling": '[tool.hatch.build.targets.wheel] packages = ["src/{name}"] (hatchling ships it as {name})',
    "setuptools": '[tool.setuptools.packages.find] where = ["src"] (or package-dir = {{"" = "src"}})',
    "pdm-backend": '[tool.pdm.build] package-dir = "src"',
}


def setup_py_keyword(project: Project, keyword: str) -> list[str] | None:
    """A literal list given to ``setup(keyword=[...])`` in setup.py, if there is one."""
    setup_py = project.root / "setup.py"
    if not setup_py.is_file():
        return None
    try:
        tree = ast.parse(setup_py.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.keyword)
            and node.arg == keyword
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            values = [
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            return values if len(values) == len(node.value.elts) else None
    return None


def failure_anchor(project: Project, error: str) -> tuple[str | None, int | None]:
    """Where a build error points in the project: a file of the project it names (``README.md``, also a
    dangling symlink), else the ``pyproject.toml`` setting it is about (``readme``, ``license``)."""
    for token in re.findall(r"(?<![\w/])[\w.][\w./-]*\.[A-Za-z]\w*", error):  # relative paths only
        rel = token.removeprefix("./")
        candidate = project.root / rel
        if ".." not in Path(rel).parts and (candidate.exists() or candidate.is_symlink()):
            return rel, None
    lowered = error.lower()
    for key in ("readme", "license-files", "license", "version", "force-include"):
        if key in lowered and (project.root / "pyproject.toml").is_file():
            line = _key_line(project, "project", key) or _key_line(project, "tool.poetry", key)
            if line is not None:
                return "pyproject.toml", line
    return None, None


# --- per backend -------------------------------------------------------------------------------------


def _hatchling(project: Project, name: str, directory: str) -> SelectionCause:
    wheel = (
        project.pyproject.get("tool", {})
        .get("hatch", {})
        .get("build", {})
        .get("targets", {})
        .get("wheel", {})
    )
    table = "tool.hatch.build.targets.wheel"
    fix = f'[{table}] packages = ["{directory}"]'
    ignored = _hatch_vcs_ignore(project, directory)
    if ignored is not None:
        return ignored
    for key in ("packages", "only-include"):
        listed = wheel.get(key)
        if isinstance(listed, list) and listed:
            absent = [p for p in listed if isinstance(p, str) and not (project.root / p).exists()]
            problem = (
                f"names {absent[0]!r}, which is not a path in the project"
                if absent
                else f"does not include {directory}"
            )
            return SelectionCause(
                "pyproject.toml",
                _key_line(project, table, key),
                f"[{table}] {key} = {listed!r} {problem}",
                f"ship it: {fix}",
            )
    expected = _normalized(project)
    return SelectionCause(
        "pyproject.toml",
        _key_line(project, "project", "name"),
        f"hatchling's default selection looks for a package named after the project ({expected}/ or "
        f"src/{expected}/, from name = {project.name!r}) and there is none, so it ships only what is forced in",
        f"declare the package: {fix}",
    )


def _hatch_vcs_ignore(project: Project, directory: str) -> SelectionCause | None:
    """hatchling honours the first ``.gitignore`` in the project directory or above it, and matches its
    patterns relative to the *project* directory: a repository root's ``/core`` (a Go binary) then
    hides a monorepo package's ``core/`` (riskkernel, tests/realbugs)."""
    if project.pyproject.get("tool", {}).get("hatch", {}).get("build", {}).get("ignore-vcs"):
        return None
    for folder in (project.root, *project.root.parents):
        gitignore = folder / ".gitignore"
        if gitignore.is_file():
            break
        if project.git_root is None or folder == project.git_root:
            return None
    else:
        return None
    lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    for number in range(len(lines), 0, -1):  # the last matching pattern decides
        line = lines[number - 1]
        try:
            spec = pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError:
            continue
        verdict = spec.check_file(f"{directory}/__init__.py").include
        if verdict is None:
            continue
        if not verdict:
            return None
        where = _display(gitignore, project)
        return SelectionCause(
            where,
            number,
            f"{where}:{number} `{line.strip()}` matches {directory}/: hatchling "
            "applies this .gitignore relative to the project directory and leaves it out",
            "anchor the pattern to where it belongs, or set `ignore-vcs = true` under "
            "[tool.hatch.build] and select files explicitly",
        )
    return None


def _display(path: Path, project: Project) -> str:
    """``path`` relative to the project directory (``../../.gitignore`` for the repository's)."""
    return os.path.relpath(path, project.root).replace(os.sep, "/")


def _setuptools(project: Project, name: str, directory: str) -> SelectionCause:
    config = project.setuptools_config
    fix = f'[tool.setuptools] packages = ["{name}"] (or [tool.setuptools.packages.find])'
    for source, py_modules, packages, line_of in _setuptools_sources(project, config):
        if isinstance(py_modules, list) and name in py_modules:
            return SelectionCause(
                source,
                line_of("py-modules" if source == "pyproject.toml" else "py_modules"),
                f"py-modules = {py_modules!r} names `{name}`, which is a package directory "
                f"({directory}/__init__.py), not a module {name}.py: setuptools ships neither",
                f"list packages instead of modules: {fix}",
            )
        if isinstance(packages, list):
            return SelectionCause(
                source,
                line_of("packages"),
                f"packages = {packages!r} does not list `{name}`",
                f"add it: {fix}",
            )
    find = config.get("packages", {})
    find = find.get("find", {}) if isinstance(find, dict) else {}
    includes = find.get("include")
    if includes and not any(fnmatch.fnmatchcase(name, p) for p in includes):
        return SelectionCause(
            "pyproject.toml",
            _key_line(project, "tool.setuptools.packages.find", "include"),
            f"[tool.setuptools.packages.find] include = {includes!r} does not match `{name}`",
            f'include = ["{name}*"]',
        )
    return _generic(project, name, directory)


def _setuptools_sources(project: Project, config: dict):
    """(file, py-modules, packages, line finder) from pyproject.toml, setup.cfg and setup.py."""
    yield (
        "pyproject.toml",
        config.get("py-modules"),
        config.get("packages"),
        lambda key: _key_line(project, "tool.setuptools", key),
    )
    setup_cfg = project.root / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(setup_cfg, encoding="utf-8")
            options = parser["options"] if parser.has_section("options") else {}
        except (configparser.Error, UnicodeDecodeError):
            options = {}
        text = setup_cfg.read_text(encoding="utf-8", errors="replace")
        yield (
            "setup.cfg",
            _cfg_list(options.get("py_modules")),
            _cfg_list(options.get("packages")),
            lambda key: _ini_key_line(text, "options", key),
        )
    text = (project.root / "setup.py").read_text("utf-8", "replace") if project.has_setup_py else ""
    yield (
        "setup.py",
        setup_py_keyword(project, "py_modules"),
        setup_py_keyword(project, "packages"),
        lambda key: _line_matching(text, rf"\b{key}\s*="),
    )


def _poetry(project: Project, name: str, directory: str) -> SelectionCause:
    listed = project.pyproject.get("tool", {}).get("poetry", {}).get("packages")
    fix = f'[tool.poetry] packages = [{{ include = "{name}"{_from(directory)} }}]'
    if isinstance(listed, list) and listed:
        return SelectionCause(
            "pyproject.toml",
            _key_line(project, "tool.poetry", "packages"),
            f"[tool.poetry] packages = {listed!r} does not include {directory}",
            f"add it: {fix}",
        )
    return SelectionCause(
        "pyproject.toml",
        _key_line(project, "project", "name") or _key_line(project, "tool.poetry", "name"),
        f"poetry-core ships the package named after the project "
        f"({_normalized(project)}) by default, and there is none",
        f"declare it: {fix}",
    )


def _flit(project: Project, name: str, directory: str) -> SelectionCause:
    module = project.pyproject.get("tool", {}).get("flit", {}).get("module", {}).get(
        "name"
    ) or _normalized(project)
    return SelectionCause(
        "pyproject.toml",
        _key_line(project, "tool.flit.module", "name"),
        f"flit-core ships exactly one module or package, `{module}`; `{name}` is another one",
        f'[tool.flit.module] name = "{name}" (or make {name} a subpackage of {module})',
    )


def _uv_build(project: Project, name: str, directory: str) -> SelectionCause:
    backend = project.pyproject.get("tool", {}).get("uv", {}).get("build-backend", {})
    module = backend.get("module-name") or _normalized(project)
    return SelectionCause(
        "pyproject.toml",
        _key_line(project, "tool.uv.build-backend", "module-name"),
        f"uv_build ships the module `{module}` from `{backend.get('module-root', 'src')}/`; "
        f"`{name}` is not it",
        f'[tool.uv.build-backend] module-name = "{name}"'
        + ("" if directory.startswith("src/") else ', module-root = ""'),
    )


def _generic(project: Project, name: str, directory: str) -> SelectionCause:
    return SelectionCause(
        "pyproject.toml",
        None,
        f"the package selection of {project.backend_family} does not pick up {directory}",
        f"declare {directory} in {project.backend_family}'s package selection",
    )


_EXPLAINERS = {
    "hatchling": _hatchling,
    "setuptools": _setuptools,
    "poetry-core": _poetry,
    "flit-core": _flit,
    "uv-build": _uv_build,
}


# --- helpers -----------------------------------------------------------------------------------------


def _normalized(project: Project) -> str:
    return canonicalize_name(project.name or project.root.name).replace("-", "_")


def _from(directory: str) -> str:
    parent = directory.rpartition("/")[0]
    return f', from = "{parent}"' if parent else ""


def _cfg_list(value: str | None) -> list[str] | None:
    if value is None or value.strip().startswith(("find:", "find_namespace:")):
        return None
    return [v.strip() for v in re.split(r"[\s,]+", value) if v.strip()]


def _key_line(project: Project, table: str, key: str) -> int | None:
    """The line of ``key = ...`` in ``[table]`` of pyproject.toml (else the table's header line)."""
    path: Path = project.root / "pyproject.toml"
    if not path.is_file():
        return None
    header, in_table = None, False
    for number, line in enumerate(
        path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
    ):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.strip("[]").strip() == table
            header = number if in_table else header
        elif in_table and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    return header


def _ini_key_line(text: str, section: str, key: str) -> int | None:
    in_section = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.strip("[]").strip() == section
        elif in_section and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _line_matching(text: str, pattern: str) -> int | None:
    return next(
        (n for n, line in enumerate(text.splitlines(), 1) if re.search(pattern, line)), None
    )


# --- explicit includes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclaredInclude:
    """One ``[tool.poetry] include`` entry: a glob, the artifacts it goes into, and its line."""

    pattern: str
    formats: tuple[str, ...]  # ("sdist",), ("wheel",) or both
    format_given: bool
    line: int | None


def poetry_includes(project: Project) -> list[DeclaredInclude]:
    """The project's poetry ``include`` entries, with poetry-core's default for a missing ``format``:
    both artifacts up to poetry-core 1, the sdist only from poetry-core 2."""
    if project.backend_family != "poetry-core":
        return []
    entries = project.pyproject.get("tool", {}).get("poetry", {}).get("include", [])
    default = ("sdist",) if _poetry_core_major(project) >= 2 else ("sdist", "wheel")
    line = _key_line(project, "tool.poetry", "include")
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            found.append(DeclaredInclude(entry, default, False, line))
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
            formats = entry.get("format")
            given = formats is not None
            formats = (formats,) if isinstance(formats, str) else tuple(formats or default)
            found.append(DeclaredInclude(entry["path"], formats, given, line))
    return found


def _poetry_core_major(project: Project) -> int:
    """The poetry-core major version the build requirement admits at its newest (2 unless capped <2)."""
    for requirement in project.build_requires:
        text = requirement.replace(" ", "").lower()
        if text.startswith(("poetry-core", "poetry_core", "poetry")):
            capped = re.search(r"<\s*(\d+)", text) or re.search(r"==\s*(\d+)", text)
            if capped is not None:
                bound = int(capped.group(1))
                return bound - 1 if capped.group(0).startswith("<") else bound
    return 2
