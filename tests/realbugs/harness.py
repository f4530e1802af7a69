"""The real-bug corpus: packaging and deploy bugs that really shipped, each with the commit that fixed it.

``corpus.toml`` lists the cases (repository, broken and fixing commit, project subdirectory, command,
the findings a correct checker must report on the broken commit). For each case the harness exports a
commit from a local bare mirror of the repository into a fresh git repository (a real checkout has
``.git``: setuptools-scm, hatch-vcs and mcheck's own staging read it), runs mcheck on it through the real
CLI, and records what it said. No third-party code is stored here: only commit ids.

Mirrors are looked up under ``$MCHECK_MIRRORS`` (default ``/work/.mirror``) as ``owner+name/**``; a case
whose mirror is absent is skipped, saying so (CI has no mirrors).

Command line (used by ``nox -s realbugs``):

    python tests/realbugs/harness.py render RESULTS_DIR docs/realbugs.md
    python tests/realbugs/harness.py run CASE_ID [broken|fix]     # one run, prints the findings
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mcheck.catalogue import AUTOMATIC_FIXES

HERE = Path(__file__).resolve().parent
CORPUS_FILE = HERE / "corpus.toml"
MIRRORS = Path(os.environ.get("MCHECK_MIRRORS", "/work/.mirror"))
RUN_TIMEOUT = 1200  # seconds for one mcheck run (a build, an install and every import)
REPORTED_SEVERITIES = ("error", "warning")  # an info is not a report of a bug


@dataclass(frozen=True)
class Expected:
    code: str
    path: str | None

    def label(self) -> str:
        return f"{self.code} {self.path}" if self.path else self.code


@dataclass(frozen=True)
class Case:
    id: str
    repo: str
    broken: str
    fix: str
    subdir: str
    command: str  # "wheel" or "deploy"
    args: tuple[str, ...]
    backend: str
    expect: tuple[Expected, ...]
    why: str
    link: str
    known_miss: str = ""  # why mcheck misses it today, when it does (listed in docs/realbugs.md)
    fix_subdir: str | None = None  # where the project is on the fix commit, when the fix moved it
    tag: str | None = None  # a tag to put on the exported commit (a VCS version plugin needs one)


@dataclass
class Outcome:
    case: str
    side: str  # "broken", "fix", or "proof" (the broken commit with --diff)
    exit_code: int
    seconds: float
    findings: list[dict[str, Any]] = field(default_factory=list)
    stderr_tail: str = ""
    left_out: list[str] = field(default_factory=list)  # blobs the mirror lacks: empty placeholders
    # side "proof": what --diff did with each fix, the diff itself, and the files the project's own
    # fixing commit touched (relative to the project directory) to compare the proven fix with
    fixes: list[dict[str, Any]] = field(default_factory=list)
    diff: str = ""
    fix_commit_files: list[str] = field(default_factory=list)

    def matched(self, expected: Expected) -> bool:
        return any(
            _matches(f, expected) for f in self.findings if f["severity"] in REPORTED_SEVERITIES
        )

    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == "error"]


def _matches(finding: dict[str, Any], expected: Expected) -> bool:
    """Same code, and the finding names the expected path: as its subject, its repository path, or in
    its message (an MC001 that names the file the sdist lacks)."""
    if finding["code"] != expected.code:
        return False
    if expected.path is None:
        return True
    path = expected.path
    repo_path = finding.get("repo_path") or ""
    if finding.get("path") == path or repo_path == path or repo_path.endswith("/" + path):
        return True
    # A file named in the text counts (an MC001 naming what the sdist lacks); a bare module name does
    # not: `tatsu` is in the message of every failure of `tatsu.diagrams`.
    names_a_file = "/" in path or Path(path).suffix != ""
    return names_a_file and (
        path in (finding.get("message") or "") or path in (finding.get("hint") or "")
    )


def load_corpus(path: Path = CORPUS_FILE) -> list[Case]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Case(
            id=c["id"],
            repo=c["repo"],
            broken=c["broken"],
            fix=c["fix"],
            subdir=c.get("subdir", "."),
            command=c.get("command", "wheel"),
            args=tuple(c.get("args", ())),
            backend=c["backend"],
            expect=tuple(Expected(e["code"], e.get("path")) for e in c["expect"]),
            why=c["why"],
            link=c["link"],
            known_miss=c.get("known_miss", ""),
            fix_subdir=c.get("fix_subdir"),
            tag=c.get("tag"),
        )
        for c in data["case"]
    ]


def find_mirror(repo: str) -> Path | None:
    """The git directory of the bare mirror of ``owner/name``, or None."""
    base = MIRRORS / repo.replace("/", "+")
    if not base.is_dir():
        return None
    for candidate in sorted(base.rglob("HEAD")):
        git_dir = candidate.parent
        if (git_dir / "objects").is_dir():
            return git_dir
    return None


def export_commit(git_dir: Path, commit: str, dest: Path, tag: str | None = None) -> list[str]:
    """``commit``'s tree as a fresh one-commit git repository at ``dest``; returns the paths left out.

    Mirrors lack blobs of 4 MiB and more (media, data dumps), so ``git archive`` cannot be used: each
    blob is read on its own, and a missing one becomes an empty placeholder (listed), so that what the
    build selects stays the same. Symlinks stay symlinks.
    """
    dest.mkdir(parents=True)
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "surrogateescape")
    entries = []
    for record in filter(None, listing.split("\0")):
        meta, path = record.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":  # submodules ("commit") are not part of a checkout's own files
            entries.append((mode, sha, path))
    missing: list[str] = []
    with subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as batch:
        assert batch.stdin is not None and batch.stdout is not None
        for mode, sha, path in entries:
            batch.stdin.write(sha.encode() + b"\n")
            batch.stdin.flush()
            header = batch.stdout.readline().split()
            target = dest / path
            if len(header) < 3 or header[1] == b"missing":
                missing.append(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"")
                continue
            data = batch.stdout.read(int(header[2]))
            batch.stdout.read(1)  # the newline after each object
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == "120000":
                target.symlink_to(data.decode("utf-8", "surrogateescape"))
            else:
                target.write_bytes(data)
                if mode == "100755":
                    target.chmod(0o755)
        batch.stdin.close()
    git = [
        "git",
        "-c",
        "user.email=corpus@mcheck",
        "-c",
        "user.name=corpus",
        "-c",
        "init.defaultBranch=main",
    ]
    subprocess.run([*git, "init", "-q"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A", "-f"], cwd=dest, check=True)
    subprocess.run(
        [*git, "commit", "-q", "--no-verify", "-m", f"export of {commit}"], cwd=dest, check=True
    )
    if tag:
        subprocess.run([*git, "tag", tag], cwd=dest, check=True)
    return missing


def run_case(case: Case, side: str, workdir: Path) -> Outcome:
    git_dir = find_mirror(case.repo)
    if git_dir is None:
        raise LookupError(f"no mirror of {case.repo} under {MIRRORS}")
    commit = case.fix if side == "fix" else case.broken
    repo = workdir / f"{case.id}-{side}"
    left_out = export_commit(git_dir, commit, repo, case.tag)
    subdir = case.fix_subdir if side == "fix" and case.fix_subdir else case.subdir
    target = (repo / subdir).resolve()
    report = workdir / f"{case.id}-{side}.json"
    diff = ["--diff"] if side == "proof" else []
    if case.command == "deploy":
        argv = ["deploy", str(target), "--repo-root", str(repo), *case.args, *diff]
    else:
        argv = ["wheel", str(target), *case.args, *diff]
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mcheck", *argv, "-f", "json", "-o", str(report)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    seconds = time.monotonic() - started
    findings: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    if report.is_file() and report.stat().st_size:
        data = json.loads(report.read_text(encoding="utf-8"))
        reports = data.get("reports", [data]) if isinstance(data, dict) else data
        findings = [f for r in reports for f in r.get("findings", [])]
    fixes = [f for r in reports for f in r.get("fixes", [])] if side == "proof" else []
    return Outcome(
        case.id,
        side,
        proc.returncode,
        round(seconds, 1),
        findings,
        "\n".join(proc.stderr.strip().splitlines()[-5:]),
        left_out,
        fixes,
        proc.stdout if side == "proof" else "",
        _fix_commit_files(git_dir, case) if side == "proof" else [],
    )


def _fix_commit_files(git_dir: Path, case: Case) -> list[str]:
    """The files the project's own fixing commit changed, relative to the project directory."""
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", "diff", "--name-only", case.broken, case.fix],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    prefix = "" if case.subdir in ("", ".") else case.subdir.rstrip("/") + "/"
    return sorted(p[len(prefix) :] for p in out.splitlines() if p.startswith(prefix))


