"""CI fan-out: `mcheck plan` lists a repository's targets as GitHub Actions matrices, `--shard K/N`
splits them into disjoint shares that cover all, `mcheck merge` gives back what one run gives."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import copy_sample
from mcheck.errors import UsageError
from mcheck.fanout import github_matrices, parse_shard, plan_targets, shard

# What GitHub Actions accepts as `strategy.matrix` when it comes from `fromJSON(...)`: a mapping whose
# `include` is a list of mappings (job variables), at most 256 jobs per matrix
# (docs.github.com: "Using a matrix for your jobs"; SchemaStore's github-workflow.json `matrix`).
GITHUB_MATRIX_SCHEMA = {
    "type": "object",
    "required": ["include"],
    "additionalProperties": False,
    "properties": {
        "include": {
            "type": "array",
            "maxItems": 256,
            "items": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            },
        }
    },
}


def _mcheck(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcheck", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """The uv workspace sample, plus a service with a Procfile and a root render.yaml, in git."""
    repo = copy_sample("uv_workspace", tmp_path / "repo")
    (repo / "services/web").mkdir(parents=True)
    (repo / "services/web/Procfile").write_text("web: uvicorn main:app\n", encoding="utf-8")
    (repo / "services/web/main.py").write_text("app = None\n", encoding="utf-8")
    (repo / "render.yaml").write_text(
        "services:\n  - type: web\n    name: api\n    rootDir: packages/api\n"
        "    startCommand: uvicorn mcheck_ws_api:app\n",
        encoding="utf-8",
    )
    (repo / "uv.lock").write_text("version = 1\n", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    return repo


def _planned(repo: Path, *args: str) -> dict:
    proc = _mcheck("plan", ".", *args, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_plan_lists_every_project_and_service_and_is_a_valid_github_matrix(monorepo):
    plan = _planned(monorepo)
    assert plan["targets"] == [
        {"kind": "deploy", "path": "packages/api"},  # the root render.yaml's service
        {"kind": "wheel", "path": "packages/api"},
        {"kind": "wheel", "path": "packages/core"},
        {"kind": "wheel", "path": "packages/worker"},
        {"kind": "deploy", "path": "services/web"},
    ]  # the virtual workspace root is not a project
    [matrix] = plan["matrices"]
    jsonschema.validate(matrix, GITHUB_MATRIX_SCHEMA)
    assert matrix["include"] == plan["targets"]


def test_matrices_are_chunked_to_the_job_limit(monorepo):
    plan = _planned(monorepo, "--max-jobs", "2")
    assert [len(m["include"]) for m in plan["matrices"]] == [2, 2, 1]  # 5 targets
    for matrix in plan["matrices"]:
        jsonschema.validate(matrix, GITHUB_MATRIX_SCHEMA)
    assert [e for m in plan["matrices"] for e in m["include"]] == plan["targets"]


def test_changed_since_selects_the_changed_targets_and_their_dependents(monorepo):
    core = monorepo / "packages/core/src/mcheck_ws_core/__init__.py"
    core.write_text(core.read_text() + "EXTRA = 1\n", encoding="utf-8")
    changed = [
        (t["kind"], t["path"]) for t in _planned(monorepo, "--changed-since", "HEAD")["targets"]
    ]
    assert changed == [  # api and worker depend on core
        ("wheel", "packages/api"),
        ("wheel", "packages/core"),
        ("wheel", "packages/worker"),
    ]
    (monorepo / "services/web/main.py").write_text("app = 1\n", encoding="utf-8")
    _git(monorepo, "checkout", "--", "packages")
    assert [t["path"] for t in _planned(monorepo, "--changed-since", "HEAD")["targets"]] == [
        "services/web"
    ]
    (monorepo / "uv.lock").write_text("version = 2\n", encoding="utf-8")  # the lock: everything
    assert len(_planned(monorepo, "--changed-since", "HEAD")["targets"]) == 5
    assert [len(m["include"]) for m in _planned(monorepo, "--max-jobs", "2")["matrices"]] == [
        2,
        2,
        1,
    ]


def test_an_empty_plan_is_still_a_valid_matrix(tmp_path):
    assert plan_targets(tmp_path, []) == []
    jsonschema.validate(github_matrices([])[0], GITHUB_MATRIX_SCHEMA)


def test_shards_are_disjoint_cover_every_target_and_ignore_the_given_order():
    rng = random.Random(7)
    targets = [Path(f"packages/p{i:03d}") for i in range(101)]
    for n in (1, 2, 3, 8, 101, 150):
        shuffled = rng.sample(targets, len(targets))
        shares = [shard(shuffled, k, n) for k in range(1, n + 1)]
        flat = [t for share in shares for t in share]
        assert sorted(flat) == sorted(targets) and len(flat) == len(set(flat))
        assert shares == [shard(targets, k, n) for k in range(1, n + 1)]


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_a_bad_shard_is_bad_input(text):
    with pytest.raises(UsageError, match=r"--shard takes K/N with 1 <= K <= N"):
        parse_shard(text)


def _without_timings(data: dict) -> dict:
    """Timings, and what came from a cache (a shard may replay the single run's results), differ from
    run to run; findings do not."""
    for report in data.get("reports", [data]):
        for volatile in ("stages", "cached", "computed_at"):
            report.pop(volatile, None)
        report["module_outcomes"] = [{**o, "seconds": 0} for o in report["module_outcomes"]]
    return data


def test_merging_the_shard_reports_gives_what_one_run_gives(tmp_path):
    one = copy_sample("clean_flit", tmp_path / "clean_flit")
    two = copy_sample("undefined_name", tmp_path / "undefined_name")
    single = _mcheck("wheel", str(one), str(two), "-f", "json", cwd=tmp_path)
    for k in (1, 2):
        shard_run = _mcheck(
            "wheel",
            str(two),
            str(one),
            "--shard",
            f"{k}/2",
            "-f",
            "json",
            "-o",
            f"s{k}.json",
            cwd=tmp_path,
        )
        assert shard_run.returncode in (0, 1), shard_run.stderr
    merged = _mcheck("merge", "s1.json", "s2.json", "-f", "json", cwd=tmp_path)
    assert merged.returncode == single.returncode == 1
    assert _without_timings(json.loads(merged.stdout)) == _without_timings(
        json.loads(single.stdout)
    )
    # and any other format renders from the merged reports
    sarif = _mcheck("merge", "s1.json", "s2.json", "-f", "sarif", cwd=tmp_path)
    assert sarif.returncode == 1 and json.loads(sarif.stdout)["version"] == "2.1.0"


def test_merge_of_something_else_is_bad_input(tmp_path):
    (tmp_path / "x.json").write_text('{"not": "a report"}', encoding="utf-8")
    proc = _mcheck("merge", "x.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mcheck: error: x.json: not an mcheck JSON report")


def test_a_service_changes_when_a_package_its_build_installs_changes(tmp_path):
    """A root-directory service installing the repository's core by this repository's git URL
    (`#subdirectory=packages/core`): a change to the core selects the service too, a change
    elsewhere outside the service does not."""
    repo = copy_sample("deploy_requirements_outside_root_fixed", tmp_path / "repo")
    files = [p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()]
    core = {"packages/core/src/mcheck_rootcore/__init__.py"}
    selected = {(t.kind, t.path) for t in plan_targets(repo, files, core)}
    assert selected == {("deploy", "services/api"), ("wheel", "packages/core")}
    assert plan_targets(repo, files, {"README.md"}) == []
