"""Caches that never answer wrongly: keyed by what the project's build code reads and by the content of
local dependencies, damaged entries evicted, and ``mcheck cache`` evicting by age and size."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_sample
from mcheck.api import check_wheel
from mcheck.cache.build_scripts import _reads_in, environment_reads
from mcheck.cache.local_refs import local_reference_digests
from mcheck.cache.manage import clean, entries, parse_duration, parse_size

SETUP_COPIES_ENVIRONMENT = """import os, subprocess, sys
from setuptools import setup

subprocess.run([sys.executable, "-c", "pass"], env=os.environ.copy(), check=True)
setup()
"""
PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "envdemo"
{version}

[tool.setuptools]
packages = ["envdemo"]
"""


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def project_with_setup(root: Path, setup_py: str, *, dynamic_version: bool) -> Path:
    (root / "envdemo").mkdir(parents=True)
    (root / "envdemo" / "__init__.py").write_text("")
    (root / "setup.py").write_text(setup_py)
    version = 'dynamic = ["version"]' if dynamic_version else 'version = "1.0"'
    (root / "pyproject.toml").write_text(PYPROJECT.format(version=version))
    return root


def build_stage(report) -> str:
    return next(s.name for s in report.stages if s.name.startswith("build"))


# --- what the project's build code reads ------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("source", "names"),
    [
        ('import os\nos.environ["A"]\nos.getenv("B")\n"C" in os.environ\n', {"A", "B", "C"}),
        ('from os import environ, getenv\nenviron.get("D", "x")\ngetenv("E")\n', {"D", "E"}),
        ('import os\nos.environ.setdefault("F", "1")\n', {"F"}),
        ("import os\nos.environ.copy()\n", None),
        ("import os\nos.environ.get(name)\n", None),
        ("import os\nfor key in os.environ: pass\n", None),
        ("print('no environment')\n", set()),
    ],
)
def test_the_environment_reads_of_build_code_are_literal_names_or_unknown(source, names):
    assert _reads_in(ast.parse(source)) == names


@pytest.mark.unit
def test_build_code_includes_the_helpers_setup_py_imports_and_the_in_tree_backend(
    tmp_path: Path,
) -> None:
    (tmp_path / "setup.py").write_text("import _helper\n")
    (tmp_path / "_helper.py").write_text('import os\nos.environ["FROM_HELPER"]\n')
    (tmp_path / "_backend").mkdir()
    (tmp_path / "_backend" / "hooks.py").write_text('import os\nos.getenv("FROM_BACKEND")\n')
    (tmp_path / "unrelated.py").write_text("import os\nos.environ.copy()\n")  # not build code
    assert environment_reads(tmp_path, ["_backend"]) == {"FROM_HELPER", "FROM_BACKEND"}