FIXABLE_CODES = frozenset(AUTOMATIC_FIXES)


def fixable_cases(cases: list[Case]) -> list[Case]:
    """Cases whose expected findings include a code --fix has a fix for."""
    return [c for c in cases if {e.code for e in c.expect} & FIXABLE_CODES]


def save_outcome(outcome: Outcome, results: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{outcome.case}-{outcome.side}.json").write_text(
        json.dumps(asdict(outcome), indent=1), "utf-8"
    )


def load_outcomes(results: Path) -> dict[tuple[str, str], Outcome]:
    outcomes = {}
    for path in sorted(results.glob("*.json")):
        outcome = Outcome(**json.loads(path.read_text(encoding="utf-8")))
        outcomes[outcome.case, outcome.side] = outcome
    return outcomes


# --- docs/realbugs.md -----------------------------------------------------------------------------------


def _verdicts(case: Case, outcomes: dict[tuple[str, str], Outcome]) -> tuple[str, str]:
    broken, fix = outcomes.get((case.id, "broken")), outcomes.get((case.id, "fix"))
    if broken is None:
        caught = "not run"
    else:
        missing = [e for e in case.expect if not broken.matched(e)]
        caught = "caught" if not missing else "missed: " + ", ".join(e.label() for e in missing)
    if fix is None:
        clean = "not run"
    else:
        wrong = [e for e in case.expect if fix.matched(e)]
        clean = "clean" if not wrong else "false error: " + ", ".join(e.label() for e in wrong)
    return caught, clean


