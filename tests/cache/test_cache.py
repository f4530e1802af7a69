"""The venv cache: same findings with and without it, one entry per dependency set, safe when runs overlap."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.conftest import copy_sample

from mcheck.api import check_wheel
from mcheck.errors import UsageError
from mcheck.settings import resolve_settings
from mcheck.wheel.install import cache_dir, create_target_env, verify_links

RUN_DIR = re.compile(r"/mcheck-[A-Za-z0-9_]{8}(?=/)")
CACHE_DEMO_FILES = {
    "cachedemo/__init__.py": "import pygments\n\nVERSION = pygments.__version__\n",
    "cachedemo-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: cachedemo\nVersion: 1.0\n"
    "Requires-Dist: pygments>=2.10\n",
    "cachedemo-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}


def make_wheel(directory: Path) -> Path:
    """A minimal wheel that depends on a registry package with a console script (pygmentize)."""
    path = directory / "cachedemo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in CACHE_DEMO_FILES.items():
            zf.writestr(name, text)
        zf.writestr(
            "cachedemo-1.0.dist-info/RECORD",
            "".join(f"{name},,\n" for name in CACHE_DEMO_FILES)
            + "cachedemo-1.0.dist-info/RECORD,,\n",
        )
    return path


def cache_entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / "venvs").iterdir() if p.is_dir())


@pytest.mark.parametrize("sample", ["incident1_monorepo_core", "transitive_only"])
def test_findings_are_identical_with_and_without_the_cache(
    sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    uncached = run_check_with_cache(sample, tmp_path / "uncached", cache=False)
    cold = run_check_with_cache(sample, tmp_path / "cold", cache=True)
    monkeypatch.setattr(
        "mcheck.wheel.install._fresh_env", refuse_fresh_install
    )  # the warm run must use the cache
    warm = run_check_with_cache(sample, tmp_path / "warm", cache=True)
    assert cold == uncached
    assert warm == uncached
    assert uncached  # these samples have findings: the comparison is not between two empty lists
    [entry] = cache_entries(tmp_path / "cache")
    assert (
        entry / "requirements.txt"
    ).read_text() != ""  # the dependencies live in the cache entry


def refuse_fresh_install(*args: object) -> None:
    raise AssertionError("installed from scratch although the cache holds this dependency set")


def run_check_with_cache(sample: str, dest: Path, cache: bool) -> list[tuple[str, str | None, str]]:
    """Check a fresh copy of ``sample`` from an empty directory; its findings as sortable tuples."""
    root = copy_sample(sample, dest / sample)
    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty, contextlib.chdir(empty):
        report = check_wheel(root.resolve(), cache=cache)
    # Messages may quote a path inside the run's own temporary directory, which differs on every run.
    return sorted((f.code, f.path, RUN_DIR.sub("<run>", f.message)) for f in report.findings)


def test_runs_get_private_copies_and_only_the_wheel_is_installed_into_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    wheel = make_wheel(tmp_path)
    first = create_target_env(wheel, tmp_path / "run1" / "venv", cache=True)
    [entry] = cache_entries(tmp_path / "cache")
    built_at = (entry / "venv").stat().st_mtime_ns
    monkeypatch.setattr("mcheck.wheel.install._fresh_env", refuse_fresh_install)
    second = create_target_env(wheel, tmp_path / "run2" / "venv", cache=True)
    assert cache_entries(tmp_path / "cache") == [entry]
    assert (entry / "venv").stat().st_mtime_ns == built_at  # reused, not rebuilt
    assert not list(
        (entry / "venv").glob("lib/python*/site-packages/cachedemo*")
    )  # the wheel never lands there
    for env in (first, second):
        out = subprocess.run(
            [str(env.python), "-c", "import cachedemo, sys; print(cachedemo.__file__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert Path(out.strip()).is_relative_to(env.path)
        script = (env.path / "bin" / "pygmentize").read_text()
        assert str(env.path / "bin" / "python") in script and str(entry) not in script
        assert (
            subprocess.run([str(env.path / "bin" / "pygmentize"), "-V"], check=False).returncode
            == 0
        )


def test_installed_distributions_match_a_fresh_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    wheel = make_wheel(tmp_path)
    listing = (
        "import importlib.metadata as m, json; print(json.dumps(sorted((d.metadata['Name'], d.version, "
        "sorted(str(f) for f in d.files)) for d in m.distributions())))"
    )
    found = []
    for name, cache in (("fresh", False), ("cached", True)):
        env = create_target_env(wheel, tmp_path / name / "venv", cache=cache)
        found.append(
            json.loads(
                subprocess.run(
                    [str(env.python), "-c", listing], capture_output=True, text=True, check=True
                ).stdout
            )
        )
    assert found[0] == found[1]
    assert [name for name, _, _ in found[0]] == ["Pygments", "cachedemo"]


def test_two_concurrent_installs_share_one_entry(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    script = (
        "import sys; from pathlib import Path; from mcheck.wheel.install import create_target_env; "
        "create_target_env(Path(sys.argv[1]), Path(sys.argv[2]), cache=True)"
    )
    env = {**os.environ, "MCHECK_CACHE_DIR": str(tmp_path / "cache")}

    def install(run: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, str(wheel), str(tmp_path / run / "venv")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(install, ["run1", "run2"]))
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert [p.name for p in (tmp_path / "cache" / "venvs").iterdir() if p.is_dir()] == [
        cache_entries(tmp_path / "cache")[0].name
    ]  # one entry, no staging directory left behind
    for run in ("run1", "run2"):
        assert list(
            (tmp_path / run / "venv").glob("lib/python*/site-packages/cachedemo/__init__.py")
        )


def test_cache_dir_follows_xdg_and_the_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MCHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "mcheck"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "mcheck"
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"


def test_cache_setting_is_a_boolean() -> None:
    assert resolve_settings({}, {}).cache is True
    assert resolve_settings({"cache": False}, {}).cache is False
    assert resolve_settings({"cache": False}, {"cache": True}).cache is True
    with pytest.raises(UsageError, match="cache must be true or false"):
        resolve_settings({"cache": "no"}, {})


def test_no_cache_flag_reaches_the_settings(tmp_path: Path) -> None:
    (tmp_path / "mcheck.toml").write_text("cache = true\n")
    from typer.testing import CliRunner

    from mcheck import cli

    seen: list[object] = []

    def fake_check(target: Path, **kwargs: object) -> object:
        seen.append(kwargs["cache"])
        raise UsageError("stop here")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("mcheck.api.check_wheel", fake_check)
        result = CliRunner().invoke(cli.app, ["wheel", str(tmp_path), "--no-cache"])
    assert result.exit_code == 2
    assert seen == [False]


def test_a_venv_copy_is_a_real_copy_with_links_and_modes_kept(tmp_path: Path) -> None:
    from mcheck.wheel.install import _copy_tree

    source = tmp_path / "cached"
    (source / "bin").mkdir(parents=True)
    (source / "lib").mkdir()
    (source / "lib" / "dep.py").write_text("VALUE = 1\n")
    (source / "bin" / "tool").write_text("#!/bin/sh\n")
    (source / "bin" / "tool").chmod(0o755)
    (source / "bin" / "python").symlink_to("/usr/bin/python3")
    copy = tmp_path / "run" / "venv"
    copy.parent.mkdir()
    _copy_tree(source, copy)
    assert (copy / "bin" / "python").readlink() == Path("/usr/bin/python3")
    assert (copy / "bin" / "tool").stat().st_mode & 0o777 == 0o755
    # The project's code may rewrite a dependency's file in place: the cached original must not change.
    with (copy / "lib" / "dep.py").open("w") as fh:
        fh.write("VALUE = 2\n")
    assert (source / "lib" / "dep.py").read_text() == "VALUE = 1\n"
    with pytest.raises(FileExistsError):
        _copy_tree(source, copy)


PREFETCH_PKG_INFO = (
    "Metadata-Version: 2.2\nName: cachedemo\nVersion: 1.0\nRequires-Dist: pygments>=2.10\n"
)


def test_the_sdists_metadata_fills_the_venv_the_wheel_then_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcheck.wheel.install import prefetch_dependencies

    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    prefetch_dependencies(PREFETCH_PKG_INFO, tmp_path / "prefetch")
    [entry] = cache_entries(tmp_path / "cache")
    assert "pygments==" in (entry / "requirements.txt").read_text()
    monkeypatch.setattr("mcheck.wheel.install._fill_entry", refuse_fresh_install)
    env = create_target_env(make_wheel(tmp_path), tmp_path / "venv", cache=True)  # the same entry
    assert env.python.is_file()
    assert cache_entries(tmp_path / "cache") == [entry]


@pytest.mark.parametrize(
    "pkg_info",
    [
        PREFETCH_PKG_INFO.replace("2.2", "2.1"),  # before PEP 643 nothing in PKG-INFO is final
        PREFETCH_PKG_INFO + "Dynamic: Requires-Dist\n",  # the wheel may declare others
    ],
)
def test_metadata_that_may_still_change_prefetches_nothing(
    pkg_info: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcheck.wheel.install import prefetch_dependencies

    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    prefetch_dependencies(pkg_info, tmp_path / "prefetch")
    assert not (tmp_path / "cache" / "venvs").exists()


def test_a_run_links_to_the_cached_files_and_its_scripts_are_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    create_target_env(make_wheel(tmp_path), tmp_path / "run1" / "venv", cache=True)  # fills
    env = create_target_env(make_wheel(tmp_path), tmp_path / "run2" / "venv", cache=True)
    [entry] = cache_entries(tmp_path / "cache")
    assert env.linked_from == entry
    [shared] = env.path.glob("lib/python*/site-packages/pygments/lexer.py")
    cached = entry / "venv" / shared.relative_to(env.path)
    assert shared.stat().st_ino == cached.stat().st_ino  # a link, not a copy
    script, cached_script = env.path / "bin" / "pygmentize", entry / "venv" / "bin" / "pygmentize"
    assert script.stat().st_ino != cached_script.stat().st_ino
    origin = (entry / "origin.txt").read_text()  # where the entry was made
    assert origin in cached_script.read_text() and origin not in script.read_text()
    assert verify_links(env)
    assert cache_entries(tmp_path / "cache") == [entry]


def test_a_run_that_wrote_into_a_shared_file_evicts_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    create_target_env(make_wheel(tmp_path), tmp_path / "run1" / "venv", cache=True)
    env = create_target_env(make_wheel(tmp_path), tmp_path / "run2" / "venv", cache=True)
    [shared] = env.path.glob("lib/python*/site-packages/pygments/__init__.py")
    with shared.open("a") as handle:  # what a package that patches itself in place does
        handle.write("\nPATCHED = True\n")
    assert not verify_links(env)
    assert cache_entries(tmp_path / "cache") == []
    fresh = create_target_env(make_wheel(tmp_path), tmp_path / "run3" / "venv", cache=True)
    [rebuilt] = fresh.path.glob("lib/python*/site-packages/pygments/__init__.py")
    assert "PATCHED" not in rebuilt.read_text()  # and uv's own cache was never written through
