"""Ctrl-C and SIGTERM while mcheck builds or probes: exit 130/143, nothing left behind.

The CLI runs as a real subprocess with ``-v`` (one stage line per stage on stderr) and a private
``TMPDIR``. Each test waits until the stage is really under way (its stage line was printed and the
process doing the work exists), sends the signal, and then checks the exit status, the one-line
message, that the private ``TMPDIR`` is empty again and that no process of the run survived.

SIGINT goes to mcheck's whole process group, as a terminal's Ctrl-C does; SIGTERM goes to mcheck's
pid only, as a supervisor's ``kill`` does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import copy_sample, tree_digest
from leftovers import entries, needs_proc, processes_mentioning, survivors

STAGE_TIMEOUT = (
    60.0  # how long reaching the stage may take (the build installs setuptools into its env)
)
EXIT_TIMEOUT = 20.0  # how long mcheck may take to clean up and exit once signalled

pytestmark = [
    needs_proc,
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals and process groups"),
]


class MCheckProcess:
    """``mcheck wheel -v`` running in its own process group, its stderr collected line by line."""

    def __init__(self, projects: list[Path], private_tmp: Path, *args: str) -> None:
        env = {**os.environ, "TMPDIR": str(private_tmp)}
        self.stdout_file = private_tmp.parent / "stdout.txt"
        with self.stdout_file.open("w") as stdout:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mcheck", "wheel", *map(str, projects), "-v", *args],
                cwd=private_tmp.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.PIPE,
                text=True,
                process_group=0,
            )
        self.stderr_lines: list[str] = []
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def wait_for_stage(self, stage: str) -> None:
        deadline = time.monotonic() + STAGE_TIMEOUT
        while not any(line.endswith(f"mcheck: {stage}") for line in self.stderr_lines):
            assert self.proc.poll() is None, (
                f"mcheck exited before the {stage} stage: {self.stderr_lines}"
            )
            assert time.monotonic() < deadline, (
                f"no {stage} stage within {STAGE_TIMEOUT} s: {self.stderr_lines}"
            )
            time.sleep(0.05)

    def send(self, signum: int) -> None:
        if signum == signal.SIGINT:
            os.killpg(self.proc.pid, signum)  # what a terminal does on Ctrl-C
        else:
            os.kill(self.proc.pid, signum)

    def finish(self) -> int:
        try:
            self.proc.wait(timeout=EXIT_TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self._reader.join(timeout=5)  # the rest of stderr, up to EOF
        return self.proc.returncode

    @property
    def stdout(self) -> str:
        return self.stdout_file.read_text()


def wait_for_worker(private_tmp: Path, worker_marker: str) -> bool:
    """Wait until a process of this run (it mentions ``private_tmp``) has ``worker_marker`` in its command line."""
    deadline = time.monotonic() + STAGE_TIMEOUT
    while time.monotonic() < deadline:
        if any(worker_marker in command for command in processes_mentioning(str(private_tmp))):
            return True
        time.sleep(0.1)
    return False


def interrupt(
    tmp_path: Path, sample: str, stage: str, worker_marker: str, signum: int, *args: str
) -> tuple[MCheckProcess, Path, dict[str, str], dict[str, str]]:
    """Run mcheck on ``sample``, send ``signum`` once ``stage`` started and a process mentioning
    ``worker_marker`` exists; returns the finished process, its private TMPDIR and the tree before/after."""
    project = copy_sample(f"hostile/{sample}", tmp_path / sample)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    before = tree_digest(project)
    run = MCheckProcess([project], private_tmp, *args)
    try:
        run.wait_for_stage(stage)
        assert wait_for_worker(private_tmp, worker_marker), f"the {stage} never started its worker"
        time.sleep(0.3)  # let the worker get going (the module's loop, the backend's sleep)
        run.send(signum)
    finally:
        run.finish()
    return run, private_tmp, before, tree_digest(project)


def assert_interrupted_cleanly(run: MCheckProcess, signum: int, private_tmp: Path) -> None:
    assert run.proc.returncode == 128 + signum, run.stderr_lines
    assert run.stderr_lines[-1] == "mcheck: error: interrupted; temporary files removed"
    assert not any("Traceback" in line for line in run.stderr_lines)
    assert run.stdout == ""
    assert survivors(str(private_tmp)) == [], "processes of the interrupted run are still alive"
    assert entries(private_tmp) == [], "the interrupted run left temporary files behind"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_build_stops_the_backend_and_its_helpers(tmp_path, signum):
    # slow_build's setup.py starts a helper process tagged mcheck-hostile-slow-build, then sleeps
    run, private_tmp, before, after = interrupt(
        tmp_path, "slow_build", "build", "mcheck-hostile-slow-build", signum
    )
    assert_interrupted_cleanly(run, signum, private_tmp)
    assert survivors("mcheck-hostile-slow-build") == [], "the backend's helper process survived"
    assert after == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_probe_stops_the_import_that_never_ends(tmp_path, signum):
    # import_loop's module spins forever; with a 120 s timeout only the signal can end it
    run, private_tmp, before, after = interrupt(
        tmp_path, "import_loop", "probe", "mcheck_import_probe.py", signum, "--timeout", "120"
    )
    assert_interrupted_cleanly(run, signum, private_tmp)
    assert after == before


def test_sigterm_with_several_targets_stops_every_run(tmp_path):
    """Runs of other targets happen in worker threads, which signals do not reach: they notice the
    interrupt while waiting for the backend or the probe, and clean up too."""
    projects = [
        copy_sample(f"hostile/{name}", tmp_path / name) for name in ("slow_build", "import_loop")
    ]
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    run = MCheckProcess(projects, private_tmp, "--timeout", "120")
    try:
        run.wait_for_stage("probe")
        for worker in ("mcheck-hostile-slow-build", "mcheck_import_probe.py"):
            assert wait_for_worker(private_tmp, worker), f"{worker} never started"
        time.sleep(0.3)
        started = time.monotonic()
        run.send(signal.SIGTERM)
    finally:
        run.finish()
    assert time.monotonic() - started < 10, "the runs in worker threads did not stop promptly"
    assert_interrupted_cleanly(run, signal.SIGTERM, private_tmp)
    assert survivors("mcheck-hostile-slow-build") == []


def test_sighup_a_closed_terminal_cleans_up_like_sigterm(tmp_path):
    run, private_tmp, before, after = interrupt(
        tmp_path, "slow_build", "build", "mcheck-hostile-slow-build", signal.SIGHUP
    )
    assert_interrupted_cleanly(run, signal.SIGHUP, private_tmp)
    assert survivors("mcheck-hostile-slow-build") == [], "the backend's helper process survived"
    assert after == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_app_stage_stops_the_app_probe_and_what_the_app_started(
    tmp_path, signum
):
    # the app's lifespan starts a helper and never completes; with a 120 s timeout only the signal
    # ends the app probe
    run, private_tmp, before, after = interrupt(
        tmp_path,
        "app_lifespan_hangs",
        "app",
        "mcheck-hostile-app-lifespan-hangs-helper",
        signum,
        "--timeout",
        "120",
    )
    assert_interrupted_cleanly(run, signum, private_tmp)
    assert survivors("mcheck-hostile-app-lifespan-hangs-helper") == [], "the app's helper survived"
    assert after == before


# The signal sweep: a signal at many points of a run (whatever stage it falls in), then a second run
# on the same tree and cache that must give exactly what an uninterrupted run gives.
SWEEP_DELAYS = (0.1, 0.3, 1.0, 2.5, 5.0)  # seconds after the start: start-up, discovery, build, ...
DEPLOY_SWEEP_DELAYS = (0.1, 0.3, 0.5)


def run_to_the_end(project: Path, private_tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mcheck", *args],
        cwd=private_tmp.parent,
        env={**os.environ, "TMPDIR": str(private_tmp)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def interrupted_after(
    delay: float, signum: int, private_tmp: Path, *args: str
) -> tuple[int | None, str]:
    """Start ``mcheck ARGS``, signal it after ``delay`` s; its exit status (None: it had finished
    before the signal) and what it printed on stdout."""
    stdout = private_tmp.parent / "interrupted-stdout"
    with stdout.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mcheck", *args],
            cwd=private_tmp.parent,
            env={**os.environ, "TMPDIR": str(private_tmp)},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            process_group=0,
        )
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            os.killpg(proc.pid, signum) if signum == signal.SIGINT else proc.send_signal(signum)
        try:
            code = proc.wait(timeout=EXIT_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
    printed = stdout.read_text()
    stdout.unlink()
    return (None if finished else code), printed


def findings_of(done: subprocess.CompletedProcess) -> list[tuple[str, str | None]]:
    return findings_of_json(done.stdout)


def findings_of_json(printed: str) -> list[tuple[str, str | None]]:
    import json

    report = json.loads(printed)
    return sorted((f["code"], f["path"]) for f in report["findings"])


def sweep(
    tree: Path, signum: int, args: tuple[str, ...], expected: list, delays: tuple[float, ...]
) -> None:
    """Signal a run of ``mcheck ARGS`` after each delay; after each, nothing of the run is left and
    a second run to the end reports exactly ``expected``; the tree is never written."""
    private_tmp = tree.parent / "tmp"
    private_tmp.mkdir()
    before = tree_digest(tree)
    for delay in delays:
        code, printed = interrupted_after(delay, signum, private_tmp, *args)
        # -signum: on a loaded machine the signal can land before the interpreter has started and
        # set any handler, so the default action ends it; nothing exists yet, which the checks
        # below confirm like after any other signal.
        if code == 1:
            # On a fast machine the signal can land in the shutdown of a run that has finished: the
            # shutdown keeps the finished run's status by design, so its report must be complete.
            assert findings_of_json(printed) == expected, (
                f"after {delay} s: a finished run's report"
            )
        else:
            assert code in (None, 128 + signum, -signum), f"after {delay} s: exit {code}"
        assert survivors(str(private_tmp)) == [], f"after {delay} s: processes survived"
        assert entries(private_tmp) == [], f"after {delay} s: temporary files were left"
        done = run_to_the_end(tree, private_tmp, *args)
        assert done.returncode == 1, done.stderr
        assert findings_of(done) == expected, f"the run after a signal at {delay} s"
    assert tree_digest(tree) == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_point_of_a_wheel_run_with_apps_leaves_the_next_run_correct(
    tmp_path, signum
):
    project = copy_sample("hostile/app_lifespan_hangs", tmp_path / "project")
    args = ("wheel", str(project), "--timeout", "3", "-f", "json")
    sweep(project, signum, args, [("MC404", "hostile_app_lifespan_hangs.app:app")], SWEEP_DELAYS)
    assert survivors("mcheck-hostile-app-lifespan-hangs-helper") == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_point_of_a_deploy_run_leaves_the_next_run_correct(tmp_path, signum):
    service = copy_sample("deploy_subdir_imports", tmp_path / "service")
    args = ("deploy", str(service), "--repo-root", str(service), "-f", "json")
    # A deploy run takes under a second here: a signal near its end lands in the shutdown, which
    # keeps the finished run's status by design, so the sweep stays well inside the run.
    sweep(service, signum, args, [("MC501", "backend/main.py")], DEPLOY_SWEEP_DELAYS)
