"""Stage 4, probe (host side): run the import probe inside the target venv and parse its report.

The probe script (:mod:`mcheck.probes.scripts.import_probe`) is copied into ``workdir`` and run with the venv's
interpreter in isolated mode (``-I``) from an empty directory, so neither the checkout nor the caller's
``PYTHONPATH`` can leak onto ``sys.path``: what imports there is exactly what a user gets from the wheel.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mcheck.errors import raise_if_interrupted
from mcheck.probes.protocol import Distribution, ExceptionInfo, Frame, ModuleResult, ProbeResult
from mcheck.probes.runner import SCRIPTS, stage_script
from mcheck.sandbox import Sandbox

PROBE_SCRIPT = SCRIPTS / "import_probe.py"  # runs as a staged copy: see stage_script

PROTOCOL = 1
STDERR_TAIL = 4000
GUARD_SLACK = 60.0  # venv start-up, metadata scan and JSON writing on top of the per-module timeouts
INTERRUPT_POLL = 0.25  # seconds between checks for an interrupt while the probe runs
MODULE_STATUSES = ("ok", "error", "timeout", "exited", "crashed")

# Passed through to the probe; everything else in os.environ is dropped so the result does not depend
# on the caller's shell (PYTHON* variables, an activated venv, app settings that mask missing config).
ENV_ALLOWLIST = ("PATH", "LANG", "LANGUAGE", "TZ", "USER", "LOGNAME", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH",
                 "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "PROCESSOR_ARCHITECTURE",
                 "NUMBER_OF_PROCESSORS", "SSL_CERT_FILE", "SSL_CERT_DIR")


class ProbeError(Exception):
    """The probe itself failed (not a module it imported): no usable report was written."""


def run_import_probe(python: Path, modules: Sequence[str], *, timeout: float, jobs: int,
                     workdir: Path, sandbox: Sandbox | None = None,
                     on_progress: Callable[[int, int], None] | None = None) -> ProbeResult:
    """Import every module of ``modules`` with ``python`` (a venv interpreter), each in isolation.

    ``on_progress(done, total)`` is called whenever the number of modules with a result changes.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    script = stage_script("import_probe.py", workdir, as_name="mcheck_import_probe.py")
    request, output = workdir / "probe-input.json", workdir / "probe-output.json"
    request.write_text(json.dumps({"modules": list(modules), "timeout": timeout, "jobs": jobs}), "utf-8")
    output.unlink(missing_ok=True)
    guard = timeout * math.ceil(len(modules) / max(1, jobs)) + GUARD_SLACK
    command = [str(python), "-I", str(script), str(request), str(output)]
    if sandbox is not None:  # the probe writes only below workdir (its cwd, HOME and TMPDIR are there too)
        command = sandbox.wrap(command, writable=[workdir])
    tick = _progress_counter(Path(f"{output}.d"), len(modules), on_progress) if on_progress else None
    log = _run_guarded(command, workdir, guard, tick)
    return _parse_output(output, log)


def _progress_counter(results_dir: Path, total: int, on_progress: Callable[[int, int], None]) -> Callable[[], None]:
    """Count the per-module result files the probe writes (docs/probe-protocol.md) and report changes."""
    last = -1

    def tick() -> None:
        nonlocal last
        try:
            done = min(total, sum(1 for _ in results_dir.glob("result-*.json")))
        except OSError:
            return
        if done != last:
            last = done
            on_progress(done, total)

    return tick


