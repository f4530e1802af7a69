"""The wheel's file name, its WHEEL file and its zip structure against the installers' and the
index's rules (PEP 427/491, warehouse PR 19411, https://docs.pypi.org/archives/).

Part of the wheel model rather than a check alone: the pipeline does not install a wheel that breaks
one of them (installers refuse some and read the others differently), and MC604 reports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from packaging.tags import parse_tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from mcheck.knowledge.index_rules import WHEEL_FILE_KEYS, WHEEL_MAJOR_VERSION
from mcheck.wheel.zipcheck import archive_rule_problem

if TYPE_CHECKING:
    from mcheck.wheel.artifacts import WheelContents


def wheel_format_problems(wheel: WheelContents) -> list[tuple[str, str]]:
    """(subject, problem) for the file name, the WHEEL file and the zip structure."""
    structure = archive_rule_problem(wheel.path)
    return [
        *_wheel_name_problems(wheel.path.name),
        *_wheel_file_problems(wheel),
        *(
            [(wheel.path.name, f"the zip structure breaks the index's rules: {structure}")]
            if structure
            else []
        ),
    ]


def _wheel_name_problems(name: str) -> Iterator[tuple[str, str]]:
    try:
        parse_wheel_filename(name)
    except InvalidWheelFilename as exc:
        yield name, f"the file name is not a valid wheel name: {exc}"


def _wheel_file_problems(wheel: WheelContents) -> Iterator[tuple[str, str]]:
    path = f"{wheel.dist_info}/WHEEL"
    try:
        text = wheel.read_member(path)
    except KeyError:
        yield path, "the WHEEL file is missing"
        return
    fields: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or key != key.strip():
            yield path, f"line {number} is not a 'Key: Value' line: {line!r}"
            continue
        fields.setdefault(key, []).append(value.strip())
    missing = [key for key in WHEEL_FILE_KEYS if key not in fields]
    if missing:
        yield path, f"the WHEEL file has no {', '.join(missing)}"
    yield from _wheel_version_problems(path, fields.get("Wheel-Version", []))
    purelib = fields.get("Root-Is-Purelib", [])
    if purelib and purelib[0].lower() not in ("true", "false"):
        yield path, f"Root-Is-Purelib is {purelib[0]!r}, not true or false"
    yield from _tag_problems(path, fields.get("Tag", []), wheel.path.name)


def _wheel_version_problems(path: str, values: list[str]) -> Iterator[tuple[str, str]]:
    if not values:
        return
    try:
        major = Version(values[0]).major
    except ValueError:
        yield path, f"Wheel-Version {values[0]!r} is not a version"
        return
    if major != WHEEL_MAJOR_VERSION:
        yield path, f"Wheel-Version {values[0]} is not 1.x: installers refuse it"


def _tag_problems(path: str, tags: list[str], file_name: str) -> Iterator[tuple[str, str]]:
    try:
        _, _, _, named = parse_wheel_filename(file_name)
    except InvalidWheelFilename:
        return
    written = set()
    for tag in tags:
        expanded = parse_tag(tag)
        if len(expanded) != 1:
            yield path, f"Tag {tag!r} is compressed; the WHEEL file lists each tag on its own line"
        written |= expanded
    if written and written != set(named):
        extra = sorted(map(str, written - set(named)))
        lacking = sorted(map(str, set(named) - written))
        detail = "; ".join(
            part
            for part in (
                f"only in WHEEL: {', '.join(extra)}" if extra else "",
                f"only in the file name: {', '.join(lacking)}" if lacking else "",
            )
            if part
        )
        yield path, f"the Tag lines disagree with the file name {file_name} ({detail})"
