"""Prove fixes before anything is written: apply them to a private copy, run the pipeline again.

A fix is proven when, on the copy with it applied, the finding it fixes is gone and no finding
appears that the original run did not have (a module it ships that fails to import with the very
exception the original run reported elsewhere is the same problem, not a new one). A finding that
appears only because of a fix and carries a fix of its own (adding a sub-package to a `packages`
list exposes its data files) is a follow-up: its fix is applied on the same copy and the pipeline
runs again, up to :data:`FOLLOW_UP_ROUNDS` times, the way ruff iterates its fixes. A proven
follow-up is written with the fix that caused it.

All fixes are tried together first; fixes whose findings stayed are dropped (they do not work) and
the rest tried again; when that still adds a finding, the set is halved until each half is clean or
is one fix, so one fix that breaks something costs a few re-runs, not one per fix.
"""

from __future__ import annotations

import re
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

Check = Callable[[Path], Report]  # the pipeline, run again on a copy of the tree
STAYED = "the finding remains after it"
FOLLOW_UP_ROUNDS = 2  # re-runs on one copy for findings that only a fix exposed
MAX_RERUNS = 12  # pipeline runs spent proving, follow-up rounds included


@dataclass(frozen=True)
class Verdict:
    finding: Finding
    fix: Fix
    proven: bool
    reason: str | None = None  # why not
    follow_up: bool = False  # the finding appeared only once another fix was applied


def fixable(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.fix is not None]


@dataclass(frozen=True)
class Tree:
    """What a fix is proven on: the directory the pipeline reads and the files it reads there
    (fix paths are relative to ``root``), and whether it is in git (a copy is then a fresh git
    repository with one commit and the original's latest tag)."""

    root: Path
    files: tuple[str, ...]
    in_git: bool

    @classmethod
    def of_project(cls, project: Project) -> Tree:
        if project.outside_paths or project.reads_parent:
            raise UsageError(
                f"{project.root}: its build reads files above the project directory, so mcheck "
                "cannot prove a fix on a copy of it"
            )
        files = tuple(sorted(set(project.files) | set(project.build_files)))
        return cls(project.root, files, project.git_root is not None)


def prove(tree: Tree, findings: Sequence[Finding], check: Check) -> list[Verdict]:
    """A verdict for every finding of ``findings`` that carries a fix, in their order, then one per
    proven follow-up (``follow_up=True``). Findings sharing one fix (a package-data glob) share its
    verdict."""
    candidates = fixable(findings)
    if not candidates:
        return []
    with tempfile.TemporaryDirectory(prefix="mcheck-fix-") as scratch:
        search = _Search(tree, findings, check, Path(scratch))
        search.run(_groups(candidates))
    return [search.verdicts[id(f)] for f in candidates] + search.follow_ups


@dataclass(frozen=True)
class _Group:
    """One distinct fix and the findings it fixes."""

    fix: Fix
    findings: tuple[Finding, ...]


def _groups(candidates: list[Finding]) -> list[_Group]:
    by_fix: dict[str, list[Finding]] = {}
    fixes: dict[str, Fix] = {}
    for finding in candidates:
        assert finding.fix is not None
        by_fix.setdefault(finding.fix.description, []).append(finding)
        fixes.setdefault(finding.fix.description, finding.fix)
    return [_Group(fixes[d], tuple(found)) for d, found in by_fix.items()]


@dataclass
class _Outcome:
    """The last run on one copy with a set of fixes (and their follow-ups) applied."""

    remaining: set[tuple]  # (code, path) of every finding of that run
    new: list[Finding]  # findings the original run did not have
    follow_ups: list[Finding]  # findings a fix exposed whose own fixes were applied too
    installed: dict[str, str]  # what that run's venv had installed


ONE_BY_ONE = 3  # at most this many fixes left: try each alone rather than halving


