"""What every mcheck probe script needs: containment of the processes project code starts, atomic
result files, and text that survives user code's broken ``__str__``.

Runs INSIDE the target venv, next to the probe scripts (the host copies it beside them: see
:func:`mcheck.probes.runner.stage_script`). Standard library only, Python 3.8+, and only modules the
probes import anyway (the import probe's children must not start with more of the stdlib imported).
"""

# ruff: noqa: PTH208
from __future__ import annotations

import json
import os
import signal
import sys
import time

MAX_TEXT = 2000  # cap for exception messages and source lines
MAX_FRAMES = 50  # a RecursionError has ~1000 frames; the innermost ones are the interesting ones
CHAIN_DEPTH = 5  # linked exceptions (__cause__/__context__) reported per exception
POLL_SECONDS = 0.01
PR_SET_CHILD_SUBREAPER = 36  # from <linux/prctl.h>; Linux 3.4+
KILL_DEADLINE = 3.0  # SIGKILL is asynchronous (a process in D state is slow); under the host's 5 s grace after SIGTERM
# /proc/<pid>/stat is parsed the Linux way; other systems keep the process-group kill alone.
_ON_LINUX = sys.platform.startswith("linux")
# Bound once: a module under test may monkeypatch json or os in the child before its result is written.
_dumps = json.dumps
_replace = os.replace


def ignore_oserror(func: object, *args: object) -> None:
    try:
        func(*args)  # type: ignore[operator]
    except OSError:
        return


def become_subreaper() -> bool:
    """Make this process the reaper of every orphan below it (Linux 3.4+), so a daemon that left its process
    group with ``setsid`` (or double-forked into a new session) is re-parented here instead of to init and
    :func:`kill_descendants` can still find it. False where that is not available: today's behaviour then.

    ``ctypes`` is imported only for the call and dropped from ``sys.modules`` again, so the children do not
    start with it (and ``struct``) already imported; it is not inherited across fork, so only this process
    is a subreaper."""
    if not _ON_LINUX:
        return False
    before = set(sys.modules)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        one, zero = ctypes.c_ulong(1), ctypes.c_ulong(0)
        return libc.prctl(ctypes.c_int(PR_SET_CHILD_SUBREAPER), one, zero, zero, zero) == 0
    except (ImportError, OSError, AttributeError):  # no ctypes, no libc handle, or no prctl symbol
        return False
    finally:
        for name in set(sys.modules) - before:
            del sys.modules[name]


def _live_descendants(root: int) -> list:
    """Pids of the processes below ``root`` that are not zombies, from the parent links in /proc."""
    children: dict = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/" + entry + "/stat", "rb") as fh:
                stat = fh.read()
        except OSError:  # exited meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) >= 2:
            children.setdefault(int(fields[1]), []).append((int(entry), fields[0]))
    found = []
    stack = [root]
    while stack:
        for pid, state in children.get(stack.pop(), ()):
            stack.append(pid)
            if state != b"Z":
                found.append(pid)
    return found


def _reap_children() -> None:
    """Collect every exited child (the orphans re-parented to us included), so none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_descendants() -> None:
    """SIGKILL every process below this one, in rounds: killing a process orphans its children, which the
    subreaper setting hands to us for the next round. Ends when a round finds nobody alive (or after
    :data:`KILL_DEADLINE`); without /proc (not Linux) this does nothing."""
    if not _ON_LINUX:
        return
    me = os.getpid()
    deadline = time.monotonic() + KILL_DEADLINE
    while True:
        try:
            alive = _live_descendants(me)
        except OSError:  # no /proc mounted
            return
        for pid in alive:
            ignore_oserror(os.kill, pid, signal.SIGKILL)
        _reap_children()
        if not alive or time.monotonic() > deadline:
            return
        time.sleep(POLL_SECONDS)  # let the kernel finish the kills before looking again


def exit_on_sigterm() -> None:
    """On SIGTERM (the host's timeout) take every descendant down, then exit 128 + signum: children
    that lead sessions of their own are not reached by the host's signal to the process group."""

    def handler(signum: int, frame: object) -> None:
        kill_descendants()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def kill_process_group(proc) -> None:
    """SIGKILL the process group ``proc`` leads (its own session), or ``proc`` where there are no
    process groups; nothing when it is already gone."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except OSError:
        pass


def file_tail(path: str, limit: int) -> bytes:
    """The last ``limit`` bytes of the file at ``path`` (b"" when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - limit))
            return fh.read()
    except OSError:
        return b""


