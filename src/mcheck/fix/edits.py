"""The edits fixes are made of: new files, and TOML changes that keep comments and layout.

Each returns an :class:`~mcheck.findings.Edit` whose ``change`` maps a file's text to its new text, so
two fixes of one file (two package-data globs in one ``pyproject.toml``) compose when applied in turn.
TOML goes through tomlkit, which rewrites only what the fix touches.
"""

from __future__ import annotations

from collections.abc import Sequence

import tomlkit
from tomlkit.items import Array

from mcheck.findings import Edit


def create_file(path: str, content: str = "") -> Edit:
    """``path`` with ``content``; a file that exists by then is left as it is."""
    return Edit(path, lambda old: old if old is not None else content)


def toml_array_append(path: str, keys: Sequence[str], values: Sequence[str]) -> Edit:
    """Append ``values`` (those not there yet) to the array at ``keys`` of the TOML file ``path``,
    creating the tables and the array when missing: ``("tool", "setuptools", "packages")``."""

    def change(old: str | None) -> str:
        document = tomlkit.parse(old or "")
        table = document
        created = None
        for depth, key in enumerate(keys[:-1]):
            if key not in table:
                # Only the innermost new table gets a header: `[tool.setuptools.package-data]`.
                table[key] = tomlkit.table(is_super_table=depth < len(keys) - 2)
                created = created or table[key]
            table = table[key]
        if keys[-1] not in table:
            table[keys[-1]] = tomlkit.array()
        array = table[keys[-1]]
        if not isinstance(array, (Array, list)):
            raise ValueError(f"{path}: {'.'.join(keys)} is not an array")
        for value in values:
            if value not in array:
                array.append(value)
        if created is not None:
            table.add(tomlkit.nl())  # a blank line before whatever table follows the new one
        return _final_newline_as_before(tomlkit.dumps(document), old)

    return Edit(path, change)


def _final_newline_as_before(text: str, old: str | None) -> str:
    """One final newline, or none where the file had none: a fix changes only what it fixes."""
    if not text.strip():
        return text
    body = text.rstrip("\n")
    return body if old and not old.endswith("\n") else body + "\n"
