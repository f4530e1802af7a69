"""MC201: a package's ``__version__`` disagrees with the distribution's metadata version.

The fix edits the literal in the package's source ``__init__.py``: set to the project's version
where that is static, else (a version computed at build time) read from the installed metadata."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from mcheck.checks import CheckContext, check
from mcheck.findings import Finding, Fix
from mcheck.fix.version_attribute import (
    derive_version,
    literal_version_assignment,
    set_literal_version,
)
from mcheck.wheel.layout import map_packages


@check("MC201")
def version_matches_metadata(ctx: CheckContext) -> Iterator[Finding]:
    sources = {p: s for p, s in ctx.wheel.read_sources().items() if p.count("/") <= 1}
    for package in _top_level_packages(ctx):
        found = _declared_version(ctx, package, sources)
        if found is None:
            continue
        version, path = found
        if not _same_version(version, ctx.wheel.version):
            yield Finding(
                "MC201",
                path=path,
                message=f"{package}.__version__ is {version!r} but the wheel's metadata says "
                f"{ctx.wheel.version!r}",
                hint=f'set __version__ = "{ctx.wheel.version}" or, better, derive it: '
                f'__version__ = importlib.metadata.version("{ctx.wheel.name}")',
                fix=_version_fix(ctx, package, path),
            )


def _top_level_packages(ctx: CheckContext) -> list[str]:
    return sorted(
        name
        for name, path in ctx.wheel.modules.items()
        if "." not in name and path.endswith("__init__.py")
    )


def _declared_version(
    ctx: CheckContext, package: str, sources: dict[str, str]
) -> tuple[str, str] | None:
    """The version the package reports at run time (from the probe), else a literal assignment."""
    init_path = f"{package}/__init__.py"
    literal = _literal_version(sources.get(init_path, ""))
    if (
        ctx.probe is not None
        and (result := ctx.probe.modules.get(package)) is not None
        and result.version
    ):
        return result.version, init_path
    return (literal, init_path) if literal else None


def _literal_version(source: str) -> str | None:
    assignment = literal_version_assignment(source)
    return None if assignment is None else ast.literal_eval(assignment.value)


def _version_fix(ctx: CheckContext, package: str, wheel_path: str) -> Fix | None:
    """An edit of the source file's literal ``__version__``; None where the version is not a literal
    there (imported from a ``_version`` module, computed) or the source file is unknown."""
    project = ctx.project
    if project is None:
        return None
    mapped = [p for p in map_packages(ctx.wheel, project.file_set()) if p.name == package]
    if not mapped:
        return None
    source_file = mapped[0].source_path(wheel_path)
    try:
        text = (project.root / source_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if literal_version_assignment(text) is None:
        return None
    if project.version is not None:
        return Fix(
            f'set __version__ = "{project.version}" in {source_file}',
            (set_literal_version(source_file, project.version),),
        )
    return Fix(
        f"derive __version__ from the installed metadata in {source_file}: "
        f'importlib.metadata.version("{ctx.wheel.name}")',
        (derive_version(source_file, ctx.wheel.name),),
    )


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a.strip() == b.strip()
