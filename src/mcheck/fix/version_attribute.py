"""Edits of a module-level ``__version__ = "..."`` literal (MC201).

Where the project's version is static, the literal is set to it (same quotes, nothing else touched).
Where it is computed at build time (setuptools-scm, hatch-vcs, a version file the backend writes), no
literal can stay right: the assignment reads the installed distribution's version instead.
"""

from __future__ import annotations

import ast

from mcheck.findings import Edit
from mcheck.fix.source_text import SourceText

NAME = "__version__"
IMPORT = "import importlib.metadata"


def literal_version_assignment(text: str) -> ast.Assign | None:
    """The module-level ``__version__ = "..."`` of the module, if it has one."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == NAME
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node
    return None


def set_literal_version(path: str, version: str) -> Edit:
    """``__version__ = "<version>"`` in ``path``, in the quotes the literal had."""

    def change(old: str | None) -> str:
        source, literal = _literal(path, old)
        return source.replace(literal, _quoted(source, literal, version))

    return Edit(path, change)


def derive_version(path: str, distribution: str) -> Edit:
    """``__version__ = importlib.metadata.version("<distribution>")`` in ``path``, with the import on
    the line before the assignment (where the version is defined, so the diff is one place)."""

    def change(old: str | None) -> str:
        source, literal = _literal(path, old)
        call = f"importlib.metadata.version({_quoted(source, literal, distribution)})"
        replaced = source.replace(literal, call)
        if IMPORT in (old or "").splitlines():
            return replaced
        assignment = literal_version_assignment(old or "")
        assert assignment is not None
        return SourceText(replaced).insert_at(source.line_start(assignment), f"{IMPORT}\n")

    return Edit(path, change)


def _literal(path: str, text: str | None) -> tuple[SourceText, ast.expr]:
    assignment = literal_version_assignment(text or "")
    if assignment is None:
        raise ValueError(f"{path}: no literal {NAME} assignment")
    return SourceText(text or ""), assignment.value


def _quoted(source: SourceText, literal: ast.expr, value: str) -> str:
    quote = source.at(literal.lineno, literal.col_offset)
    quote = quote if quote in "'\"" else '"'
    return f"{quote}{value}{quote}"