def _fix_section(cases: list[Case], outcomes: dict[tuple[str, str], Outcome]) -> list[str]:
    """The broken commits whose bug --fix has a fix for, run with --diff: what it proved, and the
    files its diff touches next to those the project's own fixing commit touched."""
    ran = [
        (c, outcomes[c.id, "proof"]) for c in fixable_cases(cases) if (c.id, "proof") in outcomes
    ]
    if not ran:
        return []
    proven_cases = [
        c for c, o in ran if any(f["status"] == "proven" and _for_expected(f, c) for f in o.fixes)
    ]
    lines = [
        "## `--fix` on the broken commits",
        "",
        f"The {len(ran)} cases whose expected findings include a code with an automatic fix "
        f"({', '.join(sorted(FIXABLE_CODES))}), run on the broken commit with `mcheck wheel --diff` "
        "or `mcheck deploy --diff`: each fix applied to a "
        "private copy and proven by a re-run (its finding gone, no new finding). A proven fix "
        f"for an expected finding on **{len(proven_cases)}/{len(ran)}**. `files` compares what "
        "mcheck's diff touches with what the project's own fixing commit touched.",
        "",
        "| case | proven | not proven | mcheck's diff touches | the project's fix touches |",
        "|---|---|---|---|---|",
    ]
    for case, outcome in ran:
        proven = sorted({f["fix"] for f in outcome.fixes if f["status"] == "proven"})
        failed = sorted(
            {f"{f['fix']} ({f['reason']})" for f in outcome.fixes if f["status"] != "proven"}
        )
        ours = sorted(set(re.findall(r"^diff --git a/(\S+) ", outcome.diff, re.MULTILINE)))
        theirs = outcome.fix_commit_files
        lines.append(
            f"| {case.id} | {_cells(proven)} | {_cells(failed)} | {_cells(ours)} | "
            f"{_cells(theirs[:8])}{' ...' if len(theirs) > 8 else ''} |"
        )
    return [*lines, ""]


