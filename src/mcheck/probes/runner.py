"""The one host runner for every probe: how a stdlib-only script runs inside a target venv.

Each probe (import, app, deploy target) runs the same way, so that what one probe guarantees all do:

- the script runs as a *copy* in the run's work directory, next to a copy of the shared support module
  (:mod:`mcheck.probes.scripts._mcheck_probe_support`): nothing next to mcheck's own files, and nothing
  of the checkout, is importable from the target venv;
- with ``-I``, stdin closed, stdout and stderr to a log file (never a pipe a grandchild can hold open),
  in its own session, under ``--sandbox`` when asked;
- with an environment reduced to an allow-list plus a fresh ``HOME`` and ``TMPDIR``, so the result does
  not depend on the caller's shell (``PYTHON*`` variables, an activated venv, app settings that would
  mask missing configuration);
- under a wall-clock guard: when it fires the probe's process group gets SIGTERM first (each script's
  handler then kills the descendants it adopted as a subreaper), SIGKILL after :data:`STOP_GRACE`;
- every answer carries the protocol version of the request, or the probe failed.

Whatever goes wrong with the probe itself (not with the code it probes) is one :class:`ProbeError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mcheck.errors import raise_if_interrupted
from mcheck.sandbox import Sandbox

SCRIPTS = Path(__file__).parent / "scripts"
SUPPORT_MODULE = "_mcheck_probe_support.py"
PROTOCOL = (
    1  # every script writes it into its answer; bump both sides together (docs/probe-protocol.md)
)
STOP_GRACE = 5.0  # seconds a probe's SIGTERM cleanup gets before the group is killed
LOG_TAIL = 4000
INTERRUPT_POLL = 0.25  # seconds between checks for an interrupt of mcheck while a probe runs

# Passed through to every probe; everything else in os.environ is dropped.
ENV_ALLOWLIST = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "USER",
    "LOGNAME",
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "PROCESSOR_ARCHITECTURE",
    "NUMBER_OF_PROCESSORS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


class ProbeError(Exception):
    """A probe itself failed: it could not start, outran its guard, or wrote no valid answer.

    ``timed_out`` tells the guard apart from the rest (``mcheck deploy`` reports a start target that
    blocks as MC302); ``log_tail`` is the end of what the probe printed.
    """

    def __init__(self, message: str, *, timed_out: bool = False, log_tail: str = "") -> None:
        super().__init__(f"{message}\n{log_tail}" if log_tail else message)
        self.timed_out = timed_out
        self.log_tail = log_tail


@dataclass(frozen=True)
class ProbeFiles:
    """Where a probe's request, answer and log live (``name``: "import", "app", "target")."""

    request: Path
    answer: Path
    log: Path

    @classmethod
    def under(cls, workdir: Path, name: str) -> ProbeFiles:
        return cls(
            workdir / f"{name}-request.json",
            workdir / f"{name}-answer.json",
            workdir / f"{name}.log",
        )


def stage_script(script: str, workdir: Path, *, as_name: str | None = None) -> Path:
    """Copy ``scripts/<script>`` (as ``as_name``) and the support module into ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCRIPTS / SUPPORT_MODULE, workdir / SUPPORT_MODULE)
    staged = workdir / (as_name or script)
    shutil.copyfile(SCRIPTS / script, staged)
    return staged


RUN_MARK = "MCHECK_PROBE_RUN"  # in the environment of every process a probe run starts


def probe_environment(workdir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed environment with a fresh HOME and TMPDIR below ``workdir``, plus ``extra``."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=workdir))
    tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=workdir))
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ENV_ALLOWLIST or key.startswith("LC_")
    }
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        TMPDIR=str(tmp),
        TEMP=str(tmp),
        TMP=str(tmp),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        PYTHONIOENCODING="utf-8",
        PYTHONNOUSERSITE="1",
    )
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Probe:
    """One run of a probe script: what to run, with what, and how long it may take in all."""

    name: str  # "import", "app", "target": names the files and the messages
    script: str  # file name under scripts/
    python: Path
    workdir: Path
    guard: float  # seconds for the whole run; the script enforces its own per-item limits
    sandbox: Sandbox | None = None
    cwd: Path | None = None  # default: a fresh empty directory (nothing importable from the cwd)
    env: Mapping[str, str] | None = None  # on top of the allow-listed environment
    staged_as: str | None = None

    @property
    def files(self) -> ProbeFiles:
        return ProbeFiles.under(self.workdir, self.name)


def run_probe(
    probe: Probe, request: dict[str, Any], on_poll: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Run ``probe`` with ``request`` (the protocol version is added) and return its JSON answer.

    ``on_poll`` is called between polls and once at the end (progress). Raises :class:`ProbeError`.
    """
    probe.workdir.mkdir(parents=True, exist_ok=True)
    files = probe.files
    files.request.write_text(json.dumps({"protocol": PROTOCOL, **request}), encoding="utf-8")
    files.answer.unlink(missing_ok=True)
    script = stage_script(
        probe.script, probe.workdir / f"{probe.name}-script", as_name=probe.staged_as
    )
    command = [str(probe.python), "-I", str(script), str(files.request), str(files.answer)]
    if probe.sandbox is not None:  # the probe writes only below its workdir (HOME and TMPDIR too)
        command = probe.sandbox.wrap(command, writable=[probe.workdir])
    code = _run_guarded(probe, command, on_poll)
    return _read_answer(probe, code)


