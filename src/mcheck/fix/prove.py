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


@dataclass(frozen=True)
class Verdict:
    finding: Finding
    fix: Fix
    proven: bool
    reason: str | None = None  # why not


def fixable(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.fix is not None]


def prove(project: Project, findings: Sequence[Finding], check: Check) -> list[Verdict]:
    """A verdict for every finding of ``findings`` that carries a fix."""
    candidates = fixable(findings)
    if not candidates:
        return []
    before = {_key(f) for f in findings}
    with tempfile.TemporaryDirectory(prefix="mcheck-fix-") as scratch:
        together = _attempt(project, candidates, before, check, Path(scratch) / "all")
        if all(v.proven for v in together) or len(candidates) == 1:
            return together
        return [
            _attempt(project, [finding], before, check, Path(scratch) / str(index))[0]
            for index, finding in enumerate(candidates)
        ]


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
            verdicts.append(Verdict(finding, finding.fix, False, "the finding remains after it"))
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
