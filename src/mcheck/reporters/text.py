"""The human-readable reporter: findings grouped by stage, then severity, then a one-line summary.

Lines are built as :class:`rich.text.Text` so one code path serves both outputs: ``.plain`` for
files, pipes and ``NO_COLOR``, and a rich console render when the CLI asks for colour.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from itertools import groupby

from rich.console import Console
from rich.text import Text

from mcheck.findings import AppOutcome, Finding, Report, Severity, SuiteCounts
from mcheck.reporters._common import cached_note, clean_text, location, on_pythons

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
# "  error   MC101  " : the fix line and message continuation lines align under the code column.
_SEVERITY_WIDTH = max(len(s.value) for s in Severity) + 1
_INDENT = " " * (2 + _SEVERITY_WIDTH)


def render_text(reports: Sequence[Report], *, color: bool = False, verbosity: int = 0) -> str:
    """Per target a header and its findings; ``verbosity < 0`` shows errors only, ``> 0`` adds timings."""
    lines: list[Text] = []
    for report in reports:
        lines.extend(_report_lines(report, verbosity))
    lines.append(_summary(reports))
    return _to_string(lines, color)


def _report_lines(report: Report, verbosity: int) -> list[Text]:
    findings = report.sorted_findings
    if verbosity < 0:
        findings = [f for f in findings if f.severity is Severity.ERROR]
        if not findings:
            return []  # quiet: a clean target is not worth a line
    lines = [Text(f"== {clean_text(report.target)} ==", style="bold")]
    if len(report.pythons) > 1 or (report.pythons and verbosity > 0):
        # Which interpreters a green run speaks for; one chosen by default is named with -v.
        lines.append(Text(f"  Python {', '.join(report.pythons)}: {report.pythons_chosen}"))
    if report.cached:
        lines.append(Text(f"  {cached_note(report)}", style="dim"))
    if not findings:
        lines.append(Text("  no problems found", style="green"))
    # sorted_findings orders by pipeline stage first, so consecutive groups are whole stages.
    for stage, group in groupby(findings, key=lambda f: f.stage):
        lines.append(Text(f"{stage.value}:", style="bold"))
        for finding in group:
            lines.extend(_finding_lines(finding))
    lines.extend(_what_ran_lines(report, verbosity))
    lines.append(Text(""))
    return lines


def _what_ran_lines(report: Report, verbosity: int) -> list[Text]:
    """Apps and tests (unless quiet), then with -v the repository root and the stage timings."""
    lines: list[Text] = []
    if report.apps and verbosity >= 0:
        lines.extend(_app_lines(report.apps))
    if report.suite is not None and verbosity >= 0:
        lines.extend(_suite_lines(report))
    if report.fixes:
        lines.extend(_fix_lines(report))
    if verbosity > 0 and report.repository_root is not None:
        path, found_by = report.repository_root
        lines.append(Text(f"repository root: {clean_text(path)} ({found_by})"))
    if verbosity > 0 and report.stages:
        lines.extend(_timing_lines(report))
    return lines


def _finding_lines(finding: Finding) -> list[Text]:
    severity = finding.severity
    message_lines = clean_text(finding.message).split("\n")
    first = Text("  ")
    first.append(severity.value.ljust(_SEVERITY_WIDTH), style=_SEVERITY_STYLE[severity])
    first.append(finding.code, style="bold")
    first.append("  ")
    where = clean_text(location(finding.path, finding.line))
    if where:
        first.append(where, style="magenta")
        first.append(": ")
    first.append(message_lines[0] + on_pythons(finding.pythons))
    lines = [first]
    # Multi-line messages (tracebacks, build-log tails) stay indented under their finding.
    lines.extend(Text(_INDENT + "  " + rest) for rest in message_lines[1:])
    if finding.hint:
        for i, hint_line in enumerate(clean_text(finding.hint).split("\n")):
            prefix = "fix: " if i == 0 else "     "
            lines.append(Text(_INDENT + prefix + hint_line, style="green"))
    return lines


def _app_lines(apps: Sequence[AppOutcome]) -> list[Text]:
    """What was started: a clean run says which app answered which health path, not just "no problems"."""
    lines = [Text("apps:", style="bold")]
    for app in apps:
        line = Text("  ")
        line.append(
            "ok".ljust(_SEVERITY_WIDTH) if app.ok else "FAILED".ljust(_SEVERITY_WIDTH),
            style="green" if app.ok else "bold red",
        )
        on = f", on Python {app.python}" if app.python else ""
        line.append(f"{clean_text(app.spec)} ({app.mode}, from {clean_text(app.source)}{on})")
        if app.health is not None:
            answer = str(app.status) if app.status is not None else "no answer"
            line.append(f": GET {clean_text(app.health)} -> {answer}")
        lines.append(line)
    return lines


_FIX_STYLE = {"applied": "green", "proven": "green", "not proven": "yellow", "refused": "bold red"}


def _fix_lines(report: Report) -> list[Text]:
    """What --fix/--diff did with each finding's fix, and why a fix was not applied."""
    lines = [Text("fixes:", style="bold")]
    width = max(len(f.status) for f in report.fixes)
    for fix in report.fixes:
        line = Text("  ")
        line.append(fix.status.ljust(width), style=_FIX_STYLE.get(fix.status, ""))
        line.append(f"  {fix.code}  ")
        where = clean_text(fix.path or "")
        line.append(f"{where}: " if where else "", style="magenta")
        line.append(clean_text(fix.description))
        if fix.follow_up:
            line.append(" (exposed by another fix)")
        if fix.reason:
            line.append(f" ({clean_text(fix.reason)})")
        lines.append(line)
    return lines


