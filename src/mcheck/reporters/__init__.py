"""Reporters: turn finished :class:`~mcheck.findings.Report` objects into text.

Reporters are deliberately dumb: they never decide anything about findings, they only format them.
Every reporter has the signature ``(reports, *, color=False, verbosity=0) -> str`` so :func:`render`
can call any of them the same way; the formats that have no use for colour or verbosity ignore them.
The returned string ends with a newline (or is empty); the CLI writes it as-is to stdout or a file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcheck.findings import Report

from mcheck.reporters._common import clean_text, location
from mcheck.reporters.github import render_github
from mcheck.reporters.json import render_json
from mcheck.reporters.junit import render_junit
from mcheck.reporters.sarif import render_sarif
from mcheck.reporters.text import render_text

__all__ = ["FORMATS", "clean_text", "location", "render"]

FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "sarif": render_sarif,
    "github": render_github,
}


def render(
    format_name: str, reports: Sequence[Report], *, color: bool = False, verbosity: int = 0
) -> str:
    """Format ``reports`` (one per target) as ``format_name``; raise ValueError for an unknown format."""
    try:
        reporter = FORMATS[format_name]
    except KeyError:
        valid = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown output format {format_name!r}; valid formats: {valid}") from None
    return reporter(reports, color=color, verbosity=verbosity)
