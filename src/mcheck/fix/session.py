"""One ``--fix``/``--diff`` pass over a run's report, the same for every command: prove the fixes
on copies of the tree, then write the proven ones (``--fix``) or render them (``--diff``), and say in
the report what happened to each."""

from __future__ import annotations

from mcheck.findings import Fix, FixOutcome, Report
from mcheck.fix.prove import Check, Tree, Verdict, prove
from mcheck.fix.tree import new_contents, uncommitted, unified_diff, write_fixes


def fix_report(report: Report, tree: Tree, check: Check, *, mode: str, force: bool) -> None:
    """``mode`` is "write" or "diff". Written fixes take their findings out of the report."""
    verdicts = prove(tree, report.findings, check)
    proven = [v for v in verdicts if v.proven]
    refused = _refusal(tree, [v.fix for v in proven]) if mode == "write" and not force else None
    if mode == "diff":
        report.fix_diff = unified_diff(tree.root, [v.fix for v in proven])
    elif refused is None:
        write_fixes(tree.root, [v.fix for v in proven])
        fixed = {id(v.finding) for v in proven}
        report.findings = [f for f in report.findings if id(f) not in fixed]
    report.fixes = [fix_outcome(v, mode, refused) for v in verdicts]


def _refusal(tree: Tree, fixes: list[Fix]) -> str | None:
    """Why the proven fixes must not be written: uncommitted changes to a file they touch."""
    dirty = uncommitted(tree.root, new_contents(tree.root, fixes))
    if not dirty:
        return None
    return f"uncommitted changes to {', '.join(dirty)} (commit them, or --force)"


def fix_outcome(verdict: Verdict, mode: str | None, refused: str | None) -> FixOutcome:
    finding = verdict.finding
    if not verdict.proven:
        status, reason = "not proven", verdict.reason
    elif refused is not None:
        status, reason = "refused", refused
    else:
        status, reason = ("proven" if mode == "diff" else "applied"), None
    return FixOutcome(
        finding.code, finding.path, verdict.fix.description, status, reason, verdict.follow_up
    )
