"""The result cache: an unchanged target replays its report, identical to the one computed, marked as
replayed; any input that changes, or a run that asks for what only a real run gives, computes again."""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import (
    SAMPLE_TIMEOUTS,
    CheckedSample,
    built_sdist,
    copy_sample,
    run_check,
)
from tests.wheel.test_samples import SPEC

from mcheck.api import check_wheel
from mcheck.findings import Report
from mcheck.reporters import render
from mcheck.reporters.json import report_from_data, to_json_data

# Samples whose second run is computed again, and why (a spec: any other sample must replay).
COMPUTED_AGAIN = {
    "build_fails": "a failing build runs every time (never cached), so its MC001 is the backend's own",
    "sdist_lacks_build_input": "the sdist path fails to build: never cached, it runs every time",
    "import_hangs": "an import that timed out (MC302) is about the moment, not the inputs",
    "uninstallable": "an install that failed (MC002) may be the index's or the network's fault",
    "uninstallable_drops_file": "an install that failed (MC002) may be the index's or the network's fault",
}


def essence(report: Report) -> dict[str, object]:
    """Everything a reporter shows, but the timings and the replay mark."""
    data = to_json_data([report])
    for volatile in ("stages", "cached", "computed_at"):
        data.pop(volatile, None)
    for outcome in data["module_outcomes"]:
        outcome.pop("seconds")
    for app in data["apps"]:
        app.pop("seconds")
    return data


@pytest.mark.parametrize("name", sorted(SPEC))
def test_every_sample_replays_the_report_it_computed(
    name: str, sample_run: Callable[[str], CheckedSample]
) -> None:
    computed = sample_run(name)
    again = run_check(computed.root, timeout=SAMPLE_TIMEOUTS.get(name))
    assert not computed.report.cached
    if name in COMPUTED_AGAIN:  # its logs quote the run's own temporary paths
        assert not again.cached
        assert subjects(again) == subjects(computed.report)
    else:
        assert again.cached, f"{name} was computed again although nothing changed"
        assert [s.name for s in again.stages][-1] == "results (cached)"
        assert essence(again) == essence(computed.report)
    assert again.exit_code == computed.report.exit_code


def subjects(report: Report) -> list[tuple[str, str | None, int | None]]:
    return sorted((f.code, f.path, f.line) for f in report.findings)


# A temporary directory (a run's work directory, a build environment quoted by a backend's log)
# differs on every run.
RUN_DIR = re.compile(re.escape(tempfile.gettempdir()) + r"/[^/\s]+")


def findings_of(report: Report) -> list[tuple[object, ...]]:
    """Every finding whole, run directories masked."""

    def masked(text: str | None) -> str | None:
        return RUN_DIR.sub("<run>", text) if text is not None else None

    return sorted(
        (f.code, f.path, f.line, masked(f.message), masked(f.hint), f.repo_path, f.affects, f.kind)
        for f in report.findings
    )


# In the default suite: one sample of each shape (a clean project, dropped files, an undeclared
# dependency, a failing build, an entry point, a file the sdist drops); every sample with `-m slow`.
NO_CACHE_IN_DEFAULT_SUITE = {
    "clean_setuptools_src",
    "incident1_monorepo_core",
    "undeclared_dependency",
    "build_fails",
    "entrypoint_missing_attr",
    "sdist_drops_file",
}


