"""MC205: shipped code needs a newer Python than ``requires-python`` allows (the static floor check),
and MC206: shipped code uses what a newer Python that ``requires-python`` allows has removed.

The floor is the oldest ``3.x`` the wheel's ``Requires-Python`` admits. Syntax is checked by parsing
each module with that version's grammar (``ast.parse(feature_version=...)``); the standard library by
the unguarded imports static analysis found, against :mod:`mcheck.knowledge.python_versions`.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from mcheck.analysis.model import ImportSite, StaticAnalysis
from mcheck.checks import CheckContext, check
from mcheck.findings import Finding
from mcheck.knowledge.python_versions import (
    STDLIB_MODULES_ADDED,
    STDLIB_MODULES_REMOVED,
    STDLIB_NAMES_ADDED,
    STDLIB_NAMES_REMOVED,
    STDLIB_REMOVED_MODULE_PROVIDERS,
)

OLDEST_GRAMMAR = (3, 7)  # the oldest feature_version ast.parse takes on every supported Python
NEWEST_MINOR = 20


@check("MC205")
def needs_newer_python(ctx: CheckContext, analysis: StaticAnalysis) -> Iterator[Finding]:
    floor = python_floor(ctx.wheel.requires_python)
    if floor is None:
        return
    yield from _stdlib_findings(analysis, floor)
    yield from _syntax_findings(ctx, floor)


@check("MC206")
def uses_removed_stdlib(ctx: CheckContext, analysis: StaticAnalysis) -> Iterator[Finding]:
    spec = _specifier(ctx.wheel.requires_python)
    declared = {canonicalize_name(r.name) for r in ctx.wheel.requirements}
    first_party = set(ctx.wheel.top_level_names)
    for site in analysis.imports:
        # Only what importing the module itself runs: code that still supports old Pythons keeps
        # their paths in functions it calls there only (pip's distutils locations, pdm's
        # `load_next_sitecustomize_py2`), which no static reading can tell from a bug.
        if site.guarded or site.conditional or not site.module_level:
            continue
        if site.target.split(".")[0] in first_party or _compat_module_for(site):
            continue
        removal = removed_by_python(site.target, site.names)
        if removal is None:
            continue
        what, removed_in, instead = removal
        providers = STDLIB_REMOVED_MODULE_PROVIDERS.get(site.target.split(".")[0], ())
        if declared & {*providers, f"standard-{site.target.split('.')[0]}"}:
            continue  # a declared distribution puts the module back on the newer versions
        if _allows_from(spec, removed_in):
            yield _removed_finding(site.path, site.line, what, removed_in, instead, ctx)


def _compat_module_for(site: ImportSite) -> bool:
    """A module named after the removed module it wraps (pip's ``locations/_distutils.py``) is the
    old Pythons' side of a switch its package makes: imported there only."""
    removed = site.target.split(".")[0].strip("_").lower()
    return any(part.strip("_").lower() == removed for part in site.importer.split(".")[1:])


def removed_by_python(
    target: str, names: tuple[str, ...] = ()
) -> tuple[str, tuple[int, int], str] | None:
    """``(what, the first version without it, what to use instead)`` when ``import target`` (or
    ``from target import names``) uses a module or name a Python release removed; the earliest
    removal wins."""
    parts = target.split(".")
    for depth in range(1, len(parts) + 1):
        module = ".".join(parts[:depth])
        if module in STDLIB_MODULES_REMOVED:
            removed_in, instead = STDLIB_MODULES_REMOVED[module]
            return f"`import {target}`", removed_in, instead
    removed = [
        (STDLIB_NAMES_REMOVED[(target, name)], name)
        for name in names
        if (target, name) in STDLIB_NAMES_REMOVED
    ]
    if not removed:
        return None
    (removed_in, instead), name = min(removed)
    return f"`from {target} import {name}`", removed_in, instead


def _allows_from(spec: SpecifierSet | None, removed_in: tuple[int, int]) -> bool:
    """Whether ``spec`` admits ``removed_in`` or a later 3.x (no requires-python admits them all)."""
    return any(
        spec is None or spec.contains(f"3.{minor}.{patch}", prereleases=True)
        for minor in range(removed_in[1], NEWEST_MINOR + 1)
        for patch in (0, 99)
    )


def _removed_finding(
    path: str,
    line: int | None,
    what: str,
    removed_in: tuple[int, int],
    instead: str,
    ctx: CheckContext,
) -> Finding:
    gone, last = f"3.{removed_in[1]}", f"3.{removed_in[1] - 1}"
    allowed = ctx.wheel.requires_python or "(none: every version)"
    return Finding(
        "MC206",
        path=path,
        line=line,
        message=f"{what} fails on Python {gone} and newer, which removed it from the standard "
        f"library; requires-python {allowed} allows them, and it works up to {last} only",
        hint=f'use {instead} instead, or cap requires-python (",<{gone}")',
    )


def _specifier(requires_python: str | None) -> SpecifierSet | None:
    try:
        return SpecifierSet(requires_python) if requires_python else None
    except InvalidSpecifier:
        return None


def python_floor(requires_python: str | None) -> tuple[int, int] | None:
    """The oldest 3.x release ``requires_python`` admits; None when it says nothing usable."""
    if not requires_python:
        return None
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    for minor in range(NEWEST_MINOR + 1):
        if any(spec.contains(f"3.{minor}.{patch}", prereleases=True) for patch in (0, 1, 99)):
            return (3, minor)
    return None


def _stdlib_findings(analysis: StaticAnalysis, floor: tuple[int, int]) -> Iterator[Finding]:
    for site in analysis.imports:
        # Only imports that surely run: under any `if` or `try` the condition may be a version test
        # by another name (typing_extensions: `if _PEP_696_IMPLEMENTED: from typing import ...`).
        # Function-level imports count: they fail when called.
        if site.guarded or site.conditional:
            continue
        introduced = STDLIB_MODULES_ADDED.get(site.target)
        what = f"`import {site.target}`"
        if introduced is None:
            added = [
                (STDLIB_NAMES_ADDED[(site.target, n)], n)
                for n in site.names
                if (site.target, n) in STDLIB_NAMES_ADDED
            ]
            if not added:
                continue
            introduced, name = max(added)
            what = f"`from {site.target} import {name}`"
        if introduced > floor:
            yield _finding(site.path, site.line, what, introduced, floor)


# Text without which no syntax newer than 3.7 can be in a module (a cheap filter before parsing it
# with the floor's grammar), anchored where the syntax starts so that prose ("match", "type of")
# in docstrings does not count: match, except*, :=, parenthesised with, positional-only "/",
# type statements and parameter lists.
_MAY_USE_NEWER_SYNTAX = re.compile(
    r"^\s*match\b.*:\s*(?:#.*)?$|except\s*\*|:=|^\s*(?:async\s+)?with\s*\(|,\s*/\s*[,)]|"
    r"\(\s*/\s*\)|^\s*type\s+\w+\s*[\[=]|^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\[",
    re.MULTILINE,
)


# The node a feature's "only supported in Python 3.x" error is about: its line is where the feature
# starts (the parser reports the end of the statement).
_FEATURE_NODES: dict[str, type[ast.AST]] = {
    "Pattern matching": ast.Match,
    "Exception groups": ast.TryStar,
    "Assignment expressions": ast.NamedExpr,
    "Parenthesized context managers": ast.With,
}


def _syntax_findings(ctx: CheckContext, floor: tuple[int, int]) -> Iterator[Finding]:
    if floor < OLDEST_GRAMMAR or floor >= sys.version_info[:2]:
        return  # older than ast can model, or newer than this interpreter's grammar
    for path, source in sorted(ctx.wheel.read_sources().items()):
        if not _MAY_USE_NEWER_SYNTAX.search(source):
            continue  # most modules: not parsed here at all
        try:
            ast.parse(source, feature_version=floor)
            continue  # the floor's grammar reads it: the common case, one parse
        except ValueError:
            continue
        except SyntaxError as exc:
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError):
                continue  # does not parse at all here: not a question of the floor
            introduced = _version_in(exc.msg)
            if introduced is not None and introduced > floor:
                feature = exc.msg.split(" are ")[0].split(" is ")[0]
                line = _feature_line(tree, feature, exc.lineno)
                yield _finding(path, line, feature.lower(), introduced, floor)


def _feature_line(tree: ast.AST, feature: str, reported: int | None) -> int | None:
    kind = _FEATURE_NODES.get(feature)
    if kind is None or reported is None:
        return reported
    starts = [n.lineno for n in ast.walk(tree) if isinstance(n, kind) and n.lineno <= reported]
    return max(starts, default=reported)


def _version_in(message: str) -> tuple[int, int] | None:
    """``"... only supported in Python 3.10 and greater"`` -> (3, 10)."""
    for word in message.replace(",", " ").split():
        major, dot, minor = word.partition(".")
        if dot and major == "3" and minor.isdigit():
            return (3, int(minor))
    return None


def _finding(
    path: str, line: int | None, what: str, introduced: tuple[int, int], floor: tuple[int, int]
) -> Finding:
    needs, allows = f"{introduced[0]}.{introduced[1]}", f"{floor[0]}.{floor[1]}"
    return Finding(
        "MC205",
        path=path,
        line=line,
        message=f"{what} needs Python {needs}, but requires-python allows {allows}",
        hint=f'raise requires-python to ">={needs}", or guard it (try/except ImportError, '
        "sys.version_info) with a backport for older versions",
    )
