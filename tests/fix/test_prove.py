"""How fixes are proven, with a stand-in for the pipeline: which fixes are kept, and how many
re-runs that takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcheck.findings import Finding, Fix, Report
from mcheck.fix import prove as proving
from mcheck.fix.edits import create_file
from mcheck.wheel.discover import discover_project

pytestmark = pytest.mark.unit


def project(tmp_path: Path) -> proving.Tree:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "demo"\nversion = "1"\n'
    )
    return proving.Tree.of_project(discover_project(root))


def finding(code: str, path: str, marker: str) -> Finding:
    """A finding whose fix creates ``marker``; the stand-in pipeline drops it when ``marker``
    exists in the copy."""
    return Finding(code, path, "msg", fix=Fix(f"create {marker}", (create_file(marker),)))


class Pipeline:
    """Reports every finding whose marker file is missing (one without a fix: always), plus
    ``adds`` when ``trigger`` exists (unless ``cured_by`` exists too)."""

    def __init__(self, findings, trigger=None, adds=None, inert=(), cured_by=None):
        self.findings, self.trigger, self.adds, self.inert = findings, trigger, adds, set(inert)
        self.cured_by = cured_by
        self.runs = 0

    def __call__(self, root: Path) -> Report:
        self.runs += 1
        report = Report(target=str(root))
        for f in self.findings:
            marker = f.fix.edits[0].path if f.fix is not None else None  # None: always there
            if marker is None or marker in self.inert or not (root / marker).exists():
                report.findings.append(f)
        cured = self.cured_by and (root / self.cured_by).exists()
        if self.trigger and (root / self.trigger).exists() and not cured:
            report.findings.append(self.adds)
        return report


def test_fixes_that_work_together_are_proven_in_one_rerun(tmp_path):
    findings = [finding("MC101", "a", "a.txt"), finding("MC102", "b", "b.txt")]
    pipeline = Pipeline(findings)
    verdicts = proving.prove(project(tmp_path), findings, pipeline)
    assert [v.proven for v in verdicts] == [True, True]
    assert pipeline.runs == 1


def test_a_fix_whose_finding_stays_is_dropped_and_the_others_proven_without_it(tmp_path):
    findings = [finding("MC101", "a", "a.txt"), finding("MC202", "b", "b.txt")]
    pipeline = Pipeline(findings, inert={"b.txt"}, trigger="b.txt", adds=Finding("MC301", "x", "m"))
    verdicts = proving.prove(project(tmp_path), findings, pipeline)
    assert [(v.proven, v.reason) for v in verdicts] == [
        (True, None),
        (False, "the finding remains after it"),
    ]
    assert pipeline.runs == 2  # together, then together without the fix that does nothing


def test_among_few_fixes_the_one_that_adds_a_finding_is_found_by_trying_each_alone(tmp_path):
    findings = [
        finding("MC101", "a", "a.txt"),
        finding("MC102", "b1", "b.txt"),
        finding("MC102", "b2", "b.txt"),  # the same fix as b1: tried once for both
        finding("MC202", "c", "c.txt"),
    ]
    pipeline = Pipeline(findings, trigger="c.txt", adds=Finding("MC301", "pkg.x", "m"))
    verdicts = proving.prove(project(tmp_path), findings, pipeline)
    assert [(v.finding.path, v.proven, v.reason) for v in verdicts] == [
        ("a", True, None),
        ("b1", True, None),
        ("b2", True, None),
        ("c", False, "it adds MC301 pkg.x"),
    ]
    # together; a, b, c alone; a and b together, as they will be written
    assert pipeline.runs == 1 + 3 + 1


def test_among_many_fixes_the_one_that_adds_a_finding_is_found_by_halving(tmp_path):
    findings = [finding("MC102", str(n), f"{n}.txt") for n in range(15)]
    findings.append(finding("MC202", "c", "c.txt"))
    pipeline = Pipeline(findings, trigger="c.txt", adds=Finding("MC301", "pkg.x", "m"))
    verdicts = proving.prove(project(tmp_path), findings, pipeline)
    assert [v.proven for v in verdicts] == [True] * 15 + [False]
    # 16, then 8 clean + 8; 4 clean + 4; 2 clean + 2; 1 clean + 1: 9, and one run to confirm
    # that the four clean halves work together
    assert pipeline.runs == 1 + 2 + 2 + 2 + 2 + 1


def test_a_finding_a_fix_exposes_is_fixed_on_the_same_copy_as_a_follow_up(tmp_path):
    exposed = finding("MC102", "pkg/sub/data.json", "pkg/sub/MANIFEST")
    findings = [finding("MC101", "pkg/sub/x.py", "pkg/sub/__init__.py")]
    pipeline = Pipeline(findings, trigger="pkg/sub/__init__.py", adds=exposed)
    pipeline.cured_by = "pkg/sub/MANIFEST"
    verdicts = proving.prove(project(tmp_path), findings, pipeline)
    assert [(v.finding.path, v.proven, v.follow_up) for v in verdicts] == [
        ("pkg/sub/x.py", True, False),
        ("pkg/sub/data.json", True, True),
    ]
    assert pipeline.runs == 2  # the fix, then its follow-up on the same copy


def test_fixes_left_when_the_reruns_run_out_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr(proving, "MAX_RERUNS", 3)
    findings = [finding("MC102", str(n), f"{n}.txt") for n in range(8)]
    findings.append(finding("MC202", "c", "c.txt"))
    pipeline = Pipeline(findings, trigger="c.txt", adds=Finding("MC301", "pkg.x", "m"))
    verdicts = proving.prove(project(tmp_path), findings, pipeline)
    assert pipeline.runs == 3
    assert [v.proven for v in verdicts] == [True] * 4 + [False] * 5
    assert verdicts[-1].reason == (
        "more than 3 re-runs needed to prove it with the others: narrow with --select"
    )


def test_a_file_without_a_final_newline_keeps_it_and_its_diff_applies(tmp_path):
    import subprocess

    from mcheck.fix.edits import toml_array_append
    from mcheck.fix.tree import unified_diff

    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = [\n  "a"\n]\n[x]\ny = 1')
    git = ["git", "-c", "user.email=t@m", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "i"]):
        subprocess.run([*git, *args], cwd=tmp_path, check=True)
    edit = toml_array_append("pyproject.toml", ("project", "dependencies"), ["b"])
    assert edit.change("y = 1").endswith("y = 1\n") is False
    diff = unified_diff(tmp_path, [Fix("add b", (edit,))], label_root=tmp_path)
    assert diff.endswith(" y = 1\n\\ No newline at end of file\n")  # untouched: context
    edit_last = Fix("x", (create_file("new.txt", "z"),))
    assert unified_diff(tmp_path, [edit_last], label_root=tmp_path).endswith(
        "+z\n\\ No newline at end of file\n"
    )
    applied = subprocess.run(
        ["git", "apply", "--check", "-"], cwd=tmp_path, input=diff, text=True, check=False
    )
    assert applied.returncode == 0


MPI = "raised RuntimeError: cannot load MPI library"


@pytest.mark.parametrize(
    ("added", "proven"),
    [
        (f"importing pkg.common.counter {MPI} (pkg/common/parallel.py:3)", True),
        ("importing pkg.common.counter raised ImportError: No module named 'h5py'", False),
    ],
    ids=["the failure the run already had", "a failure of its own"],
)
def test_a_shipped_module_failing_exactly_as_one_already_reported_is_not_added_by_the_fix(
    tmp_path, added, proven
):
    """Shipping a dropped sub-package exposes its modules to the import probe: one that fails with
    the exception the original run reported for another module is that problem in one more place."""
    already = Finding("MC301", "pkg.run", f"importing pkg.run {MPI} (pkg/run.py:5)", kind="module")
    fixable = finding("MC101", "pkg/common/counter.py", "pkg/common/__init__.py")
    pipeline = Pipeline(
        [already, fixable],
        trigger="pkg/common/__init__.py",
        adds=Finding("MC301", "pkg.common.counter", added, kind="module"),
    )
    [verdict] = proving.prove(project(tmp_path), [already, fixable], pipeline)
    assert verdict.proven is proven
