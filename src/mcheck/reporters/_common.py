"""What the reporters share: cleaning quoted text and naming what a finding is about."""

from __future__ import annotations

import re

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


def location(path: str | None, line: int | None) -> str:
    """``path``, ``path:line`` or ``""``: how people-facing outputs name what a finding is about."""
    if not path:
        return ""
    return f"{path}:{line}" if line else path


def on_pythons(pythons: tuple[str, ...]) -> str:
    """`` (on Python 3.10 only)``: the interpreters a finding occurs on, when not on all checked."""
    if not pythons:
        return ""
    return f" (on Python {', '.join(pythons)} only)"


def cached_note(report: Report) -> str:
    """What a replayed report says about itself: when its findings were computed, and how to redo."""
    return (
        f"replayed from the result cache: nothing it depends on changed since {report.computed_at} "
        "(--no-cache checks again)"
    )
