"""Edits of the ``setup(...)`` call in a setup.py, where the argument a fix touches is a literal.

setup.py is code, so mcheck never rewrites it wholesale: an edit finds the call with :mod:`ast`,
and only inserts text next to a literal (``packages=["pkg"]``, ``package_data={"pkg": [...]}``),
in the layout already there (one item per line with a trailing comma, or inline). Where the
argument is computed (``find_packages()``, a variable), there is no edit and the finding keeps its
fix in words. Each edit re-reads the text it is given, so two fixes of one setup.py compose.
"""

from __future__ import annotations

import ast
from pathlib import Path

from mcheck.findings import Edit
from mcheck.fix.source_text import SourceText, quote_style

SETUP_PY = "setup.py"


def read_setup_py(root: Path) -> str:
    """The text of ``root/setup.py``, or "" when there is none (or it does not decode): every
    caller then finds no literal to edit."""
    try:
        return (root / SETUP_PY).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def setup_keyword(text: str, keyword: str) -> ast.expr | bool | None:
    """The value node of ``keyword`` in the ``setup()`` call of ``text``; None when the call has
    no such keyword; False when there is no single ``setup()`` call to edit."""
    call = _setup_call(text)
    if call is None:
        return False
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def includes_package_data(text: str) -> bool:
    """``setup(include_package_data=True)``: MANIFEST.in decides which data files ship."""
    value = setup_keyword(text, "include_package_data")
    return isinstance(value, ast.Constant) and value.value is True


def can_append_to_list(text: str, keyword: str) -> bool:
    return isinstance(setup_keyword(text, keyword), ast.List)


def can_add_package_data(text: str, package: str) -> bool:
    """``package_data`` is absent (a keyword can be added), or a dict literal whose entry for
    ``package`` is absent or a list literal."""
    value = setup_keyword(text, "package_data")
    if value is None:
        return True
    if not isinstance(value, ast.Dict):
        return False
    entry = _dict_entry(value, package)
    return entry is None or isinstance(entry, ast.List)


def append_to_list(keyword: str, item: str) -> Edit:
    """Add the string ``item`` to the list literal ``keyword=[...]`` of ``setup()``."""

    def change(old: str | None) -> str:
        text = old or ""
        value = setup_keyword(text, keyword)
        if not isinstance(value, ast.List):
            raise ValueError(f"{SETUP_PY}: {keyword}= is not a list literal")
        if _contains(value, item):
            return text
        return SourceText(text).insert_item(value, value.elts, _quoted(text, value, item))

    return Edit(SETUP_PY, change)


def add_package_data(package: str, glob: str) -> Edit:
    """Add ``glob`` to ``package_data[package]`` of ``setup()``: to the entry's list, as a new entry,
    or as a new ``package_data=`` keyword."""

    def change(old: str | None) -> str:
        text = old or ""
        call = _setup_call(text)
        if call is None:
            raise ValueError(f"{SETUP_PY}: no setup() call")
        source = SourceText(text)
        value = next((k.value for k in call.keywords if k.arg == "package_data"), None)
        quote = quote_style(text, call)
        entry_text = f"{quote}{package}{quote}: [{quote}{glob}{quote}]"
        if value is None:
            arguments: list[ast.AST] = [*call.args, *call.keywords]
            return source.insert_item(call, arguments, f"package_data={{{entry_text}}}")
        if not isinstance(value, ast.Dict):
            raise ValueError(f"{SETUP_PY}: package_data= is not a dict literal")
        entry = _dict_entry(value, package)
        if entry is None:
            return source.insert_item(value, list(value.values), entry_text)
        if not isinstance(entry, ast.List):
            raise ValueError(f"{SETUP_PY}: package_data[{package!r}] is not a list literal")
        if _contains(entry, glob):
            return text
        return source.insert_item(entry, entry.elts, _quoted(text, entry, glob))

    return Edit(SETUP_PY, change)


def _setup_call(text: str) -> ast.Call | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "setup")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "setup")
        )
    ]
    return calls[0] if len(calls) == 1 else None


def _dict_entry(value: ast.Dict, key: str) -> ast.expr | None:
    for k, v in zip(value.keys, value.values, strict=True):
        if isinstance(k, ast.Constant) and k.value == key:
            return v
    return None


def _contains(value: ast.List, item: str) -> bool:
    return any(isinstance(e, ast.Constant) and e.value == item for e in value.elts)


def _quoted(text: str, container: ast.List, item: str) -> str:
    return f"{quote_style(text, container)}{item}{quote_style(text, container)}"