class OutputTail:
    """A child's stdout and stderr as a pipe, read as it comes by a thread that keeps only the last
    ``keep`` bytes: a module or an entry point printing hundreds of megabytes costs neither memory
    nor disk. The parent never waits for the pipe to close (a grandchild may hold it): it takes what
    was read once the child is gone, after a short grace."""

    def __init__(self, keep: int) -> None:
        import threading  # here, not at the top: the import probe forks, and stays thread-free

        self.keep = keep
        self._read_fd, self.write_fd = os.pipe()
        self._chunks: list = []
        self._size = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                data = os.read(self._read_fd, 65536)
                if not data:
                    return
                self._chunks.append(data)
                self._size += len(data)
                while self._size - len(self._chunks[0]) >= self.keep:
                    self._size -= len(self._chunks.pop(0))
        except OSError:
            return

    def child_started(self) -> None:
        """Close the parent's copy of the write end, so the pipe ends with the child's copies."""
        ignore_oserror(os.close, self.write_fd)

    def tail(self, grace: float = 2.0) -> bytes:
        self._thread.join(grace)
        return b"".join(list(self._chunks))[-self.keep :]


def write_result(result: dict, path: str) -> None:
    """Write atomically, so the parent never reads half a result from a child killed mid-write."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(_dumps(result))
    _replace(tmp, path)


def read_result(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def text(value: object, limit: int = MAX_TEXT) -> str:
    """``str(value)`` that survives exceptions with a broken ``__str__``, capped in length."""
    try:
        text = str(value)
    except BaseException:  # any failure of user code must not kill the report
        text = f"<unprintable {type(value).__name__}>"
    return text[:limit]


def type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = getattr(cls, "__module__", "builtins")
    qualname = getattr(cls, "__qualname__", cls.__name__)
    return qualname if module == "builtins" else f"{module}.{qualname}"


def traceback_frames(exc: BaseException, skip) -> list:
    """The protocol's frames of ``exc``'s traceback, outermost first, without the ones whose file
    ``skip(filename)`` says is the probe's own machinery; the innermost :data:`MAX_FRAMES`."""
    import traceback  # imported lazily: only a process that saw an exception pays for it

    frames = []
    for summary in traceback.extract_tb(exc.__traceback__):
        if skip(summary.filename):
            continue
        frames.append(
            {
                "file": summary.filename,
                "line": summary.lineno or 0,
                "function": summary.name,
                "source": (summary.line or "")[:MAX_TEXT],
            }
        )
    return frames[-MAX_FRAMES:]


def exception_info(exc: BaseException, frames_of, with_chain: bool = True) -> dict:
    """The protocol's description of ``exc``; ``frames_of(exc)`` gives its frames, which each probe
    filters its own way (its own and importlib's or asyncio's machinery)."""
    missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    info = {
        "type": type_name(exc),
        "message": text(exc),
        "missing_name": missing if isinstance(missing, str) else None,
        "frames": frames_of(exc),
        "chain": [],
    }
    if with_chain:
        info["chain"] = [
            exception_info(linked, frames_of, with_chain=False) for linked in exception_chain(exc)
        ]
    return info


def exception_chain(exc: BaseException) -> list:
    """The ``__cause__``/``__context__`` exceptions of ``exc``, nearest first, without cycles."""
    found = []
    seen = {id(exc)}
    current = exc
    while len(found) < CHAIN_DEPTH:
        current = current.__cause__ or current.__context__
        if current is None or id(current) in seen:
            break
        seen.add(id(current))
        found.append(current)
    return found


def exit_code(code: object) -> int:
    """What the interpreter would exit with for ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(
        text(code) + "\n"
    )  # sys.exit("message") prints the message; keep it in the tail
    return 1
