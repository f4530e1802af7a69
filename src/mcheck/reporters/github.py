"""GitHub Actions output: workflow commands that become annotations, plus a job-summary table.

Annotations name the repository path of a finding's file (:attr:`Finding.repo_path`) when the pipeline
knows it, because GitHub places ``file=`` relative to the repository root, not to the wheel.

Escaping follows @actions/core (``toCommandValue``/``escapeData``/``escapeProperty``): in the
message ``%``, CR and LF are percent-encoded; property values also encode ``:`` and ``,`` because
those delimit the properties.
"""

from __future__ import annotations

from collections.abc import Sequence

from mcheck.findings import Finding, Report, Severity
from mcheck.reporters._common import cached_note, clean_text, location, on_pythons

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_RESULT = {0: "passed", 1: "failed"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(reports: Sequence[Report], *, color: bool = False, verbosity: int = 0) -> str:
    """One ``::error``/``::warning``/``::notice`` line per finding, in report order then finding order."""
    return "".join(command(f) + "\n" for report in reports for f in report.sorted_findings)


def command(finding: Finding) -> str:
    """The workflow command for one finding."""
    properties: list[tuple[str, str]] = []
    message = clean_text(finding.message + on_pythons(finding.pythons))
    file = finding.file
    if file is not None:
        properties.append(("file", file))
        if finding.line:
            properties.append(("line", str(finding.line)))
    if finding.path and finding.kind != "file":
        # A module or import name is no file name: keep it in the message, even when its file is annotated.
        message = f"{clean_text(finding.path)}: {message}"
    properties.append(("title", finding.code))
    if finding.hint:
        message += f" (fix: {clean_text(finding.hint)})"
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {props}::{escape_data(message)}"


def github_step_summary(reports: Sequence[Report]) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: one row per target, then a findings table per target."""
    lines = [
        "## mcheck",
        "",
        "| Target | Result | Errors | Warnings | Infos | Modules imported | Modules failed |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in reports:
        counts = " | ".join(
            str(r.count(s)) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        )
        lines.append(
            f"| {_cell(r.target)} | {_RESULT.get(r.exit_code, 'failed')}{_cached(r)} | {counts} "
            f"| {r.modules.imported} | {r.modules.failed} |"
        )
    for r in reports:
        if r.findings:
            lines.extend(_findings_table(r))
    return "\n".join(lines) + "\n"


def _cached(report: Report) -> str:
    return f" ({_cell(cached_note(report))})" if report.cached else ""


def _findings_table(report: Report) -> list[str]:
    lines = [
        "",
        f"### {_cell(report.target)}",
        "",
        "| Severity | Code | Where | Message | Fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in report.sorted_findings:
        # A file by its repository path; a module by its name, which says more than its file here.
        where = location(f.repo_path if f.kind == "file" and f.repo_path else f.path, f.line)
        lines.append(
            f"| {f.severity.value} | {f.code} | {_cell(where)} | {_cell(f.message)} | {_cell(f.hint or '')} |"
        )
    return lines


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell: no raw HTML, no column breaks, no line breaks."""
    text = clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", "<br>")
