"""MC109: a package of the project's source tree that the wheel does not ship at all.

MC101 compares the files of each package the wheel *does* ship with the source. When the package
selection misses a package entirely (``packages = ["pkg-name"]``, ``py-modules`` naming a directory, a
backend heuristic that finds nothing), there is no shipped package to compare, and the wheel that holds
only ``.dist-info`` used to pass. Real cases: tests/realbugs (pymod, findmy, aiven-client).

A package is expected in the wheel when the wheel ships no code at all, when it is named after the
distribution, or when an entry point names it. Other unshipped top-level packages (``tests``, ``docs``,
tooling) are left alone: shipping them is the project's choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from mcheck.checks import CheckContext, check
from mcheck.findings import Finding
from mcheck.knowledge.conventions import NOT_SHIPPED_TOP_LEVEL, TEST_MODULE
from mcheck.wheel.discover import Project
from mcheck.wheel.selection import SelectionCause, explain_unshipped


@dataclass(frozen=True)
class SourcePackage:
    name: str  # the import name: "pkg"
    directory: str  # project-relative: "pkg" or "src/pkg"
    modules: tuple[str, ...]  # its .py files, project-relative


@check("MC109")
def package_not_shipped(ctx: CheckContext, project: Project) -> Iterator[Finding]:
    shipped = set(ctx.wheel.top_level_names)
    candidates = [p for p in source_packages(project) if p.name not in shipped]
    if not candidates:
        return
    ships_code = bool(ctx.wheel.modules)
    own_name = canonicalize_name(ctx.wheel.name).replace("-", "_")
    entry_tops = {
        value.split(":", 1)[0].split(".", 1)[0].strip()
        for group in ctx.wheel.entry_points.values()
        for value in group.values()
    }
    installed = ctx.wheel.installed_files
    for package in candidates:
        # Shipped at the wrong place (`src/ledger/` instead of `ledger/`): certainly meant to ship.
        misplaced = (
            package.directory
            if any(f.startswith(package.directory + "/") for f in installed)
            else None
        )
        if (
            ships_code
            and misplaced is None
            and package.name != own_name
            and package.name not in entry_tops
        ):
            continue
        cause = explain_unshipped(project, package.name, package.directory, installed_as=misplaced)
        yield _finding(package, cause, ships_code and misplaced is None)


def source_packages(project: Project) -> list[SourcePackage]:
    """Top-level regular packages of the source tree, at its root or under ``src/``."""
    files = project.file_set()
    found: dict[str, list[str]] = {}
    directories: dict[str, str] = {}
    for rel in sorted(files):
        parts = rel.split("/")
        depth = 2 if parts[0] == "src" and len(parts) > 2 else 1
        if len(parts) <= depth or not rel.endswith(".py"):
            continue
        name, directory = parts[depth - 1], "/".join(parts[:depth])
        if not _looks_like_product(name) or f"{directory}/__init__.py" not in files:
            continue
        directories.setdefault(name, directory)
        if directories[name] == directory:
            found.setdefault(name, []).append(rel)
    return [
        SourcePackage(name, directories[name], tuple(modules))
        for name, modules in sorted(found.items())
    ]


def _looks_like_product(name: str) -> bool:
    return name.isidentifier() and name not in NOT_SHIPPED_TOP_LEVEL and not TEST_MODULE.match(name)


def _finding(package: SourcePackage, cause: SelectionCause, ships_other_code: bool) -> Finding:
    """``ships_other_code``: the wheel has Python code of its own (else it ships none, and says so)."""
    count = len(package.modules)
    what = f"{count} module{'s' if count != 1 else ''} in {package.directory}/"
    context = "" if ships_other_code else "; the wheel ships no Python code of the project at all"
    return Finding(
        "MC109",
        cause.config_file,
        f"the wheel does not ship package `{package.name}` ({what}){context}: {cause.reason}",
        hint=cause.fix,
        line=cause.line,
    )