def _for_expected(fix: dict[str, Any], case: Case) -> bool:
    return any(fix["code"] == e.code for e in case.expect)


def _cells(items: list[str]) -> str:
    return "<br>".join(i.replace("|", "\\|") for i in items) or "none"


def render_markdown(cases: list[Case], outcomes: dict[tuple[str, str], Outcome]) -> str:
    rows, counts = [], Counter()
    for case in cases:
        caught, clean = _verdicts(case, outcomes)
        counts["run"] += caught != "not run"
        counts["caught"] += caught == "caught"
        counts["fix_run"] += clean != "not run"
        counts["clean"] += clean == "clean"
        expect = "<br>".join(e.label() for e in case.expect)
        rows.append(
            f"| [{case.id}]({case.link}) | {case.command} | {case.backend} | {expect} | {caught} | "
            f"{clean} | {case.why} |"
        )
    recall = f"{counts['caught']}/{counts['run']}" if counts["run"] else "0/0"
    clean = f"{counts['clean']}/{counts['fix_run']}" if counts["fix_run"] else "0/0"
    lines = [
        "# Real bugs: what mcheck says about packaging bugs that really shipped",
        "",
        "<!-- Generated by `nox -s realbugs` from tests/realbugs/corpus.toml. Do not edit by hand. -->",
        "",
        f"{len(cases)} cases from public repositories, each a broken commit and the commit that fixed it,",
        "exported from a local mirror into a fresh git repository and checked with the real CLI.",
        f"Broken commits caught (every expected finding reported): **{recall}**. Fix commits with none of",
        f"the expected findings: **{clean}**.",
        "",
        "| case | command | backend | expected on the broken commit | broken | fix | why |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]
    misses = [c for c in cases if c.known_miss]
    if misses:
        lines += ["", "## Known misses and why", ""]
        lines += [f"- **{c.id}**: {c.known_miss}" for c in misses]
    fixes = _fix_section(cases, outcomes)
    if fixes:
        lines += ["", *fixes]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["render"] and len(argv) == 3:
        Path(argv[2]).write_text(
            render_markdown(load_corpus(), load_outcomes(Path(argv[1]))), "utf-8"
        )
        return 0
    if argv[:1] == ["run"] and len(argv) in (2, 3):
        [case] = [c for c in load_corpus() if c.id == argv[1]]
        sides = [argv[2]] if len(argv) == 3 else ["broken", "fix"]
        with tempfile.TemporaryDirectory(prefix="mcheck-realbugs-") as tmp:
            for side in sides:
                outcome = run_case(case, side, Path(tmp))
                print(f"== {side} (exit {outcome.exit_code}, {outcome.seconds} s)")
                for f in outcome.findings:
                    print(f"  {f['code']} {f['severity']:7} {f['path']}  {f['message'][:160]}")
                for fix in outcome.fixes:
                    print(
                        f"  fix {fix['status']:10} {fix['code']} {fix['path']}: {fix['fix']}"
                        f"{' (' + fix['reason'] + ')' if fix['reason'] else ''}"
                    )
                for e in case.expect:
                    print(
                        f"  expected {e.label()}: {'reported' if outcome.matched(e) else 'not reported'}"
                    )
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
