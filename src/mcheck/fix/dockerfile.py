"""Dockerfile edits, line by line: a fix inserts one instruction and touches no other line.

A Dockerfile is not parsed and re-serialised (that would drop comments and reflow continuation
lines): the edit finds the instructions of the final stage by their first word and inserts after
the right one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcheck.findings import Edit

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\b")


def add_copy(dockerfile: str, source: str, destination: str) -> Edit:
    """``COPY <source> <destination>`` in the final stage: after its last COPY or ADD, else after
    its WORKDIR, else after its FROM, so the file is there before the start command runs."""
    line = f"COPY {source} {destination}"

    def change(old: str | None) -> str:
        text = old or ""
        lines = text.splitlines(keepends=True)
        if any(existing.strip() == line for existing in lines):
            return text
        at = _insertion_index(lines)
        if at is None:
            raise ValueError(f"{dockerfile}: no FROM instruction")
        if at > 0 and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, f"{line}\n")
        return "".join(lines)

    return Edit(dockerfile, change)


def _insertion_index(lines: list[str]) -> int | None:
    """The index of the line after the anchor instruction (continuation lines included)."""
    instructions = list(_instructions(lines))
    froms = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    if not froms:
        return None
    final_stage = instructions[froms[-1] :]
    for wanted in (("COPY", "ADD"), ("WORKDIR",), ("FROM",)):
        anchors = [end for keyword, end in final_stage if keyword in wanted]
        if anchors:
            return anchors[-1]
    return None


def _instructions(lines: list[str]) -> Iterator[tuple[str, int]]:
    """(keyword, index of the line after it) of every instruction, continuations followed."""
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        match = _INSTRUCTION.match(lines[index])
        while lines[index].rstrip("\r\n").endswith("\\") and index + 1 < len(lines):
            index += 1
        index += 1
        if match and not stripped.startswith("#"):
            yield match.group(1).upper(), index
