"""CI fan-out: ``mcheck plan`` (the targets of a repository, as a GitHub Actions matrix), ``--shard K/N``
(one deterministic share of them) and ``mcheck merge`` (shard reports back into one).

A monorepo of hundreds of packages does not fit one runner; the CI's own engine runs the shares. The
plan reads files only (no build); the merge reads mcheck's own JSON reports (docs/json-schema.json).
"""

from __future__ import annotations

import json
import posixpath
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcheck.errors import UsageError
from mcheck.findings import Report
from mcheck.gitcmd import run_git
from mcheck.knowledge.conventions import REPOSITORY_ROOT_FILES
from mcheck.reporters.json import report_from_data
from mcheck.tomlfile import read_toml

MAX_MATRIX_JOBS = 256  # GitHub Actions runs at most 256 jobs per matrix
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock")
# Deploy files that make their directory a service (render.yaml and compose describe others).
SERVICE_FILES = (
    "Procfile",
    "railway.toml",
    "railway.json",
    "fly.toml",
    "nixpacks.toml",
    "app.json",
)
_SKIPPED_DIRS = ("node_modules", "site-packages", "__pycache__")


@dataclass(frozen=True)
class PlanTarget:
    """One thing CI checks: a Python project (``mcheck wheel``) or a deployed service (``mcheck deploy``)."""

    kind: str  # "wheel" or "deploy"
    path: str  # relative to the repository root, "." for the root itself

    def matrix_entry(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path}


# --- the plan --------------------------------------------------------------------------------------


def plan_targets(
    root: Path, files: Sequence[str], changed: set[str] | None = None
) -> list[PlanTarget]:
    """Every project and service of the repository whose ``files`` (repository-relative) are given;
    with ``changed``, only those whose inputs changed: their own files, their local dependencies'
    files, a lock file."""
    projects = _project_dirs(root, files)
    services = _service_dirs(root, files)
    targets = [PlanTarget("wheel", d) for d in projects] + [
        PlanTarget("deploy", d) for d in services
    ]
    if changed is not None:
        targets = [t for t in targets if _inputs_changed(root, t, changed, files)]
    return sorted(targets, key=lambda t: (t.path, t.kind))


def _project_dirs(root: Path, files: Sequence[str]) -> list[str]:
    dirs = []
    for file in files:
        name, directory = posixpath.basename(file), posixpath.dirname(file) or "."
        if _skipped(directory) or name not in ("pyproject.toml", "setup.py"):
            continue
        if name == "pyproject.toml" and not _is_project(read_toml(root / file)):
            continue
        dirs.append(directory)
    return sorted(set(dirs))


def _is_project(pyproject: dict[str, Any]) -> bool:
    """A project, not a virtual workspace root or a tool-configuration file."""
    return any(
        key in pyproject for key in ("project", "build-system")
    ) or "poetry" in pyproject.get("tool", {})


def _service_dirs(root: Path, files: Sequence[str]) -> list[str]:
    dirs: set[str] = set()
    for file in files:
        name, directory = posixpath.basename(file), posixpath.dirname(file) or "."
        if _skipped(directory):
            continue
        if name in SERVICE_FILES:
            dirs.add(directory)
        elif name in REPOSITORY_ROOT_FILES:  # they describe services elsewhere: those directories
            dirs.update(_described_services(root, file))
    return sorted(dirs)


def _described_services(root: Path, file: str) -> list[str]:
    """The directories a render.yaml (``rootDir``) or a compose file (``build.context``) deploys."""
    from mcheck.deploy.hostfiles import DeployFileError, read_host_file

    try:
        services = read_host_file(posixpath.basename(file), (root / file).read_text("utf-8"), file)
    except (OSError, UnicodeDecodeError, DeployFileError):
        return []  # `mcheck deploy` reports a file that does not parse (MC503)
    base = posixpath.dirname(file)
    joined = (posixpath.normpath(posixpath.join(base, s.root_dir or ".")) for s in services)
    return [d for d in joined if not d.startswith("..")]


