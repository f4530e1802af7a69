"""Python source addressed the way :mod:`ast` addresses it, for edits that insert or replace text
next to a node and leave every other byte of the file as it was."""

from __future__ import annotations

import ast
from dataclasses import dataclass


def quote_style(text: str, near: ast.AST) -> str:
    """The quote the file's strings near the edit use: the first string constant inside ``near``,
    else the file's more common quote."""
    source = SourceText(text)
    for node in ast.walk(near):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            first = source.at(node.lineno, node.col_offset)
            if first in "'\"":
                return first
    return "'" if text.count("'") > text.count('"') else '"'


@dataclass
class SourceText:
    """Text addressed the way :mod:`ast` addresses it: 1-based lines, UTF-8 byte columns."""

    text: str

    def __post_init__(self) -> None:
        self.data = self.text.encode("utf-8")
        self.starts = [0]
        for index, byte in enumerate(self.data):
            if byte == ord("\n"):
                self.starts.append(index + 1)

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column

    def at(self, line: int, column: int) -> str:
        offset = self.offset(line, column)
        return self.data[offset : offset + 1].decode("utf-8", "replace")

    def insert_item(self, container: ast.AST, items: list, item: str) -> str:
        """``item`` after the last of ``items`` inside ``container`` (a list, dict or call), on a
        line of its own with a trailing comma where the items are one per line, else inline."""
        end = self.offset(container.end_lineno or 0, container.end_col_offset or 0) - 1  # ] } )
        if not items:
            return self._splice(end, item)
        last = max(items, key=lambda n: (n.end_lineno, n.end_col_offset))
        after_last = self.offset(last.end_lineno, last.end_col_offset)
        between = self.data[after_last:end].decode("utf-8", "replace")
        trailing_comma = between.lstrip().startswith(",")
        if container.lineno != last.lineno and self._starts_line(last):
            indent = self._indent_of(last)
            if trailing_comma:
                comma = after_last + between.index(",") + 1
                return self._splice(comma, f"\n{indent}{item},")
            return self._splice(after_last, f",\n{indent}{item}")
        return self._splice(after_last, f", {item}")

    def replace(self, node: ast.AST, text: str) -> str:
        """The source with ``node``'s own text replaced by ``text``."""
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
        return (self.data[:start] + text.encode("utf-8") + self.data[end:]).decode("utf-8")

    def line_start(self, node: ast.AST) -> int:
        return self.starts[node.lineno - 1]

    def insert_at(self, offset: int, text: str) -> str:
        return self._splice(offset, text)

    def _starts_line(self, node: ast.AST) -> bool:
        return not self._prefix(node).strip()

    def _prefix(self, node: ast.AST) -> str:
        start = self.starts[node.lineno - 1]
        return self.data[start : self.offset(node.lineno, node.col_offset)].decode("utf-8")

    def _indent_of(self, node: ast.AST) -> str:
        prefix = self._prefix(node)
        return prefix if not prefix.strip() else " " * len(prefix)

    def _splice(self, offset: int, insertion: str) -> str:
        return (self.data[:offset] + insertion.encode("utf-8") + self.data[offset:]).decode("utf-8")