@pytest.mark.parametrize(
    "name",
    [
        name if name in NO_CACHE_IN_DEFAULT_SUITE else pytest.param(name, marks=pytest.mark.slow)
        for name in sorted(SPEC)
    ],
)
def test_every_sample_reports_the_same_without_any_cache(
    name: str, sample_run: Callable[[str], CheckedSample], tmp_path: Path
) -> None:
    computed = sample_run(name)  # with the build, venv and result caches
    root = copy_sample(name, tmp_path / name)
    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty, contextlib.chdir(empty):
        uncached = check_wheel(root.resolve(), cache=False, timeout=SAMPLE_TIMEOUTS.get(name))
    assert not uncached.cached
    assert findings_of(uncached) == findings_of(computed.report)
    outcomes = [(o.name, o.status, o.reason, o.python) for o in uncached.module_outcomes]
    assert outcomes == [
        (o.name, o.status, o.reason, o.python) for o in computed.report.module_outcomes
    ]


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache and a fresh copy of a small clean sample, checked once (stored)."""
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    root = copy_sample("undeclared_dependency", tmp_path / "undeclared_dependency")
    first = run_check(root)
    assert not first.cached and first.findings
    return root


def result_entries(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "cache" / "results").iterdir() if p.is_dir())


def test_the_second_run_replays_and_says_when_it_was_computed(small: Path, tmp_path: Path) -> None:
    replayed = run_check(small)
    [entry] = result_entries(tmp_path)
    stored = json.loads((entry / "report.json").read_text())
    assert replayed.computed_at == stored["computed_at"]
    assert [s.name for s in replayed.stages] == ["discover", "build (cached)", "results (cached)"]
    text = render("text", [replayed])
    assert "replayed from the result cache: nothing it depends on changed since " in text
    assert replayed.computed_at in text
    data = json.loads(render("json", [replayed]))
    assert data["cached"] is True and data["computed_at"] == replayed.computed_at
    assert 'name="mcheck.cached" value="true"' in render("junit", [replayed])
    sarif = json.loads(render("sarif", [replayed]))
    assert {r["properties"]["cached"] for r in sarif["runs"][0]["results"]} == {True}


def test_a_changed_file_is_checked_again(small: Path) -> None:
    module = next(small.rglob("*.py"))
    module.write_text(module.read_text() + "\nCHANGED = True\n")
    assert not run_check(small).cached


def test_a_changed_setting_is_checked_again(small: Path) -> None:
    with tempfile.TemporaryDirectory() as empty, contextlib.chdir(empty):
        report = check_wheel(small.resolve(), ignore=["MC202"])
    assert not report.cached
    assert "MC202" not in {f.code for f in report.findings}


def test_a_new_resolution_of_the_dependencies_is_checked_again(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mcheck.wheel.replay as replay

    real = replay.resolve_dependencies

    def newer_release(*args: object, **kwargs: object) -> list[str]:
        return [*real(*args, **kwargs), "somelib==99.0"]  # type: ignore[arg-type]

    monkeypatch.setattr(replay, "resolve_dependencies", newer_release)
    monkeypatch.setattr("mcheck.wheel.install.resolve_dependencies", real)  # the install is real
    assert not run_check(small).cached


def test_no_cache_and_the_variable_compute_again(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tempfile.TemporaryDirectory() as empty, contextlib.chdir(empty):
        assert not check_wheel(small.resolve(), cache=False).cached
    monkeypatch.setenv("MCHECK_RESULT_CACHE", "off")
    assert not run_check(small).cached


def test_a_damaged_entry_is_evicted_and_computed_again(small: Path, tmp_path: Path) -> None:
    [entry] = result_entries(tmp_path)
    (entry / "report.json").write_text("{not json")
    report = run_check(small)
    assert not report.cached
    assert report.findings
    assert run_check(small).cached  # stored afresh


def test_a_failed_install_is_not_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    root = copy_sample("uninstallable", tmp_path / "uninstallable")
    assert "MC002" in {f.code for f in run_check(root).findings}
    assert not run_check(root).cached


def test_a_stored_report_is_data_that_reads_back_whole(small: Path, tmp_path: Path) -> None:
    [entry] = result_entries(tmp_path)
    stored = json.loads((entry / "report.json").read_text())
    report = report_from_data(stored["report"])
    assert to_json_data([report]) == stored["report"]


def test_a_changed_mcheck_is_checked_again(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited check in an editable install, or a new release of a library a check uses."""
    monkeypatch.setattr("mcheck.wheel.replay._tool_identity", lambda: ("edited", ()))
    assert not run_check(small).cached


def test_a_given_sdist_replays_although_it_is_unpacked_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(tmp_path / "cache"))
    sdist = built_sdist(copy_sample("clean_flit", tmp_path / "project"), tmp_path / "dist")
    assert not run_check(sdist).cached
    assert run_check(sdist).cached
