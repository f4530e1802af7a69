"""The build-artifact cache: a project whose build inputs are unchanged gets last run's sdist and wheel.

Whether the backend ran is observed through the backend itself: ``markerdemo`` builds with setuptools
through a thin in-tree backend that appends one line per hook to ``$MCHECK_TEST_BUILD_MARKER``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import copy_sample
from mcheck.api import check_wheel
from mcheck.cache import builds as build_cache
from mcheck.findings import Report
from mcheck.wheel.build import BuildResult, build_artifacts
from mcheck.wheel.discover import discover_project
from mcheck.wheel.install import InstallFailed, resolve_requirements

RUN_DIR = re.compile(r"/mcheck-[A-Za-z0-9_]{8}(?=/)")
MARKER_BACKEND = '''"""setuptools' backend, plus one line per build hook in $MCHECK_TEST_BUILD_MARKER."""
import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every other hook unchanged


def _mark(hook):
    with open(os.environ["MCHECK_TEST_BUILD_MARKER"], "a") as marker:
        marker.write(hook + "\\n")


def build_sdist(sdist_directory, config_settings=None):
    _mark("build_sdist")
    return _setuptools.build_sdist(sdist_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _mark("build_wheel")
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
'''
PYPROJECT = """[build-system]
requires = [{requires}]
build-backend = "marker_backend"
backend-path = ["_build"]

[project]
name = "markerdemo"
version = "1.0"

[tool.setuptools]
packages = ["markerdemo"]
"""
BOTH_HOOKS = ["build_sdist", "build_wheel"]


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty mcheck cache for this test only."""
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file the marker backend appends to; ``hooks_run(marker)`` reads it."""
    path = tmp_path / "hooks.txt"
    monkeypatch.setenv("MCHECK_TEST_BUILD_MARKER", str(path))
    return path


def hooks_run(marker: Path) -> list[str]:
    return marker.read_text().split() if marker.exists() else []


def make_marker_project(root: Path, requires: str = '"setuptools>=61"') -> Path:
    files = {
        "pyproject.toml": PYPROJECT.format(requires=requires),
        "MANIFEST.in": "include _build/*.py\n",
        "_build/marker_backend.py": MARKER_BACKEND,
        "markerdemo/__init__.py": "VALUE = 1\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def build(project_root: Path, workdir: Path, *, cache: bool = True) -> BuildResult:
    """The build stage alone (what ``mcheck wheel`` runs first) on the project as it is on disk now."""
    result = build_artifacts(discover_project(project_root), workdir, cache=cache)
    assert result.failure is None, result.failure
    return result


def comparable(report: Report) -> tuple[list[tuple[object, ...]], list[tuple[str, str]]]:
    """Findings (run directories blanked) and module outcomes: what must not depend on the cache."""
    findings = sorted(
        (
            f.code,
            f.path,
            f.line,
            f.severity.value,
            RUN_DIR.sub("<run>", f.message),
            RUN_DIR.sub("<run>", f.hint or ""),
        )
        for f in report.findings
    )
    return findings, [(m.name, m.status.value) for m in report.module_outcomes]


def build_stage_name(report: Report) -> str:
    (name,) = [s.name for s in report.stages if s.name.startswith("build")]
    return name


def cache_entries(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "builds").iterdir() if p.is_dir())


# --- same findings, backend skipped ------------------------------------------------------------------


def test_findings_are_identical_cold_warm_and_uncached(tmp_path: Path, cache_root: Path) -> None:
    root = copy_sample("sdist_drops_file", tmp_path / "project")
    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty, contextlib.chdir(empty):
        cold, warm, uncached = (check_wheel(root, cache=cache) for cache in (True, True, False))
    assert comparable(cold) == comparable(warm) == comparable(uncached)
    assert {(f.code, f.path) for f in warm.findings} == {
        ("MC101", "pkg/extra.py"),
        ("MC301", "pkg.main"),
    }
    assert [build_stage_name(r) for r in (cold, warm, uncached)] == [
        "build",
        "build (cached)",
        "build",
    ]


def test_the_warm_build_does_not_run_the_backend(
    tmp_path: Path, cache_root: Path, marker: Path
) -> None:
    root = make_marker_project(tmp_path / "project")
    cold = build(root, tmp_path / "cold")
    assert hooks_run(marker) == BOTH_HOOKS and not cold.from_cache
    warm = build(root, tmp_path / "warm")
    assert hooks_run(marker) == BOTH_HOOKS, (
        "the backend ran although the build inputs were unchanged"
    )
    assert warm.from_cache
    assert warm.wheel is not None and cold.wheel is not None and warm.sdist is not None
    assert warm.wheel.read_bytes() == cold.wheel.read_bytes()
    assert warm.wheel.is_relative_to(tmp_path / "warm") and warm.sdist.is_relative_to(
        tmp_path / "warm"
    )


def test_no_cache_runs_the_backend_and_stores_nothing(
    tmp_path: Path, cache_root: Path, marker: Path
) -> None:
    root = make_marker_project(tmp_path / "project")
    build(root, tmp_path / "first", cache=False)
    build(root, tmp_path / "second", cache=False)
    assert hooks_run(marker) == BOTH_HOOKS * 2
    assert not (cache_root / "builds").exists()


# --- what invalidates an entry -----------------------------------------------------------------------


def test_a_changed_source_file_is_built_again_and_the_old_entry_still_serves_the_old_source(
    tmp_path: Path, cache_root: Path, marker: Path
) -> None:
    root = make_marker_project(tmp_path / "project")
    build(root, tmp_path / "v1")
    (root / "markerdemo" / "__init__.py").write_text("VALUE = 2\n")
    changed = build(root, tmp_path / "v2")
    assert not changed.from_cache and hooks_run(marker) == BOTH_HOOKS * 2
    assert changed.wheel is not None
    assert b"VALUE = 2" in _wheel_member(changed.wheel, "markerdemo/__init__.py")
    (root / "markerdemo" / "__init__.py").write_text("VALUE = 1\n")  # back to the first content
    assert build(root, tmp_path / "v1-again").from_cache
    assert hooks_run(marker) == BOTH_HOOKS * 2


def test_a_changed_build_requirement_is_built_again(
    tmp_path: Path, cache_root: Path, marker: Path
) -> None:
    root = make_marker_project(tmp_path / "project")
    build(root, tmp_path / "first")
    (root / "pyproject.toml").write_text(PYPROJECT.format(requires='"setuptools>=62"'))
    assert not build(root, tmp_path / "second").from_cache
    assert hooks_run(marker) == BOTH_HOOKS * 2


def test_a_new_release_of_an_unpinned_build_requirement_is_built_again(
    tmp_path: Path, cache_root: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_marker_project(tmp_path / "project")
    build(root, tmp_path / "first")

    def resolved_after_a_release(
        uv: str, requirements: list[str], interpreter: str, scratch: Path
    ) -> list[str]:
        pins = resolve_requirements(uv, requirements, interpreter, scratch)
        return [re.sub(r"^setuptools==.*", "setuptools==999.0", pin) for pin in pins]

    monkeypatch.setattr(build_cache, "resolve_requirements", resolved_after_a_release)
    assert not build(root, tmp_path / "second").from_cache
    assert hooks_run(marker) == BOTH_HOOKS * 2


def test_without_resolvable_build_requirements_the_cache_is_not_used(
    tmp_path: Path, cache_root: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(*args: object) -> list[str]:
        raise InstallFailed("could not resolve the dependencies", "network unreachable")

    monkeypatch.setattr(build_cache, "resolve_requirements", offline)
    root = make_marker_project(tmp_path / "project")
    results = [build(root, tmp_path / "first"), build(root, tmp_path / "second")]
    assert [r.from_cache for r in results] == [False, False]
    assert hooks_run(marker) == BOTH_HOOKS * 2
    assert not (cache_root / "builds").exists()


def test_a_vcs_versioned_project_is_keyed_by_its_commit_and_tags(
    tmp_path: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The source files stay byte-identical: only what setuptools-scm derives the version from changes.
    monkeypatch.setattr(build_cache, "resolve_requirements", lambda uv, reqs, *args: sorted(reqs))
    root = tmp_path / "project"
    make_marker_project(root, requires='"setuptools>=64", "setuptools-scm>=8"')
    pyproject = (
        (root / "pyproject.toml").read_text().replace('version = "1.0"', 'dynamic = ["version"]')
    )
    (root / "pyproject.toml").write_text(pyproject)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "--quiet"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "first"], check=True)

    def key() -> str:
        project = discover_project(root)
        assert project.uses_vcs_version
        inputs = build_cache.identify(project, sandboxed=False)
        assert inputs is not None
        return inputs.key

    first = key()
    assert key() == first  # stable while nothing changes
    subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", "second"], check=True)
    second = key()
    subprocess.run([*git, "tag", "v2.0"], check=True)
    tagged = key()
    assert len({first, second, tagged}) == 3


# --- concurrent runs ---------------------------------------------------------------------------------


def test_concurrent_runs_agree_and_share_one_entry(
    tmp_path: Path, cache_root: Path, marker: Path
) -> None:
    root = make_marker_project(tmp_path / "project")
    command = [sys.executable, "-m", "mcheck", "wheel", str(root), "-f", "json"]
    env = {**os.environ}  # carries MCHECK_CACHE_DIR (empty cache) and the marker file

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(proc: subprocess.Popen[str]) -> dict:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1) and stdout, stderr
        return json.loads(stdout)

    racing = [start(), start()]  # both miss the empty cache and race to publish the same entry
    reports = [finish(proc) for proc in racing]
    later = finish(start())
    findings = [
        sorted((f["code"], f["path"], f["message"]) for f in r["findings"])
        for r in [*reports, later]
    ]
    assert findings[0] == findings[1] == findings[2]
    assert [s["name"] for s in later["stages"] if s["name"].startswith("build")] == [
        "build (cached)"
    ]
    # the two racing runs built (their hooks interleave); the later one did not
    assert sorted(hooks_run(marker)) == sorted(BOTH_HOOKS * 2)
    assert len(cache_entries(cache_root)) == 1  # and no staging directory was left behind


def _wheel_member(wheel: Path, name: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name)