def _run_guarded(probe: Probe, command: list[str], on_poll: Callable[[], None] | None) -> int:
    cwd = probe.cwd or Path(tempfile.mkdtemp(prefix="cwd-", dir=probe.workdir))
    env = probe_environment(probe.workdir, probe.env)
    # Every process of this run inherits the mark, also those the probe's own subreaper can no
    # longer kill because the probe itself died (a module that killed it): they are found by it.
    env[RUN_MARK] = secrets.token_hex(16)
    with probe.files.log.open("wb") as log:
        try:
            proc = start_in_own_session(command, cwd=cwd, env=env, log=log)
        except OSError as exc:
            raise ProbeError(
                f"cannot start the {probe.name} probe with {command[0]}: {exc}"
            ) from None
        try:
            _wait(proc, probe.guard, on_poll)
        except subprocess.TimeoutExpired:
            stop_process_group(proc)
            raise ProbeError(
                f"the {probe.name} probe did not finish within {probe.guard:.0f} s",
                timed_out=True,
                log_tail=log_tail(probe.files.log),
            ) from None
        finally:
            stop_process_group(proc)
            kill_marked_processes(env[RUN_MARK])
    if on_poll is not None:
        on_poll()  # what was written after the last poll
    return proc.returncode


def kill_marked_processes(mark: str, rounds: int = 3) -> list[int]:
    """SIGKILL every process of this user whose environment carries ``RUN_MARK=mark`` (Linux:
    ``/proc``; elsewhere nothing is found). A few rounds: a process may fork while it is killed."""
    needle = f"{RUN_MARK}={mark}".encode()
    killed: list[int] = []
    proc_root = Path("/proc")
    if not proc_root.is_dir():
        return killed
    for _ in range(rounds):
        found = [
            pid for pid in _pids(proc_root) if needle in _environ_entries(proc_root / str(pid))
        ]
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        killed += found
        if not found:
            break
    return killed


def _pids(proc_root: Path) -> list[int]:
    me = os.getpid()
    return [int(p.name) for p in proc_root.iterdir() if p.name.isdigit() and int(p.name) != me]


def _environ_entries(process: Path) -> list[bytes]:
    try:
        return (process / "environ").read_bytes().split(b"\0")
    except OSError:  # gone, or another user's
        return []


def _wait(
    proc: subprocess.Popen[bytes], timeout: float, on_poll: Callable[[], None] | None
) -> None:
    """``proc.wait(timeout)`` that notices an interrupt of mcheck even outside the main thread."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            proc.wait(timeout=max(0.0, min(INTERRUPT_POLL, deadline - time.monotonic())))
            return
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
            raise_if_interrupted()
            if on_poll is not None:
                on_poll()


def start_in_own_session(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: BinaryIO
) -> subprocess.Popen[bytes]:
    """Start ``argv`` with stdin closed, stdout and stderr to ``log`` (a file, never a pipe a
    grandchild could hold open), leading a session of its own so that :func:`stop_process_group`
    reaches everything it starts."""
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=os.name == "posix",
    )


def stop_process_group(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group (the probe's cleanup runs), SIGKILL what is left after ``grace``.

    Also after a normal exit: whatever the probe left in its group (a child it started) goes.
    """
    if os.name != "posix":  # pragma: no cover - no process groups; Popen.kill is the best there is
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # workers outliving their master
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _read_answer(probe: Probe, code: int) -> dict[str, Any]:
    files = probe.files
    exited = _how_it_ended(code)
    try:
        data = json.loads(files.answer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProbeError(
            f"the {probe.name} probe {exited} and wrote no answer", log_tail=log_tail(files.log)
        ) from None
    except (OSError, ValueError) as exc:
        raise ProbeError(
            f"the {probe.name} probe wrote an unreadable answer ({exc})",
            log_tail=log_tail(files.log),
        ) from None
    if not isinstance(data, dict) or data.get("protocol") != PROTOCOL:
        found = data.get("protocol") if isinstance(data, dict) else type(data).__name__
        raise ProbeError(
            f"the {probe.name} probe answered with protocol {found!r}, expected {PROTOCOL}",
            log_tail=log_tail(files.log),
        )
    return data


def _how_it_ended(code: int) -> str:
    if code < 0:  # killed by a signal: a module it imported may have sent it
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}" if code else "exited"


def log_tail(log: Path, limit: int = LOG_TAIL) -> str:
    """The last ``limit`` bytes of ``log``, decoded leniently ('' when there is none)."""
    try:
        with log.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - limit))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
