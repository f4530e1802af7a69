"""The edits fixes are made of: new files, and TOML changes that keep comments and layout.

Each returns an :class:`~mcheck.findings.Edit` whose ``change`` maps a file's text to its new text, so
two fixes of one file (two package-data globs in one ``pyproject.toml``) compose when applied in turn.
TOML goes through tomlkit, which rewrites only what the fix touches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import tomlkit
from tomlkit.items import Array

from mcheck.findings import Edit


def create_file(path: str, content: str = "") -> Edit:
    """``path`` with ``content``; a file that exists by then is left as it is."""
    return Edit(path, lambda old: old if old is not None else content)


def append_line(path: str, line: str) -> Edit:
    """``line`` at the end of the text file ``path`` (created when missing), unless it is there."""

    def change(old: str | None) -> str:
        text = old or ""
        if line in text.splitlines():
            return text
        return f"{text}{'' if not text or text.endswith(chr(10)) else chr(10)}{line}\n"

    return Edit(path, change)


def toml_array_append(path: str, keys: Sequence[str], values: Sequence[object]) -> Edit:
    """Append ``values`` (those not there yet) to the array at ``keys`` of the TOML file ``path``,
    creating the tables and the array when missing: ``("tool", "setuptools", "packages")``."""

    def change(old: str | None) -> str:
        document = tomlkit.parse(old or "")
        table, created = _table(document, keys[:-1])
        if keys[-1] not in table:
            table[keys[-1]] = tomlkit.array()
        array = table[keys[-1]]
        if not isinstance(array, (Array, list)):
            raise ValueError(f"{path}: {'.'.join(keys)} is not an array")
        for value in values:
            if value not in array:
                array.append(value)
        if created:
            table.add(tomlkit.nl())  # a blank line before whatever table follows the new one
        return _final_newline_as_before(tomlkit.dumps(document), old)

    return Edit(path, change)


def toml_table_set(path: str, keys: Sequence[str], value: object) -> Edit:
    """Set ``keys`` of the TOML file ``path`` to ``value`` (creating the tables), unless the key
    is there: ``("tool", "poetry", "dependencies", "attrs")`` = ``">=21.4.0"``."""

    def change(old: str | None) -> str:
        document = tomlkit.parse(old or "")
        table, created = _table(document, keys[:-1])
        if keys[-1] not in table:
            table[keys[-1]] = value
        if created:
            table.add(tomlkit.nl())
        return _final_newline_as_before(tomlkit.dumps(document), old)

    return Edit(path, change)


def _table(document, keys: Sequence[str]) -> tuple[Any, bool]:
    """The table at ``keys``, created where missing (only the innermost new one gets a header:
    ``[tool.setuptools.package-data]``), and whether it was created."""
    table = document
    created = False
    for depth, key in enumerate(keys):
        if key not in table:
            table[key] = tomlkit.table(is_super_table=depth < len(keys) - 1)
            created = True
        table = table[key]
    return table, created


def toml_array_replace(path: str, keys: Sequence[str], old: str, new: Mapping[str, object]) -> Edit:
    """Replace the string ``old`` in the array at ``keys`` with the inline table ``new``, in place:
    ``"base_config.json"`` -> ``{ path = "base_config.json", format = ["sdist", "wheel"] }``."""

    def change(text: str | None) -> str:
        document = tomlkit.parse(text or "")
        array = document
        for key in keys:
            array = array[key]
        if not isinstance(array, (Array, list)) or old not in array:
            raise ValueError(f"{path}: {'.'.join(keys)} has no {old!r}")
        table = tomlkit.inline_table()
        table.update(new)
        array[list(array).index(old)] = table
        return _final_newline_as_before(tomlkit.dumps(document), text)

    return Edit(path, change)


def _final_newline_as_before(text: str, old: str | None) -> str:
    """One final newline, or none where the file had none: a fix changes only what it fixes."""
    if not text.strip():
        return text
    body = text.rstrip("\n")
    return body if old and not old.endswith("\n") else body + "\n"


def remove_line(path: str, line: int, text: str) -> Edit:
    """Delete line ``line`` (1-based) of ``path`` where it still reads ``text`` (a rule of an
    ignore file: ``.dockerignore``); anywhere else the file is left as it is."""

    def change(old: str | None) -> str:
        lines = (old or "").splitlines(keepends=True)
        if 0 < line <= len(lines) and lines[line - 1].strip() == text.strip():
            del lines[line - 1]
        return "".join(lines)

    return Edit(path, change)


def replace_module_on_line(path: str, line: int, old: str, new: str) -> Edit:
    """In line ``line`` (1-based) of ``path``, the module name ``old`` (a whole word: followed by
    ``:attr``, a space, a quote or the line's end) becomes ``new``; any file format a start command
    is written in (Procfile, TOML, YAML, a Dockerfile CMD), since only that token changes. Where the
    name is not there exactly once, the file is left as it is and the re-run shows it."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(old)}(?=[:\s\"',\]]|$)")

    def change(text: str | None) -> str:
        lines = (text or "").splitlines(keepends=True)
        if 0 < line <= len(lines) and len(pattern.findall(lines[line - 1])) == 1:
            lines[line - 1] = pattern.sub(new, lines[line - 1])
        return "".join(lines)

    return Edit(path, change)


def replace_health_path(path: str, old: str, new: str) -> Edit:
    """The health path ``old`` becomes ``new`` in the deploy file ``path``, on the one line that
    holds ``old`` as a whole value (quoted, or ending a URL or the line) and names a health check
    or a path (``healthcheckPath = "/health"``, ``healthCheckPath: /health``, fly.toml's ``path =``).
    With no such line, or several, the file is left as it is and the re-run shows it."""
    token = re.compile(rf"(?<=[\s\"'=:0-9]){re.escape(old)}(?=[\"'\s]|$)")

    def change(text: str | None) -> str:
        lines = (text or "").splitlines(keepends=True)
        hits = [
            i
            for i, line in enumerate(lines)
            if len(token.findall(line)) == 1 and re.search(r"(?i)health|\bpath\b", line)
        ]
        if len(hits) == 1:
            lines[hits[0]] = token.sub(new, lines[hits[0]])
        return "".join(lines)

    return Edit(path, change)
