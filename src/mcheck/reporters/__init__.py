"""Reporters: turn finished :class:`~mcheck.findings.Report` objects into text.

Reporters are deliberately dumb: they never decide anything about findings, they only format them.
Every reporter has the signature ``(reports, *, color=False, verbosity=0) -> str`` so :func:`render`
can call any of them the same way; the formats that have no use for colour or verbosity ignore them.
The returned string ends with a newline (or is empty); the CLI writes it as-is to stdout or a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcheck.findings import Report

# ANSI/VT escape sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks) and two-byte escapes.
# Build-backend and installer logs quoted in finding messages often carry them.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """``text`` without escape sequences or control characters (newlines and tabs are kept).

    Plain-text outputs must never carry escape codes, whatever a quoted build log contained.
    """
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def looks_like_file(path: str | None) -> bool:
    """True when a finding's ``path`` names a file (``pkg/a.py``), not a module or import name."""
    return path is not None and ("/" in path or path.endswith(".py"))


def location(path: str | None, line: int | None) -> str:
    """``path``, ``path:line`` or ``""``: how people-facing outputs name what a finding is about."""
    if not path:
        return ""
    return f"{path}:{line}" if line else path


# Imported after the helpers above because the reporter modules import those helpers from here.
from mcheck.reporters.github import render_github  # noqa: E402
from mcheck.reporters.json import render_json  # noqa: E402
from mcheck.reporters.junit import render_junit  # noqa: E402
from mcheck.reporters.sarif import render_sarif  # noqa: E402
from mcheck.reporters.text import render_text  # noqa: E402

FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "sarif": render_sarif,
    "github": render_github,
}


def render(format_name: str, reports: Sequence[Report], *, color: bool = False, verbosity: int = 0) -> str:
    """Format ``reports`` (one per target) as ``format_name``; raise ValueError for an unknown format."""
    try:
        reporter = FORMATS[format_name]
    except KeyError:
        valid = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown output format {format_name!r}; valid formats: {valid}") from None
    return reporter(reports, color=color, verbosity=verbosity)