def probe_environment(workdir: Path) -> tuple[dict[str, str], Path]:
    """A minimal environment with HOME and TMPDIR in fresh directories, and a fresh empty cwd."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=workdir))
    tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=workdir))
    cwd = Path(tempfile.mkdtemp(prefix="cwd-", dir=workdir))
    env = {key: value for key, value in os.environ.items() if key in ENV_ALLOWLIST or key.startswith("LC_")}
    env.update(HOME=str(home), USERPROFILE=str(home), TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp),
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    return env, cwd


def _run_guarded(command: list[str], workdir: Path, guard: float, tick: Callable[[], None] | None = None) -> Path:
    """Run the probe; its stdout+stderr go to a file (bounded when read). Returns that file."""
    env, cwd = probe_environment(workdir)
    log = workdir / "probe-output.log"
    with log.open("wb") as out:
        try:
            proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=os.name == "posix")
        except OSError as exc:
            raise ProbeError(f"cannot start the import probe with {command[0]}: {exc}") from None
        try:
            _wait(proc, guard, tick)
            if tick is not None:
                tick()  # the results written after the last poll
        except subprocess.TimeoutExpired:
            raise ProbeError(f"the import probe did not finish within {guard:.0f} s{_tail(log)}") from None
        finally:
            _stop(proc)
    return log


def _wait(proc: subprocess.Popen[bytes], timeout: float, tick: Callable[[], None] | None = None) -> None:
    """``proc.wait(timeout)`` that notices an interrupt of mcheck even when it runs outside the main thread,
    and calls ``tick`` between polls (progress)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            proc.wait(timeout=max(0.0, min(INTERRUPT_POLL, deadline - time.monotonic())))
            return
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
            raise_if_interrupted()
            if tick is not None:
                tick()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask first (the probe then kills its children, which lead their own process groups), then force."""
    if proc.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


def _tail(log: Path) -> str:
    try:
        with log.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - STDERR_TAIL))
            text = fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f"\n{text}" if text else ""


def _parse_output(output: Path, log: Path) -> ProbeResult:
    try:
        data = json.loads(output.read_text("utf-8"))
    except FileNotFoundError:
        raise ProbeError(f"the import probe wrote no report{_tail(log)}") from None
    except (OSError, ValueError) as exc:
        raise ProbeError(f"the import probe wrote an unreadable report ({exc}){_tail(log)}") from None
    try:
        return parse_probe_report(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(f"the import probe wrote a malformed report ({exc!r}){_tail(log)}") from None


def parse_probe_report(data: dict[str, Any]) -> ProbeResult:
    """The probe's JSON -> :class:`ProbeResult`. Raises KeyError/TypeError/ValueError when malformed."""
    if data.get("protocol") != PROTOCOL:
        raise ValueError(f"protocol {data.get('protocol')!r}, expected {PROTOCOL}")
    return ProbeResult(
        python_version=str(data["python_version"]),
        platform=str(data["platform"]),
        stdlib_module_names=frozenset(map(str, data["stdlib_module_names"])),
        sys_path=tuple(map(str, data["sys_path"])),
        modules={str(name): _module(raw) for name, raw in data["modules"].items()},
        distributions=tuple(_distribution(raw) for raw in data["distributions"]),
    )


def _module(raw: dict[str, Any]) -> ModuleResult:
    status = raw["status"]
    if status not in MODULE_STATUSES:
        raise ValueError(f"unknown module status {status!r}")
    return ModuleResult(
        name=str(raw["name"]), status=status, seconds=float(raw["seconds"]),
        file=_opt_str(raw.get("file")), version=_opt_str(raw.get("version")),
        error=_exception(raw["error"]) if raw.get("error") else None,
        exit_code=_opt_int(raw.get("exit_code")), signal=_opt_int(raw.get("signal")),
        output_tail=str(raw.get("output_tail") or ""),
    )


def _exception(raw: dict[str, Any]) -> ExceptionInfo:
    return ExceptionInfo(
        type=str(raw["type"]), message=str(raw["message"]), missing_name=_opt_str(raw.get("missing_name")),
        frames=tuple(Frame(str(f["file"]), int(f["line"]), str(f["function"]), str(f.get("source") or ""))
                     for f in raw.get("frames") or ()),
        chain=tuple(_exception(linked) for linked in raw.get("chain") or ()),
    )


def _distribution(raw: dict[str, Any]) -> Distribution:
    return Distribution(name=str(raw["name"]), version=str(raw["version"]),
                        requires=tuple(map(str, raw.get("requires") or ())),
                        import_names=tuple(map(str, raw.get("import_names") or ())))


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
