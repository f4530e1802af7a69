"""Prove fixes before anything is written: apply them to a private copy, run the pipeline again.

A fix is proven when, on the copy with it applied, the finding it fixes is gone and no finding
appears that the original run did not have. All fixes are tried together first (one re-run); when
that run is not clean, each is tried alone, so one fix that does not work cannot sink the others.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mcheck.errors import UsageError
from mcheck.findings import Finding, Fix, Report
from mcheck.fix.tree import write_fixes
from mcheck.gitcmd import run_git
from mcheck.wheel.discover import Project

Check = Callable[[Path], Report]  # the pipeline, run again on a directory
STAYED = "the finding remains after it"


@dataclass(frozen=True)
class Verdict:
    finding: Finding
    fix: Fix
    proven: bool
    reason: str | None = None  # why not


def fixable(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.fix is not None]


MAX_SINGLE_ATTEMPTS = 8  # re-runs spent on fixes one at a time, after the joint attempts failed


def prove(project: Project, findings: Sequence[Finding], check: Check) -> list[Verdict]:
    """A verdict for every finding of ``findings`` that carries a fix.

    First all fixes together; then, when some finding stayed, all of them again without the fixes
    whose findings stayed (those do not work); only when that run adds a finding are the rest
    tried one at a time, each distinct fix once (many findings share one fix: a package-data glob),
    at most :data:`MAX_SINGLE_ATTEMPTS` of them.
    """
    candidates = fixable(findings)
    if not candidates:
        return []
    before = {_key(f) for f in findings}
    with tempfile.TemporaryDirectory(prefix="mcheck-fix-") as scratch:
        attempts = iter(Path(scratch) / str(n) for n in range(10_000))
        verdicts = _attempt(project, candidates, before, check, next(attempts))
        settled = {id(v.finding): v for v in verdicts if v.proven or _stayed(v)}
        if len(settled) == len(verdicts):
            return verdicts
        rest = [f for f in candidates if id(f) not in settled]
        if len(rest) < len(candidates):
            again = _attempt(project, rest, before, check, next(attempts))
            if all(v.proven for v in again):
                settled.update((id(v.finding), v) for v in again)
                return [settled[id(f)] for f in candidates]
        settled.update(_one_at_a_time(project, rest, before, check, attempts))
        return [settled[id(f)] for f in candidates]


def _stayed(verdict: Verdict) -> bool:
    return verdict.reason == STAYED


def _one_at_a_time(
    project: Project, rest: list[Finding], before: set[tuple], check: Check, attempts
) -> dict[int, Verdict]:
    """Each distinct fix alone; findings sharing a fix share its verdict."""
    by_fix: dict[str, list[Finding]] = {}
    for finding in rest:
        assert finding.fix is not None
        by_fix.setdefault(finding.fix.description, []).append(finding)
    verdicts: dict[int, Verdict] = {}
    for index, group in enumerate(by_fix.values()):
        if index < MAX_SINGLE_ATTEMPTS:
            tried = _attempt(project, group, before, check, next(attempts))
        else:
            reason = (
                f"more than {MAX_SINGLE_ATTEMPTS} fixes to prove one by one: narrow with --select"
            )
            tried = [Verdict(f, f.fix, False, reason) for f in group if f.fix is not None]
        verdicts.update((id(v.finding), v) for v in tried)
    return verdicts


def _attempt(
    project: Project, candidates: list[Finding], before: set[tuple], check: Check, where: Path
) -> list[Verdict]:
    copy = copy_project(project, where)
    write_fixes(copy, [f.fix for f in candidates if f.fix is not None])
    after = check(copy).findings
    remaining = {_key(f) for f in after}
    new = [f for f in after if _key(f) not in before]
    verdicts = []
    for finding in candidates:
        assert finding.fix is not None
        if _key(finding) in remaining:
            verdicts.append(Verdict(finding, finding.fix, False, STAYED))
        elif new:
            added = ", ".join(f"{f.code} {f.path}" for f in new[:3])
            verdicts.append(Verdict(finding, finding.fix, False, f"it adds {added}"))
        else:
            verdicts.append(Verdict(finding, finding.fix, True))
    return verdicts


def _key(finding: Finding) -> tuple:
    return (finding.code, finding.path)


def copy_project(project: Project, destination: Path) -> Path:
    """The project's files as its build sees them, in ``destination``; a fresh git repository with
    one commit (and the original's latest tag, for VCS versions) when the original is in git."""
    if project.outside_paths or project.reads_parent:
        raise UsageError(
            f"{project.root}: its build reads files above the project directory, so mcheck cannot "
            "prove a fix on a copy of it"
        )
    destination.mkdir(parents=True)
    for name in sorted(set(project.files) | set(project.build_files)):
        source = project.root / name
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        elif source.is_file():
            shutil.copy2(source, target)
    if project.git_root is not None:
        _commit_copy(project, destination)
    return destination


def _commit_copy(project: Project, destination: Path) -> None:
    identity = [
        "-c",
        "user.email=fix@mcheck",
        "-c",
        "user.name=mcheck",
        "-c",
        "commit.gpgsign=false",
    ]
    for args in (["init", "-q"], ["add", "-A", "-f"], [*identity, "commit", "-q", "-m", "copy"]):
        run_git(args, repo=destination)
    try:
        tag = run_git(["describe", "--tags", "--abbrev=0"], repo=project.root).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if tag:
        run_git(["tag", tag.decode("utf-8", "replace")], repo=destination)