def _skipped(directory: str) -> bool:
    parts = directory.split("/")
    return any((p.startswith(".") and p != ".") or p in _SKIPPED_DIRS for p in parts)


def _inputs_changed(
    root: Path, target: PlanTarget, changed: set[str], files: Sequence[str] = ()
) -> bool:
    from mcheck.wheel.local_deps import local_dependencies

    dirs = [target.path]
    inputs: set[str] = set()
    pyproject = root / target.path / "pyproject.toml"
    if target.kind == "wheel" and pyproject.is_file():
        for dependency in local_dependencies(root / target.path, read_toml(pyproject)):
            relative = dependency.root.resolve().relative_to(root.resolve()).as_posix()
            dirs.append(relative)
    if target.kind == "deploy" and files:
        more_dirs, inputs = _deploy_inputs(root, target.path, list(files))
        dirs += more_dirs
    for file in changed:
        if posixpath.basename(file) in LOCK_FILES or file in inputs:
            return True
        if any(d == "." or file == d or file.startswith(d + "/") for d in dirs):
            return True
    return False


def _deploy_inputs(root: Path, service: str, files: list[str]) -> tuple[list[str], set[str]]:
    """What a service's build reads besides its own directory: the repository files its image
    holds (a build context wider than the service), its Dockerfile and deploy files, and the
    repository projects it installs (``pip install ./packages/core``, a requirements line)."""
    from mcheck.deploy.configs import read_deploy_config
    from mcheck.deploy.runtime import reconstruct

    config = read_deploy_config(root / service, root, files)
    runtime, _ = reconstruct(config, root, files)
    inputs = set(runtime.files.values()) | set(config.files_read)
    inputs |= {config.dockerfile} if config.dockerfile else set()
    inputs |= {repo for install in runtime.local_installs for _, repo in install.files}
    dirs = [i.repo_dir for i in runtime.local_installs if i.repo_dir]
    return dirs, inputs


def changed_files(root: Path, since: str) -> set[str]:
    """Files changed between ``since`` and the working tree (committed or not), repository-relative."""
    try:
        committed = _git(root, "diff", "--name-only", f"{since}...HEAD")
        uncommitted = _git(root, "diff", "--name-only", "HEAD")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise UsageError(f"--changed-since {since}: git cannot compare ({exc})") from None
    return {line for line in (committed + uncommitted).splitlines() if line}


def _git(root: Path, *args: str) -> str:
    return run_git(args, repo=root, timeout=60).stdout.decode("utf-8", "surrogateescape")


def github_matrices(targets: Sequence[PlanTarget], max_jobs: int = MAX_MATRIX_JOBS) -> list[dict]:
    """The targets as GitHub Actions matrices of at most ``max_jobs`` jobs each (``include`` lists)."""
    entries = [t.matrix_entry() for t in targets]
    return [{"include": entries[i : i + max_jobs]} for i in range(0, len(entries), max_jobs)] or [
        {"include": []}
    ]


# --- shards ----------------------------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` with 1 <= K <= N; bad input otherwise."""
    k, sep, n = text.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise UsageError(f"--shard takes K/N with 1 <= K <= N, not {text!r}")
    return int(k), int(n)


def shard(targets: Iterable[Path], k: int, n: int) -> list[Path]:
    """Share ``k`` of ``n``: targets sorted by path, every ``n``-th from the ``k``-th. The shares are
    disjoint and together cover every target, whatever order the targets were given in."""
    ordered = sorted(dict.fromkeys(targets), key=lambda p: p.as_posix())
    return [target for index, target in enumerate(ordered) if index % n == k - 1]


# --- merging reports -------------------------------------------------------------------------------


def read_reports(paths: Sequence[Path]) -> list[Report]:
    """The reports of mcheck's JSON outputs (one report or several per file), in the order given."""
    reports: list[Report] = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: not an mcheck JSON report ({exc})") from None
        objects = data.get("reports", [data]) if isinstance(data, dict) else []
        try:
            reports.extend(report_from_data(obj) for obj in objects)
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"{path}: not an mcheck JSON report ({exc!r})") from None
    return reports
