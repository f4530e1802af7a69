"""The real-bug corpus (slow: `nox -s realbugs`): every expected finding on each broken commit, none
of them on the commit that fixed it. Outcomes are saved under ``$MCHECK_REALBUGS_RESULTS`` for
``harness.py render``."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from harness import Case, find_mirror, fixable_cases, load_corpus, run_case, save_outcome

pytestmark = [pytest.mark.slow, pytest.mark.realbugs]

CORPUS = load_corpus()
RESULTS_DIR = Path(
    os.environ.get("MCHECK_REALBUGS_RESULTS") or tempfile.mkdtemp(prefix="mcheck-realbugs-")
)


def test_the_corpus_is_broad_enough() -> None:
    assert len(CORPUS) >= 40
    assert len({c.id for c in CORPUS}) == len(CORPUS), "a case id is listed twice"
    assert sum(c.command == "deploy" for c in CORPUS) >= 8


@pytest.mark.parametrize("side", ["broken", "fix"])
@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_case(case: Case, side: str, tmp_path: Path) -> None:
    if find_mirror(case.repo) is None:
        pytest.skip(f"no local mirror of {case.repo} (fetch it to run this case)")
    outcome = run_case(case, side, tmp_path)
    save_outcome(outcome, RESULTS_DIR)
    described = "\n".join(f"{f['code']} {f['path']} {f['message'][:200]}" for f in outcome.findings)
    if side == "broken":
        missing = [e.label() for e in case.expect if not outcome.matched(e)]
        assert not missing, f"not reported: {missing}\n{described}\n{outcome.stderr_tail}"
    else:
        wrong = [e.label() for e in case.expect if outcome.matched(e)]
        assert not wrong, f"still reported on the fix: {wrong}\n{described}"


@pytest.mark.parametrize("case", fixable_cases(CORPUS), ids=[c.id for c in fixable_cases(CORPUS)])
def test_diff_on_the_broken_commit_proves_fixes_that_apply_and_writes_nothing(
    case: Case, tmp_path: Path
) -> None:
    """--diff on the broken commit: the tree is left as it was, and the proven fixes, as printed,
    apply to it with `git apply`. How many cases get a proven fix is reported in docs/realbugs.md."""
    if find_mirror(case.repo) is None:
        pytest.skip(f"no local mirror of {case.repo} (fetch it to run this case)")
    outcome = run_case(case, "proof", tmp_path)
    save_outcome(outcome, RESULTS_DIR)
    repo = tmp_path / f"{case.id}-proof"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert status.stdout == "", f"--diff changed the tree:\n{status.stdout}"
    if outcome.diff:
        check = subprocess.run(
            ["git", "apply", "--check", "-"], cwd=repo, input=outcome.diff, text=True, check=False
        )
        assert check.returncode == 0, outcome.diff
