"""MC107: shipped code imports a first-party module that exists in the project tree but not in the wheel."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from mcheck.analysis.model import ImportSite, StaticAnalysis
from mcheck.checks import CheckContext, check
from mcheck.findings import Finding
from mcheck.fix.package_selection import ship_first_party
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.discover import Project


def shipped_top_levels(wheel: WheelContents) -> frozenset[str]:
    """Top-level import names the wheel itself provides (packages, modules, namespace packages)."""
    return frozenset(wheel.top_level_names) | {name.split(".", 1)[0] for name in wheel.modules}


@dataclass(frozen=True)
class ProjectModules:
    """The project tree seen as ``sys.path`` entries: what ``import x`` finds when run from the checkout."""

    roots: tuple[str, ...]  # "" is the project root; others are posix paths relative to it
    py_files: frozenset[str]
    py_dirs: frozenset[str]  # every directory that holds a .py file at any depth

    def locate(self, dotted: str) -> str | None:
        """Where ``dotted`` (or its longest importable prefix) lives in the tree: ``helpers.py``,
        ``helpers/`` or ``src/config.py``; None when no root provides its top-level name."""
        for root in self.roots:
            found = self._locate_under(root, dotted.split("."))
            if found is not None:
                return found
        return None

    def _locate_under(self, root: str, parts: list[str]) -> str | None:
        best = None
        for size in range(1, len(parts) + 1):
            base = "/".join(p for p in (root, *parts[:size]) if p)
            if f"{base}.py" in self.py_files:
                return f"{base}.py"  # a module: nothing below it can be a submodule
            if f"{base}/__init__.py" in self.py_files:
                best = f"{base}/__init__.py" if size == len(parts) else f"{base}/"
            elif base in self.py_dirs:
                best = f"{base}/"  # a namespace package
            else:
                break
        return best


def project_modules(project: Project, wheel: WheelContents) -> ProjectModules:
    py_files = frozenset(f for f in project.files if f.endswith(".py"))
    py_dirs = frozenset(
        str(parent) for f in py_files for parent in PurePosixPath(f).parents if str(parent) != "."
    )
    roots = _candidate_roots(project, py_files, shipped_top_levels(wheel))
    return ProjectModules(roots=roots, py_files=py_files, py_dirs=py_dirs)


def _candidate_roots(
    project: Project, py_files: Iterable[str], shipped: frozenset[str]
) -> tuple[str, ...]:
    """Directories that are on ``sys.path`` somewhere in development: the project root (running from
    the checkout), ``src/``, configured source roots, and wherever the wheel's own packages live."""
    roots = ["", "src", *_configured_roots(project)]
    for path in sorted(py_files):
        parts = path.split("/")
        for i, part in enumerate(parts):
            name = part[:-3] if i == len(parts) - 1 and part.endswith(".py") else part
            if name in shipped and (i < len(parts) - 1 or part.endswith(".py")):
                roots.append("/".join(parts[:i]))
                break
    return tuple(dict.fromkeys(r.strip("/") if r not in (".", "./") else "" for r in roots))


def _configured_roots(project: Project) -> list[str]:
    """``[tool.setuptools.packages.find] where`` and pytest's ``pythonpath``: the latter is precisely how
    a test suite comes to import code the wheel does not ship."""
    find = project.setuptools_config.get("packages", {})
    where = find.get("find", {}).get("where", []) if isinstance(find, dict) else []
    pytest_ini = project.pyproject.get("tool", {}).get("pytest", {}).get("ini_options", {})
    pythonpath = pytest_ini.get("pythonpath", [])
    values = [*_as_list(where), *_as_list(pythonpath)]
    return [v for v in values if isinstance(v, str)]


def _as_list(value: object) -> list[object]:
    if isinstance(value, str):
        return value.split()
    return list(value) if isinstance(value, list) else []


def not_shipped_first_party(
    ctx: CheckContext, analysis: StaticAnalysis, modules: ProjectModules
) -> Iterator[tuple[ImportSite, str]]:
    """Import sites (first per file and target) that resolve to the project tree, not to the wheel,
    the standard library or an installed distribution; with where the target lives in the tree."""
    shipped = shipped_top_levels(ctx.wheel)
    stdlib = (
        ctx.probe.stdlib_module_names
        if ctx.probe is not None
        else frozenset(sys.stdlib_module_names)
    )
    seen: set[tuple[str, str]] = set()
    for site in sorted(analysis.imports, key=lambda s: (s.path, s.line)):
        top = site.top_level
        if (
            site.level
            or top in shipped
            or top in stdlib
            or top == "__future__"
            or (site.path, site.target) in seen
        ):
            continue
        if ctx.probe is not None and ctx.probe.distributions_providing(top):
            continue  # installed from a distribution: that is what runs, not the checkout's copy
        location = modules.locate(site.target)
        if location is not None:
            seen.add((site.path, site.target))
            yield site, location


@check("MC107")
def first_party_not_shipped(
    ctx: CheckContext, analysis: StaticAnalysis, project: Project
) -> Iterator[Finding]:
    modules = project_modules(project, ctx.wheel)
    package = next(iter(ctx.wheel.top_level_names), None)
    for site, location in not_shipped_first_party(ctx, analysis, modules):
        # Guarded and function-level imports count too: they fail at run time all the same.
        if analysis.is_ignored(site.path, site.line, "MC107"):
            continue
        yield Finding(
            "MC107",
            path=site.path,
            line=site.line,
            message=f"{site.path}:{site.line} imports {site.target}, which exists in the project as "
            f"{location} but is not in the wheel",
            hint=_hint(site, location, package),
            fix=ship_first_party(project, location),
        )


def _hint(site: ImportSite, location: str, package: str | None) -> str:
    name = PurePosixPath(location.rstrip("/")).name.removesuffix(".py")
    if name == "__init__":
        name = PurePosixPath(location).parent.name
    move = (
        (
            f"move {location} into the package ({package}/{name}{'' if location.endswith('/') else '.py'}) "
            f"and import it as `from {package} import {name}`"
        )
        if package
        else f"move {location} into the package"
    )
    ship = (
        f'`py-modules = ["{site.top_level}"]`'
        if location == f"{site.top_level}.py"
        else f"a `packages` entry for {site.top_level}"
    )
    return (
        f"{move}, or ship it too (setuptools: {ship}; hatchling: add it to "
        "`[tool.hatch.build.targets.wheel] packages`); it only imports from the checkout, where the "
        "project directory is on sys.path"
    )
