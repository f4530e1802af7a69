"""``mcheck explain``: what a finding code means, and the generated ``docs/codes.md``.

Both read :data:`mcheck.catalogue.CATALOGUE` only, so the terminal help, the docs and the SARIF rules
cannot disagree. Regenerate the docs with ``python -m mcheck.explain --write-docs``.
"""

from __future__ import annotations

import difflib
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from mcheck.catalogue import AUTOMATIC_FIXES, CATALOGUE, CodeInfo
from mcheck.errors import UsageError

DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "codes.md"
REGENERATE = "python -m mcheck.explain --write-docs"
_WIDTH = 88


def fold_prose(text: str) -> str:
    """Catalogue prose with its source line breaks and indentation folded; blank lines split paragraphs."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def dedent_example(block: str) -> str:
    """A before/after example without the indentation it has inside ``catalogue.py``."""
    return textwrap.dedent(block).strip("\n")


def lookup(code: str) -> CodeInfo:
    """The catalogue entry for ``code`` (any case); UsageError naming the nearest code when unknown."""
    normalized = code.strip().upper()
    if normalized in CATALOGUE:
        return CATALOGUE[normalized]
    nearest = nearest_code(normalized)
    suggestion = f"; did you mean {nearest}?" if nearest else ""
    raise UsageError(
        f"unknown code {code!r}{suggestion} (`mcheck explain --list` shows every code)"
    )


def nearest_code(code: str) -> str | None:
    """The most similar catalogue code, or None when nothing is even close.

    Ties go to the earlier code in catalogue order (``MC10`` -> ``MC101``, not ``MC108``), which
    ``difflib.get_close_matches`` would break the other way.
    """
    best, best_ratio = None, 0.6  # below this, a suggestion is noise ("foo" is not "MC001")
    for candidate in CATALOGUE:
        ratio = difflib.SequenceMatcher(None, code.upper(), candidate).ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best


def explain(code: str) -> str:
    """Everything about one code, for the terminal: title, severity, stage, why, before and after."""
    info = lookup(code)
    why = "\n\n".join(
        textwrap.fill(p, _WIDTH, initial_indent="  ", subsequent_indent="  ")
        for p in fold_prose(info.why).split("\n\n")
    )
    parts = [
        f"{info.code}: {info.title}",
        f"severity: {info.severity.value}   stage: {info.stage.value}",
        "",
        "Why it happens",
        why,
        "",
        "Before",
        textwrap.indent(dedent_example(info.before), "    "),
        "",
        "After (fixed)",
        textwrap.indent(dedent_example(info.after), "    "),
        "",
        "Automatic fix",
        textwrap.fill(
            _automatic_fix(info.code), _WIDTH, initial_indent="  ", subsequent_indent="  "
        ),
    ]
    return "\n".join(parts) + "\n"


def _automatic_fix(code: str) -> str:
    how = AUTOMATIC_FIXES.get(code)
    if how is None:
        return "none: `--fix` leaves this one to you."
    return f"`--fix` {how}, once a re-run on a copy proved it (`--diff` shows it first)."


def explain_list() -> str:
    """One line per code: code, severity, stage, title."""
    return "".join(
        f"{i.code}  {i.severity.value:<7}  {i.stage.value:<8}  {i.title}\n"
        for i in CATALOGUE.values()
    )


def render_codes_markdown() -> str:
    """The full text of ``docs/codes.md``."""
    lines = [
        f"<!-- Generated from src/mcheck/catalogue.py by `{REGENERATE}`. Do not edit by hand. -->",
        "",
        "# Finding codes",
        "",
        "Every finding mcheck reports has a code. `mcheck explain CODE` prints the same text in the",
        "terminal; `--select` and `--ignore` take codes or prefixes (`MC1` is every diff check).",
        "",
        "| Code | Severity | Stage | Title |",
        "| --- | --- | --- | --- |",
    ]
    lines += [_markdown_row(info) for info in CATALOGUE.values()]
    for info in CATALOGUE.values():
        lines += _markdown_section(info)
    return "\n".join(lines) + "\n"


def _markdown_row(info: CodeInfo) -> str:
    title = info.title.replace("|", "\\|")  # a bare | would split the table cell
    return f"| [{info.code}](#{info.code.lower()}) | {info.severity.value} | {info.stage.value} | {title} |"


def _markdown_section(info: CodeInfo) -> list[str]:
    return [
        "",
        f"## {info.code}",
        "",
        f"**{info.title}**",
        "",
        f"Severity: **{info.severity.value}**. Stage: **{info.stage.value}**.",
        "",
        fold_prose(info.why),
        "",
        "Before:",
        "",
        "```text",
        dedent_example(info.before),
        "```",
        "",
        "After:",
        "",
        "```text",
        dedent_example(info.after),
        "```",
        "",
        f"Automatic fix: {_automatic_fix(info.code)}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mcheck.explain --write-docs [PATH]`` or ``--check [PATH]`` (exit 1 when stale)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("--write-docs", "--check") or len(args) > 2:
        print(
            f"usage: {REGENERATE} [PATH] | python -m mcheck.explain --check [PATH]", file=sys.stderr
        )
        return 2
    path = Path(args[1]) if len(args) == 2 else DOCS_PATH
    text = render_codes_markdown()
    if args[0] == "--check":
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date; run: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
