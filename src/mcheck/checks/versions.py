"""MC201: a package's ``__version__`` disagrees with the distribution's metadata version."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from mcheck.checks import CheckContext, check
from mcheck.findings import Finding


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
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a.strip() == b.strip()
