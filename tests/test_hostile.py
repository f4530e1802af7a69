"""Hostile projects: mcheck survives whatever their build scripts and modules do, and leaves nothing behind.

Each project under ``sample_projects/hostile/`` does one hostile thing at build or import time. Every
test runs the real pipeline (``mcheck.api.check_wheel``) on a private copy and asserts

* the exact findings ``(code, path)`` and the words that make them useful (exit code, signal, log tail);
* that the well-behaved modules next to the hostile one were still imported;
* that the run finished in bounded time;
* that nothing was left behind: no process started by the run is alive, no temporary directory remains
  in the run's private ``TMPDIR``, the project tree is byte-identical and ``$HOME`` is untouched.

Leftover processes are found by the run's private ``TMPDIR`` (see ``leftovers.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import copy_sample, tree_digest
from leftovers import entries, isolate, make_home, needs_proc, survivors
from mcheck.findings import Report

HANG_TIMEOUT = 3.0  # seconds per module import for the samples that never finish importing
RUN_BOUND = 60.0  # a generous wall-clock bound for one run; a hang would blow through it

pytestmark = needs_proc


@dataclass(frozen=True)
class HostileRun:
    report: Report
    seconds: float
    tree_before: dict[str, str]
    tree_after: dict[str, str]
    home_before: dict[str, str]
    home_after: dict[str, str]
    tmp_left: list[str]
    processes_left: list[str]


@pytest.fixture
def hostile_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., HostileRun]:
    """``hostile_run(name, timeout=None)``: check a copy of ``sample_projects/hostile/<name>`` the way a user
    would (from inside the project, with a real-looking ``$HOME``) and record everything it could have touched."""

    def run(name: str, timeout: float | None = None, **options: object) -> HostileRun:
        from mcheck.api import check_wheel

        root = copy_sample(f"hostile/{name}", tmp_path / name)
        home = make_home(tmp_path / "home")
        private_tmp = tmp_path / "tmp"
        private_tmp.mkdir()
        isolate(monkeypatch, home=home, private_tmp=private_tmp)
        monkeypatch.chdir(
            root
        )  # a module writing to "." would hit the user's tree if the probe ran here
        tree_before, home_before = tree_digest(root), tree_digest(home)
        started = time.monotonic()
        report = check_wheel(root, **({"timeout": timeout} if timeout else {}), **options)
        seconds = time.monotonic() - started
        return HostileRun(
            report,
            seconds,
            tree_before,
            tree_digest(root),
            home_before,
            tree_digest(home),
            entries(private_tmp),
            survivors(str(private_tmp)),
        )

    return run


def assert_contained(run: HostileRun) -> None:
    assert run.seconds < RUN_BOUND, f"the run took {run.seconds:.0f} s"
    assert run.tree_after == run.tree_before, "the run wrote to, or deleted from, the project tree"
    assert run.home_after == run.home_before, "the run wrote to, or deleted from, $HOME"
    assert run.tmp_left == [], "temporary directories were left behind"
    assert run.processes_left == [], "processes started by the run are still alive"


def keys(report: Report, severity: str) -> set[tuple[str, str | None]]:
    return {(f.code, f.path) for f in report.findings if f.severity.value == severity}


def text_of(report: Report, code: str) -> str:
    (finding,) = [f for f in report.findings if f.code == code]
    return f"{finding.message}\n{finding.hint or ''}"


# name -> (per-module timeout, the error findings, a pattern their message + hint must match)
IMPORT_CASES: dict[str, tuple[float | None, set[tuple[str, str | None]], str]] = {
    "import_loop": (
        HANG_TIMEOUT,
        {("MC302", "hostile_import_loop.hostile")},
        r"did not finish within 3 s",
    ),
    "import_deadlock": (
        HANG_TIMEOUT,
        {("MC302", "hostile_import_deadlock.hostile")},
        r"did not finish within 3 s",
    ),
    "import_sys_exit": (
        None,
        {("MC303", "hostile_import_sys_exit.hostile")},
        r"exited with code 3\b",
    ),
    "import_os_exit": (
        None,
        {("MC303", "hostile_import_os_exit.hostile")},
        r"exited with code 0\b",
    ),
    "import_segfault": (
        None,
        {("MC303", "hostile_import_segfault.hostile")},
        r"killed by signal SIGSEGV",
    ),
    "import_floods_output": (
        None,
        {("MC301", "hostile_import_floods_output.hostile")},
        r"RuntimeError: failed after printing 50 MB",
    ),
    "import_reads_stdin": (None, {("MC301", "hostile_import_reads_stdin.hostile")}, r"EOFError"),
    "import_network": (
        None,
        {("MC301", "hostile_import_network.hostile")},
        r"ConnectionRefusedError",
    ),
}


@pytest.mark.parametrize("name", sorted(IMPORT_CASES))
def test_a_hostile_import_is_reported_and_the_other_modules_are_still_checked(hostile_run, name):
    timeout, errors, pattern = IMPORT_CASES[name]
    run = hostile_run(name, timeout=timeout)
    assert keys(run.report, "error") == errors
    assert keys(run.report, "warning") == set()
    assert re.search(pattern, text_of(run.report, next(iter(errors))[0]))
    # the package and its well-behaved ok.py were imported; only the hostile module failed
    assert (run.report.modules.imported, run.report.modules.failed) == (2, 1)
    assert run.report.exit_code == 1
    assert_contained(run)


def test_a_module_that_kills_the_import_probe_is_mc003_and_the_run_fails(hostile_run):
    run = hostile_run("import_kills_the_probe")
    assert keys(run.report, "error") == {("MC003", None)}
    assert text_of(run.report, "MC003").startswith(
        "the import probe was killed by signal SIGKILL and wrote no answer"
    )
    assert run.report.exit_code == 1
    assert_contained(run)


def test_a_module_that_prints_50_mb_yields_a_bounded_report(hostile_run):
    from mcheck.reporters import render

    run = hostile_run("import_floods_output")
    # the whole JSON report stays small: only a tail of the module's output is ever kept
    assert len(render("json", [run.report], color=False, verbosity=2)) < 64_000
    assert_contained(run)


def test_a_child_process_started_at_import_is_killed_with_its_process_group(hostile_run):
    run = hostile_run("import_orphan_child")
    assert keys(run.report, "error") == set()
    assert (run.report.modules.imported, run.report.modules.failed) == (3, 0)
    assert not [cmd for cmd in survivors("mcheck-hostile-orphan")], "the orphaned child survived"
    assert_contained(run)


def test_a_daemon_that_left_for_a_new_session_at_import_is_killed_too(hostile_run):
    # fork, setsid, fork: the daemon has a session and process group of its own, so the process-group kill
    # misses it; the probe, a child subreaper, inherits the orphan and kills it before it exits
    run = hostile_run("import_setsid_daemon")
    assert keys(run.report, "error") == set()
    assert (run.report.modules.imported, run.report.modules.failed) == (
        3,
        0,
    )  # "ok": the daemon was running
    assert not survivors("mcheck-hostile-setsid-daemon"), "the daemon survived the run"
    assert_contained(run)


def test_files_written_or_deleted_at_import_land_in_throwaway_directories(hostile_run):
    run = hostile_run("import_writes_files")
    assert keys(run.report, "error") == set()
    assert (run.report.modules.imported, run.report.modules.failed) == (3, 0)
    # the module deleted pyproject.toml/README.md from its cwd and .profile/canary.txt from $HOME, and wrote
    # written-by-import.txt to both: none of it reached the project or the home the user ran mcheck with
    assert "written-by-import.txt" not in run.tree_after
    assert {"pyproject.toml", "README.md"} <= set(run.tree_after)
    assert set(run.home_after) == {".profile", "canary.txt"}
    assert_contained(run)


# name -> (the build stage that fails, patterns the MC001 message + log tail must match)
# The finding is anchored at the project file that raised (setup.py:2), when one did.
BUILD_ANCHORS = {"setup_py_raises": "setup.py"}
BUILD_CASES: dict[str, tuple[str, list[str]]] = {
    "setup_py_raises": (
        "sdist",
        [
            r"exited with status 1",
            r"RuntimeError: hostile setup\.py: cannot find the native toolchain",
        ],
    ),
    "missing_build_backend": (
        "sdist",
        [r"Backend 'mcheck_hostile_no_such_backend\.build' is not available"],
    ),
    "backend_no_wheel": (
        "wheel",
        [
            r"reported mcheck_hostile_backend_no_wheel-0\.1\.0-py3-none-any\.whl but wrote "
            r"no such file",
            r"lazy_backend: not writing the wheel today",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(BUILD_CASES))
def test_a_broken_build_is_mc001_with_the_stage_and_the_log_tail(hostile_run, name):
    stage, patterns = BUILD_CASES[name]
    run = hostile_run(name)
    assert keys(run.report, "error") == {("MC001", BUILD_ANCHORS.get(name))}
    assert keys(run.report, "warning") == set()
    text = text_of(run.report, "MC001")
    assert text.startswith(f"building the {stage} failed: ")
    for pattern in patterns:
        assert re.search(pattern, text), f"{pattern!r} not in {text!r}"
    assert (run.report.modules.imported, run.report.modules.failed) == (0, 0)
    assert run.report.exit_code == 1
    assert_contained(run)


def test_a_build_that_never_finishes_is_killed_after_the_build_timeout(hostile_run):
    run = hostile_run("build_loops")  # its [tool.mcheck] sets build-timeout = 3
    assert keys(run.report, "error") == {("MC001", None)}
    assert keys(run.report, "warning") == set()
    text = text_of(run.report, "MC001")
    assert text.startswith(
        "building the sdist failed: the build backend did not finish within 3 s\n"
    )
    assert re.search(
        r"hostile setup\.py: still resolving the toolchain \(attempt \d+\)", text
    )  # the log tail
    assert (run.report.modules.imported, run.report.modules.failed) == (0, 0)
    assert run.seconds < 3 + 30, (
        f"the run took {run.seconds:.0f} s"
    )  # the timeout, plus installing setuptools
    assert not survivors("mcheck-hostile-build-loops"), "the build's helper process survived"
    assert_contained(run)


def test_the_build_timeout_is_a_positive_number_of_seconds_and_the_command_line_beats_the_file():
    from mcheck.errors import UsageError
    from mcheck.settings import resolve_settings

    assert resolve_settings({}, {}).build_timeout == 600.0
    assert resolve_settings({"build-timeout": 3}, {"build_timeout": None}, "x").build_timeout == 3.0
    assert resolve_settings({"build-timeout": 3}, {"build_timeout": 1.5}, "x").build_timeout == 1.5
    for bad in (0, -1, "soon", "30", True, float("inf"), float("nan")):
        with pytest.raises(
            UsageError, match="build-timeout must be a positive, finite number of s"
        ):
            resolve_settings({"build-timeout": bad}, {}, "pyproject.toml [tool.mcheck]")


# ---------------------------------------------------------------------------------------------------
# Two runs on the same project at the same time
# ---------------------------------------------------------------------------------------------------


def run_json(proc: subprocess.Popen[str]) -> dict:
    stdout, stderr = proc.communicate(timeout=RUN_BOUND * 2)
    assert proc.returncode == 1, stderr
    assert stdout, stderr
    return json.loads(stdout)


def test_two_concurrent_runs_on_the_same_project_are_both_correct(tmp_path):
    root = copy_sample("hostile/import_sys_exit", tmp_path / "project")
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    before = tree_digest(root)
    # An empty venv cache: both runs race to create the same entry, the riskiest moment for the cache.
    env = {**os.environ, "TMPDIR": str(private_tmp), "MCHECK_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "mcheck", "wheel", str(root), "-f", "json"]

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

    concurrent = [start(), start()]
    reports = [run_json(proc) for proc in concurrent]
    reports.append(
        run_json(start())
    )  # and a later run served by whatever the two left in the cache

    for report in reports:
        assert [(f["code"], f["path"]) for f in report["findings"]] == [
            ("MC303", "hostile_import_sys_exit.hostile")
        ]
        assert report["modules"] == {"imported": 2, "failed": 1, "skipped": 0}
    assert tree_digest(root) == before
    assert entries(private_tmp) == []
    assert survivors(str(private_tmp)) == []


# ---------------------------------------------------------------------------------------------------
# Output that would fill memory or disk, and a build helper that holds the build's output open
# ---------------------------------------------------------------------------------------------------

PEAK_MEMORY_BOUND = 300 * 1024 * 1024  # bytes; the unbounded captures took 1 GB and more
# bytes under the run's TMPDIR: a venv and the probes, never the flood
DISK_BOUND = 150 * 1024 * 1024


class DiskWatcher:
    """The largest total size of the files under ``root`` seen while the run went on."""

    def __init__(self, root: Path) -> None:
        self.root, self.peak, self._stop = root, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> DiskWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            total = 0
            for dirpath, _, filenames in os.walk(self.root):
                for name in filenames:
                    with contextlib.suppress(OSError):
                        total += (Path(dirpath) / name).lstat().st_blocks * 512
            self.peak = max(self.peak, total)


def run_measured(root: Path, private_tmp: Path, *args: str) -> tuple[int, str, int, int]:
    """``mcheck wheel ROOT --no-cache`` in a fresh interpreter: exit code, stderr, the peak memory
    of every process of the run (bytes), the peak disk use under its TMPDIR (bytes)."""
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "sys.stderr.buffer.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
        "sys.exit(done.returncode)\n"
    )
    command = [sys.executable, "-m", "mcheck", "wheel", str(root), "--no-cache", *args]
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    with DiskWatcher(private_tmp) as disk:
        done = subprocess.run(
            [sys.executable, "-c", measure, *command],
            capture_output=True,
            text=True,
            env=env,
            timeout=RUN_BOUND * 2,
        )
    return done.returncode, done.stderr, int(done.stdout.strip()), disk.peak


@pytest.mark.parametrize("name", ["build_floods_output", "entry_point_floods_output"])
def test_a_flood_of_output_costs_neither_memory_nor_disk(tmp_path: Path, name: str) -> None:
    """200 MB printed by setup.py, 300 MB printed by an entry point's module: the run is clean, and
    only a tail of that output is ever held in memory or kept on disk."""
    root = copy_sample(f"hostile/{name}", tmp_path / name)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    code, stderr, peak_memory, peak_disk = run_measured(root, private_tmp)
    assert code == 0, stderr
    assert peak_memory < PEAK_MEMORY_BOUND, f"a process of the run used {peak_memory >> 20} MB"
    assert peak_disk < DISK_BOUND, f"the run's files reached {peak_disk >> 20} MB"
    assert entries(private_tmp) == [], "temporary directories were left behind"


def test_a_build_helper_holding_the_output_open_does_not_make_the_build_look_hung(hostile_run):
    """The helper inherits the hook's stdout and lives for a minute: the build is done when the hook
    exits (not when the pipe closes), and the helper dies with the hook's process group."""
    run = hostile_run("build_helper_holds_output", cache=False)  # the backend must really run
    assert keys(run.report, "error") == set()
    assert (run.report.modules.imported, run.report.modules.failed) == (1, 0)
    assert run.seconds < 40, f"the run took {run.seconds:.0f} s: it waited for the helper"
    assert not survivors("mcheck-hostile-build-helper-holds-output"), "the helper survived"
    assert_contained(run)