def _suite_lines(report: Report) -> list[Text]:
    """What --tests ran, and how it came out: a green run says how many tests it stands on."""
    suite = report.suite
    assert suite is not None
    if not suite.paths:
        return [Text("tests:", style="bold"), Text(f"  {suite.chosen_by}", style="yellow")]
    where = "against the wheel" + (" and on the checkout" if suite.mode == "both" else " only")
    counts = SuiteCounts.of(report.tests)
    line = Text(f"  {_plural(counts.ran, 'test')} ran {where}: ")
    line.append(f"{counts.ran - counts.failed} passed", style="green")
    if counts.packaging:
        line.append(f", {counts.packaging} broken by the packaging (MC701/MC703)", style="bold red")
    if counts.code:
        line.append(f", {counts.code} failing on the checkout too (MC702)", style="yellow")
    paths = ", ".join(clean_text(p) for p in suite.paths)
    return [
        Text("tests:", style="bold"),
        Text(f"  {paths} ({clean_text(suite.chosen_by)}); {clean_text(suite.requirements_from)}"),
        line,
    ]


def _timing_lines(report: Report) -> list[Text]:
    lines = [Text("timings:", style="bold")]
    width = max(len(t.name) for t in report.stages)
    for timing in report.stages:
        line = Text(f"  {timing.name.ljust(width)}  {timing.seconds:7.2f}s  ")
        line.append("ok" if timing.ok else "FAILED", style="green" if timing.ok else "bold red")
        lines.append(line)
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _summary(reports: Sequence[Report]) -> Text:
    errors = sum(r.count(Severity.ERROR) for r in reports)
    warnings = sum(r.count(Severity.WARNING) for r in reports)
    infos = sum(r.count(Severity.INFO) for r in reports)
    imported = sum(r.modules.imported for r in reports)
    failed = sum(r.modules.failed for r in reports)
    skipped = sum(r.modules.skipped for r in reports)
    pythons = max((len(r.pythons) for r in reports), default=0)
    modules = f"imported {_plural(imported, 'module')}, {failed} failed"
    if pythons > 1:  # the counts are of imports: each module once per interpreter
        modules = f"{_plural(imported, 'module import')} ok on {pythons} Pythons, {failed} failed"
    if skipped:
        modules += f", {skipped} skipped"
    tested = [r for r in reports if r.suite is not None and r.suite.paths]
    if tested:
        counts = SuiteCounts.of(case for r in tested for case in r.tests)
        modules += f"; {_plural(counts.ran, 'test')} ran, {counts.failed} failed"
    scope = f"in {_plural(len(reports), 'target')} ({modules})"
    if errors + warnings + infos == 0:
        return Text(f"mcheck: no problems found {scope}", style="bold green")
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}, {_plural(infos, 'info')}"
    return Text(f"mcheck: {counts} {scope}", style="bold red" if errors else "bold")


def _to_string(lines: Iterable[Text], color: bool) -> str:
    if not color:
        return "".join(line.plain + "\n" for line in lines)
    buffer = io.StringIO()
    # Everything explicit: the CLI already decided on colour, so neither NO_COLOR/TERM detection nor the
    # terminal width may change the output (width is huge so rich never wraps; soft_wrap does the rest).
    console = Console(
        file=buffer,
        force_terminal=True,
        color_system="standard",
        no_color=False,
        width=10_000,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    for line in lines:
        console.print(line, soft_wrap=True)
    return buffer.getvalue()