def test_a_variable_setup_py_reads_is_part_of_the_build_cache_key(
    tmp_path: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_sample("hostile/setup_py_reads_environment", tmp_path / "p")
    monkeypatch.setenv("RELEASE_VERSION", "1.0")
    assert build_stage(check_wheel(project)) == "build"
    assert build_stage(check_wheel(project)) == "build (cached)"
    monkeypatch.setenv("RELEASE_VERSION", "2.0")
    second = check_wheel(project)
    assert build_stage(second) == "build"  # not last run's 1.0 wheel
    assert [f.code for f in second.findings if f.severity.value == "error"] == []


def test_build_code_that_copies_the_whole_environment_is_never_cached(
    tmp_path: Path, cache_root: Path
) -> None:
    project = project_with_setup(tmp_path / "p", SETUP_COPIES_ENVIRONMENT, dynamic_version=False)
    assert build_stage(check_wheel(project)) == "build"
    assert build_stage(check_wheel(project)) == "build"


# --- damaged entries ------------------------------------------------------------------------------


def test_a_damaged_build_entry_is_evicted_and_the_run_builds_instead(
    tmp_path: Path, cache_root: Path
) -> None:
    project = project_with_setup(
        tmp_path / "p", "from setuptools import setup\nsetup()\n", dynamic_version=False
    )
    assert build_stage(check_wheel(project)) == "build"
    (entry,) = [e.path for e in entries(cache_root) if e.kind == "builds"]
    (wheel,) = (entry / "wheel").iterdir()
    wheel.write_bytes(wheel.read_bytes()[:100])  # truncated on disk
    report = check_wheel(project)
    assert build_stage(report) == "build"
    assert report.exit_code == 0
    assert build_stage(check_wheel(project)) == "build (cached)"  # stored afresh, intact


# --- local dependencies ---------------------------------------------------------------------------


@pytest.mark.unit
def test_a_local_directory_reference_is_keyed_by_its_content(tmp_path: Path) -> None:
    dep = tmp_path / "dep"
    (dep / "dep").mkdir(parents=True)
    (dep / "dep" / "__init__.py").write_text("VALUE = 1\n")
    pins = [f"dep @ {dep.as_uri()}", "idna==3.7"]
    before = local_reference_digests(pins)
    (dep / "dep" / "__pycache__").mkdir()  # caches are not content
    (dep / "dep" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert local_reference_digests(pins) == before
    (dep / "dep" / "__init__.py").write_text("VALUE = 2\n")  # edited, same version
    after = local_reference_digests(pins)
    assert before is not None and after is not None
    assert list(after) == [dep.as_uri()] and after != before


# --- mcheck cache clean ---------------------------------------------------------------------------


def fake_entry(root: Path, kind: str, name: str, size: int, days_ago: float) -> Path:
    entry = root / kind / name
    entry.mkdir(parents=True)
    (entry / "blob").write_bytes(b"x" * size)
    when = time.time() - days_ago * 86400
    os.utime(entry, (when, when))
    return entry


@pytest.mark.unit
def test_clean_evicts_by_last_use_then_by_size_oldest_first(tmp_path: Path) -> None:
    fake_entry(tmp_path, "builds", "old", 1000, days_ago=40)
    fake_entry(tmp_path, "venvs", "middle", 3000, days_ago=10)
    fake_entry(tmp_path, "venvs", "recent", 3000, days_ago=1)
    fake_entry(tmp_path, "builds", "new", 1000, days_ago=0)
    done = clean(older_than=parse_duration("30d"), root=tmp_path)
    assert (done.removed, done.freed, done.kept) == (1, 1000, 3)
    done = clean(max_size=parse_size("5K"), root=tmp_path)
    assert (done.removed, done.kept) == (1, 2)
    assert sorted(e.path.name for e in entries(tmp_path)) == ["new", "recent"]
    assert clean(root=tmp_path).removed == 2
    assert entries(tmp_path) == []


@pytest.mark.unit
@pytest.mark.parametrize("option", ["--older-than=soon", "--max-size=big"])
def test_clean_with_a_bad_duration_or_size_is_exit_2(tmp_path: Path, option: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mcheck", "cache", "clean", option],
        capture_output=True,
        text=True,
        env={**os.environ, "MCHECK_CACHE_DIR": str(tmp_path)},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("mcheck: error: --") and len(done.stderr.splitlines()) == 1


def test_cache_info_and_clean_on_the_command_line(tmp_path: Path) -> None:
    fake_entry(tmp_path, "venvs", "v", 2048, days_ago=3)
    env = {**os.environ, "MCHECK_CACHE_DIR": str(tmp_path)}
    info = subprocess.run(
        [sys.executable, "-m", "mcheck", "cache", "info"], capture_output=True, text=True, env=env
    )
    assert info.returncode == 0
    assert "venvs: 1 entries, 2.0 KiB, oldest used 3 days ago" in info.stdout
    cleaned = subprocess.run(
        [sys.executable, "-m", "mcheck", "cache", "clean"], capture_output=True, text=True, env=env
    )
    assert cleaned.stdout == "removed 1 entries (0.0 MiB), kept 0\n"
    assert entries(tmp_path) == []