class _Search:
    def __init__(self, tree: Tree, before: Sequence[Finding], check: Check, scratch: Path):
        self.tree, self.check = tree, check
        self.before = {_key(f) for f in before}
        self.failures_before = {failure for f in before if (failure := _failure(f)) is not None}
        self.copies = (scratch / str(n) for n in range(10_000))
        self.runs_left = MAX_RERUNS
        self.verdicts: dict[int, Verdict] = {}
        self.follow_ups: list[Verdict] = []
        # Each clean attempt: its groups, and the follow-up findings its fixes fixed.
        self._accepted: list[tuple[list[_Group], _Outcome]] = []

    def run(self, groups: list[_Group]) -> None:
        self._search(groups)
        self._confirm()
        known: set[str] = set()
        for accepted, outcome in self._accepted:
            for group in accepted:
                fix = group.fix.refined(outcome.installed)
                for finding in group.findings:
                    self.verdicts[id(finding)] = Verdict(finding, fix, True)
            for finding in outcome.follow_ups:
                assert finding.fix is not None
                if finding.fix.description not in known:
                    known.add(finding.fix.description)
                    fix = finding.fix.refined(outcome.installed)
                    self.follow_ups.append(Verdict(finding, fix, True, follow_up=True))

    def _search(self, groups: list[_Group]) -> None:
        if not groups:
            return
        outcome = self._attempt(groups)
        if outcome is None:
            self._reject(groups, _out_of_runs())
            return
        stayed = [g for g in groups if any(_key(f) in outcome.remaining for f in g.findings)]
        self._reject(stayed, STAYED)
        working = [g for g in groups if g not in stayed]
        if not outcome.new:
            if working:
                self._accepted.append((working, outcome))
        elif stayed:
            self._search(working)  # a fix that does nothing may be the one that broke something
        elif len(working) == 1:
            added = ", ".join(f"{f.code} {f.path}" for f in outcome.new[:3])
            self._reject(working, f"it adds {added}")
        elif len(working) <= ONE_BY_ONE:
            for group in working:
                self._search([group])
        else:
            half = len(working) // 2
            self._search(working[:half])
            self._search(working[half:])

    def _confirm(self) -> None:
        """Fixes proven in separate attempts are written together: prove them together once; when
        they do not work together, only the first attempt's fixes are kept."""
        if len(self._accepted) < 2:
            return
        together = [g for accepted, _ in self._accepted for g in accepted]
        outcome = self._attempt(together)
        if (
            outcome is not None
            and not outcome.new
            and not any(_key(f) in outcome.remaining for g in together for f in g.findings)
        ):
            self._accepted = [(together, outcome)]
            return
        reason = (
            "it works alone, but not with the other proven fixes"
            if outcome is not None
            else _out_of_runs()
        )
        for later, _ in self._accepted[1:]:
            self._reject(later, reason)
        del self._accepted[1:]

    def _attempt(self, groups: list[_Group]) -> _Outcome | None:
        """Apply the fixes to a fresh copy and run; apply the follow-ups' fixes and run again."""
        if self.runs_left <= 0:
            return None
        copy = copy_tree(self.tree, next(self.copies))
        applied = {g.fix.description for g in groups}
        _apply(copy, self.tree, [g.fix for g in groups])
        follow_ups: list[Finding] = []
        for round_ in range(FOLLOW_UP_ROUNDS + 1):
            self.runs_left -= 1
            report = self.check(copy)
            after = report.findings
            new = [
                f
                for f in after
                if _key(f) not in self.before and _failure(f) not in self.failures_before
            ]
            more = [f for f in new if f.fix is not None and f.fix.description not in applied]
            if round_ == FOLLOW_UP_ROUNDS or not more or self.runs_left <= 0:
                break
            fixes = {f.fix.description: f.fix for f in more if f.fix is not None}
            applied.update(fixes)
            follow_ups.extend(more)
            _apply(copy, self.tree, list(fixes.values()))
        remaining = {_key(f) for f in after}
        exposed_and_fixed = [f for f in follow_ups if _key(f) not in remaining]
        return _Outcome(remaining, new, exposed_and_fixed, report.installed)

    def _reject(self, groups: list[_Group], reason: str) -> None:
        for group in groups:
            for finding in group.findings:
                self.verdicts[id(finding)] = Verdict(finding, group.fix, False, reason)


def _out_of_runs() -> str:
    return (
        f"more than {MAX_RERUNS} re-runs needed to prove it with the others: narrow with --select"
    )


def _key(finding: Finding) -> tuple:
    return (finding.code, finding.path)


_RAISED = re.compile(r" raised (?P<error>.+?)(?: \([^()]*\))?$", re.DOTALL)


def _failure(finding: Finding) -> tuple[str, str] | None:
    """(code, the exception) of an import failure: a module a fix ships that fails exactly as one
    the original run reported (the same exception: an MPI library this machine lacks) shows the same
    problem in one more place; the fix did not add it."""
    if finding.code not in ("MC301", "MC401"):
        return None
    match = _RAISED.search(finding.message)
    return (finding.code, match.group("error")) if match else None


def _apply(copy: Path, tree: Tree, fixes: list[Fix]) -> None:
    """Write the fixes into the copy and, in git, commit them as the user would before a release:
    a new file only ships from a setuptools-scm or hatch-vcs project once git tracks it."""
    written = write_fixes(copy, fixes)
    if tree.in_git and written:
        run_git(["add", "-f", "--", *written], repo=copy)
        _commit(copy, tree)


def copy_tree(tree: Tree, destination: Path) -> Path:
    """The tree's files in ``destination``; a fresh git repository with one commit (and the
    original's latest tag, for VCS versions) when the original is in git."""
    destination.mkdir(parents=True)
    for name in tree.files:
        source = tree.root / name
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        elif source.is_file():
            shutil.copy2(source, target)
    if tree.in_git:
        run_git(["init", "-q"], repo=destination)
        run_git(["add", "-A", "-f"], repo=destination)
        _commit(destination, tree)
    return destination


_IDENTITY = ["-c", "user.email=fix@mcheck", "-c", "user.name=mcheck", "-c", "commit.gpgsign=false"]


def _commit(copy: Path, tree: Tree) -> None:
    """Commit what is staged, and put the original's latest tag on it: a VCS version stays the
    release version however many fix commits the copy gets."""
    run_git([*_IDENTITY, "commit", "-q", "--allow-empty", "-m", "mcheck"], repo=copy)
    try:
        tag = run_git(["describe", "--tags", "--abbrev=0"], repo=tree.root).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if tag:
        run_git(["tag", "-f", tag.decode("utf-8", "replace")], repo=copy)
