"""mcheck import probe: imports modules one by one, each in its own process, and reports as JSON.

Runs INSIDE the target venv as ``<venv python> -I import_probe.py <input.json> <output.json>``.
It must stay self-contained: standard library only, Python 3.8+, no mcheck imports (mcheck is not
installed in the target venv). The output schema mirrors ``mcheck.probes.protocol``; see
``docs/probe-protocol.md``.

Isolation: on POSIX every module is imported in a forked child that is the leader of its own process
group, so a crash, hang, ``sys.exit`` or ``os._exit`` in one module cannot hide the others, and the
whole group (including grandchildren the import spawned) is killed afterwards. Without ``fork``
(Windows) one subprocess per module runs this script with ``--one``. On Linux the probe is also a child
subreaper: a daemon that left its group for a new session (``setsid``, a double fork) is re-parented to
the probe rather than to init, and every descendant still alive when the probe ends (or gets SIGTERM)
is killed; elsewhere the process-group kill is all there is.

The parent imports as little as possible before forking: whatever it has imported is already in
``sys.modules`` of every child, which would change what "importing X" exercises. Heavier modules
(``importlib.metadata``, ``traceback``) are imported only after all children ran, or inside a child.

Fork server: importing ``a.b.c`` imports ``a`` and ``a.b`` first, so a package with many modules would
be imported again by every child. Instead, once the child that imported package ``P`` proves the import
fork-safe (it succeeded, printed nothing, and left no thread, child process, open file descriptor, signal
handler or replaced std stream behind), a server process is forked that imports ``P`` once and forks one
child per module *below* ``P`` from there, recursively for sub-packages. Only modules whose own import
would have imported ``P`` first run in that server, so ``P``'s side effects reach nobody who would not have
seen them anyway. When the proof fails, or the server cannot start, those modules are forked from the
current process as before. With fork servers on, the root also imports a short list of pure standard
library modules (:data:`WARM_STDLIB`) once; a module that inspects ``sys.modules`` for exactly those
names is the only one that can tell. ``"preimport": false`` in the request turns all of this off.
"""
# os-level fd and path calls are deliberate here: pathlib would add imports to every child.
# ruff: noqa: PTH100, PTH103, PTH118, PTH120, PTH208

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import sys
import time

# The shared support module is copied next to this script by the host (mcheck.probes.runner). With
# `-I` the script's directory is not on sys.path: add it for this one import only.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from _mcheck_probe_support import (
        OutputTail,
        become_subreaper,
        kill_descendants,
        kill_process_group,
        traceback_frames,
        write_result,
    )
    from _mcheck_probe_support import exception_info as _support_exception_info
    from _mcheck_probe_support import exit_code as _exit_code
    from _mcheck_probe_support import (
        ignore_oserror as _ignore_oserror,
    )
    from _mcheck_probe_support import (
        read_result as _read_result,
    )
finally:
    del sys.path[0]


PROTOCOL = 1
TAIL_BYTES = 4096  # how much of a module's output is kept
POLL_SECONDS = 0.01
# A package gets its own fork server when at least this many modules sit below it: the server costs
# one extra fork and one extra import of the package, each module below it saves one import.
MIN_GROUP = 3
# Pure standard-library modules that many packages import and whose import neither reads nor changes
# process state (no environment, no threads, no patching): with fork servers on, the root imports them
# once instead of every child importing them again (``dataclasses`` alone pulls in ``inspect``, ``ast``,
# ``dis`` and ``tokenize``, ~5 ms per child). json, re, enum and functools are in every child anyway,
# since this script imports json. Modules that gevent/eventlet patch (socket, ssl, threading ...) are
# deliberately absent: their monkey-patching must run before those are imported.
WARM_STDLIB = (
    "abc",
    "ast",
    "collections",
    "collections.abc",
    "contextlib",
    "copy",
    "dataclasses",
    "dis",
    "functools",
    "inspect",
    "keyword",
    "linecache",
    "operator",
    "string",
    "textwrap",
    "token",
    "tokenize",
    "types",
    "typing",
    "weakref",
)
# waitid(WNOWAIT) lets the parent see that a child exited without reaping it (Linux, most BSDs).
_CAN_PEEK = hasattr(os, "waitid") and hasattr(os, "WNOWAIT")

# Bound early so an imported module that monkeypatches os/json cannot break result reporting.
_exit = os._exit
_dumps = json.dumps
_replace = os.replace

# Best-effort extras for Python < 3.10, which has no sys.stdlib_module_names.
_PLATFORM_STDLIB = (
    "_msi",
    "_overlapped",
    "_winapi",
    "_winreg",
    "msilib",
    "msvcrt",
    "nt",
    "winreg",
    "winsound",
    "_wmi",
    "_posixsubprocess",
    "_posixshmem",
    "fcntl",
    "grp",
    "posix",
    "pty",
    "pwd",
    "resource",
    "termios",
    "tty",
    "crypt",
    "nis",
    "ossaudiodev",
    "spwd",
    "syslog",
    "readline",
    "_curses",
    "curses",
    "_scproxy",
)


# --- child side: import one module and describe the outcome ----------------------------------------


def _frames(exc: BaseException) -> list:
    """Traceback frames without this script's and importlib's bootstrap frames."""
    own = {os.path.abspath(__file__), os.path.abspath(importlib.__file__)}  # import_module() itself
    return traceback_frames(
        exc, lambda f: f.startswith("<frozen importlib") or os.path.abspath(f) in own
    )


def _exception_info(exc: BaseException, with_chain: bool = True) -> dict:
    return _support_exception_info(exc, _frames, with_chain)


def import_one(name: str) -> dict:
    """Import ``name`` in this process and describe what happened (never raises)."""
    result = {
        "name": name,
        "status": "ok",
        "seconds": 0.0,
        "file": None,
        "version": None,
        "error": None,
        "exit_code": None,
        "signal": None,
        "output_tail": "",
    }
    start = time.perf_counter()
    try:
        module = importlib.import_module(name)
    except SystemExit as exc:
        result.update(status="exited", exit_code=_exit_code(exc.code))
    except BaseException as exc:  # a KeyboardInterrupt from an import is still a result
        result.update(status="error", error=_exception_info(exc))
    else:
        file = getattr(module, "__file__", None)
        result["file"] = file if isinstance(file, str) else None
        version = getattr(module, "__version__", None) if "." not in name else None
        result["version"] = version if isinstance(version, str) else None
    result["seconds"] = time.perf_counter() - start
    return result


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # a closed or replaced stream must not stop us
            continue


def _child_main(name: str, result: tuple, output_fd: int, trial: bool) -> None:
    """Body of a forked child: never returns. A ``trial`` also reports whether its import was fork-safe.

    ``result`` is ``(fd, path)``: the result goes to the pipe ``fd`` (no file to create, write, rename,
    open and read per module), or to the file ``path`` when the import closed or replaced that
    descriptor (a module that daemonises closes every descriptor it did not open)."""
    me = os.getpid()
    result_fd, result_path = result
    try:
        _close_progress()
        os.setpgid(0, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # undo the parent's cleanup handler
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        pipe = _identity(result_fd)
        before = _fork_state() if trial else None
        outcome = import_one(name)
        if trial:
            outcome[FORK_SAFE_KEY] = outcome["status"] == "ok" and _fork_safe_since(before)
        _flush_std_streams()
        # Only the original child reports (a module that forked has copies of this code running).
        piped = pipe is not None and _identity(result_fd) == pipe
        if os.getpid() == me and not (piped and _write_all(result_fd, outcome)):
            write_result(outcome, result_path)
    finally:
        _exit(0)


# --- progress: one byte appended per finished module, read by the host as the file's size ---------

PROGRESS_FILE = "progress"
_progress_fd = None  # opened by main, inherited by the fork servers, closed in every module's child


def _open_progress(tmpdir: str) -> None:
    global _progress_fd
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    _progress_fd = os.open(os.path.join(tmpdir, PROGRESS_FILE), flags, 0o600)


def _tick_progress() -> None:
    if _progress_fd is not None:
        _ignore_oserror(os.write, _progress_fd, b".")  # appends of one byte never interleave


def _close_progress() -> None:
    """In a module's child: the import must not be able to write to (or count on) it."""
    if _progress_fd is not None:
        _ignore_oserror(os.close, _progress_fd)


def _identity(fd: int) -> tuple | None:
    """What ``fd`` refers to (device, inode), or None when it is closed."""
    try:
        status = os.fstat(fd)
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def _write_all(fd: int, result: dict) -> bool:
    """The result, whole, to the pipe (the parent drains it while it waits); False on failure."""
    data = memoryview(_dumps(result).encode("utf-8"))
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        return False
    return True


# --- fork safety: what a fork would not carry over faithfully ----------------------------------------

FORK_SAFE_KEY = "_fork_safe"  # set by trial children only; removed before results leave the probe


def _fork_state() -> tuple:
    """Process state that differs between "imported here, then forked" and "imported in the child".

    Threads do not survive a fork, descriptors and signal handlers would be shared or inherited by
    modules that did not open or install them, and a replaced ``sys.stdout`` may hold buffered output.
    """
    streams = (id(sys.stdin), id(sys.stdout), id(sys.stderr))
    return _thread_count(), _open_fds(), _signal_handlers(), streams


def _fork_safe_since(before: object) -> bool:
    return _fork_state() == before and not _has_children()


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))  # sees threads started by C extensions too
    except OSError:
        threading = sys.modules.get("threading")
        return threading.active_count() if threading is not None else 1


def _open_fds() -> frozenset:
    for directory in ("/proc/self/fd", "/dev/fd"):
        try:
            return frozenset(os.listdir(directory))
        except OSError:
            continue
    return frozenset()


def _signal_handlers() -> tuple:
    handlers = []
    for signum in sorted(signal.valid_signals()):
        try:
            handlers.append((int(signum), id(signal.getsignal(signum))))
        except (OSError, ValueError):
            continue
    return tuple(handlers)


def _has_children() -> bool:
    """True if this process started a child (reaping it, if it already exited: we exit right after)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return False
    return True


# --- parent side: schedule children, enforce timeouts, collect results -----------------------------


class Job:
    """One module being imported in a child process."""

    def __init__(self, name: str, result_path: str, trial: bool = False) -> None:
        self.name = name
        self.result_path = result_path
        self.trial = trial
        self.fork_safe = False
        self.started = time.monotonic()
        self.tail = b""
        self.pid = 0
        self.output_fd: int | None = None
        self.exit_fd: int | None = None  # readable once the child exited (a pidfd), where available
        self.result_fd: int | None = None  # the child's result arrives here (ForkJob)
        self.result_data = b""
        self.exit_code: int | None = None
        self.signal: int | None = None
        self.timed_out = False

    def add_output(self, data: bytes) -> None:
        self.tail = (self.tail + data)[-TAIL_BYTES:]

    def add_result(self, data: bytes) -> None:
        self.result_data += data

    def result(self) -> dict:
        result = _parsed(self.result_data) or _read_result(self.result_path)
        if result is None:
            result = {
                "name": self.name,
                "status": "exited",
                "seconds": time.monotonic() - self.started,
                "file": None,
                "version": None,
                "error": None,
                "exit_code": self.exit_code,
                "signal": None,
                "output_tail": "",
            }
            if self.timed_out:
                result.update(status="timeout", exit_code=None)
            elif self.signal is not None:
                result.update(status="crashed", exit_code=None, signal=self.signal)
        result["output_tail"] = self.tail.decode("utf-8", "replace")
        # Output of the import would go to the server's stdout instead of each module's tail: not safe.
        self.fork_safe = bool(result.pop(FORK_SAFE_KEY, False)) and not self.tail
        return result


class ForkJob(Job):
    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            os.close(result_read)
            _child_main(self.name, (result_write, self.result_path), write_fd, self.trial)
        os.close(write_fd)
        os.close(result_write)
        self.pid = pid
        self.output_fd = read_fd
        self.result_fd = result_read
        # A grandchild may keep the pipes open after the child is gone: never block on them.
        os.set_blocking(read_fd, False)
        os.set_blocking(result_read, False)
        self.exit_fd = _pidfd(pid)
        # Also done by the child; whoever runs first closes the race with killpg. Fails harmlessly
        # when the child already exited.
        _ignore_oserror(os.setpgid, pid, pid)

    def poll(self) -> bool:
        """True once the child has exited. The zombie is reaped only after its group was killed, so
        the pid (= the process group id) cannot be reused by another process in between."""
        if _CAN_PEEK:
            if os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                return False
            self.kill_group()
        pid, status = os.waitpid(self.pid, 0 if _CAN_PEEK else os.WNOHANG)
        if pid == 0:
            return False
        if os.WIFSIGNALED(status):
            self.signal = os.WTERMSIG(status)
        else:
            self.exit_code = os.WEXITSTATUS(status)
        self.kill_group()
        if self.exit_fd is not None:
            os.close(self.exit_fd)
            self.exit_fd = None
        return True

    def kill_group(self) -> None:
        _ignore_oserror(
            os.killpg, self.pid, signal.SIGKILL
        )  # fails when the group is already empty

    def kill(self) -> None:
        self.timed_out = True
        self.kill_group()


class SubprocessJob(Job):
    """Fallback without fork: ``python -I this_script --one <module> <result>``; output goes to a file."""

    def start(self) -> None:
        import subprocess  # only this fallback needs it; it drags in threading and selectors

        self.output = OutputTail(TAIL_BYTES)
        try:
            kwargs = {"start_new_session": True} if os.name == "posix" else {}
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    os.path.abspath(__file__),
                    "--one",
                    self.name,
                    self.result_path,
                ],
                stdin=subprocess.DEVNULL,
                stdout=self.output.write_fd,
                stderr=subprocess.STDOUT,
                **kwargs,
            )
        finally:
            self.output.child_started()

    def poll(self) -> bool:
        code = self.proc.poll()
        if code is None:
            return False
        if code < 0 and os.name == "posix":
            self.signal = -code
        else:
            self.exit_code = code
        self.kill_group()
        self.tail = self.output.tail()
        return True

    def kill(self) -> None:
        self.timed_out = True
        self.kill_group()

    def kill_group(self) -> None:
        kill_process_group(self.proc)


def _drain(job: Job) -> None:
    """Read whatever the child wrote; EOF closes the pipe."""
    if job.output_fd is not None and not _read_available(job.output_fd, job.add_output):
        job.output_fd = None


def _drain_result(job: Job) -> None:
    if job.result_fd is not None and not _read_available(job.result_fd, job.add_result):
        job.result_fd = None


def _read_available(fd: int, into: object) -> bool:
    """Pass what ``fd`` holds now to ``into``; False (and ``fd`` closed) at EOF."""
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            os.close(fd)
            return False
        into(data)  # type: ignore[operator]


def _parsed(data: bytes) -> dict | None:
    """A whole JSON result, or None (nothing came, or the child was killed while writing it)."""
    try:
        result = json.loads(data) if data else None
    except ValueError:
        return None
    return result if isinstance(result, dict) else None


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+, Python 3.9+): without it, a
    child that closed its output but is not yet a zombie costs a ``POLL_SECONDS`` sleep."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        return pidfd_open(pid)
    except OSError:  # kernel without pidfds, or the child is already gone
        return None


def _wait_for_activity(running: list) -> None:
    fds = [job.output_fd for job in running if job.output_fd is not None]
    fds += [job.result_fd for job in running if job.result_fd is not None]
    fds += [job.exit_fd for job in running if job.exit_fd is not None]
    if fds:
        ready = select.select(fds, [], [], POLL_SECONDS)[0]
        for job in running:
            if job.output_fd in ready:
                _drain(job)
            if job.result_fd in ready:
                _drain_result(job)
    else:
        time.sleep(POLL_SECONDS)


def _finish(job: Job) -> dict:
    _drain(job)
    _drain_result(job)
    for name in (
        "output_fd",
        "result_fd",
    ):  # a grandchild kept a pipe open; it was killed with the group
        fd = getattr(job, name)
        if fd is not None:
            os.close(fd)
            setattr(job, name, None)
    return job.result()


def probe_modules(
    modules: list, timeout: float, jobs: int, tmpdir: str, use_fork: bool, preimport: bool = True
) -> dict:
    """Import every module in its own child, at most ``jobs`` at a time; name -> result dict."""
    keyed = [(str(index), name) for index, name in enumerate(modules)]
    if use_fork and preimport:
        _warm_stdlib()
        results = probe_tree(keyed, "", timeout, jobs, tmpdir)
    else:
        job_class = ForkJob if use_fork else SubprocessJob
        results = {
            job.name: result
            for job, result in run_jobs(keyed, set(), timeout, jobs, tmpdir, job_class)
        }
    return {
        name: results[name] for name in modules if name in results
    }  # in request order, not finishing order


def import_first(first: list, watched: list) -> dict:
    """Import ``first`` here, in order, before any child is forked (a module that fails is skipped:
    it failed alone too, and is not what the retry is about). For each module of ``watched``, the
    module of ``first`` whose import loaded it: that is the order a real program gets it in."""
    loaded_by = {}
    for name in first:
        try:
            importlib.import_module(name)
        except BaseException:  # a module that raises or exits here failed alone too: skip it
            continue
        for module in watched:
            if module not in loaded_by and module in sys.modules:
                loaded_by[module] = name
    return loaded_by


def _warm_stdlib() -> None:
    for name in WARM_STDLIB:
        try:
            importlib.import_module(name)
        except (
            ImportError
        ):  # a trimmed-down interpreter: the children import what they need themselves
            continue
    _freeze_heap()


def _freeze_heap() -> None:
    """Move everything imported so far out of the collector's reach before forking: a collection in a
    child would otherwise walk (and so copy-on-write) every page the server's objects live on. It only
    changes which objects a child's ``gc`` examines, and the server's objects are not garbage there."""
    freeze = getattr(gc, "freeze", None)  # Python 3.7+
    if freeze is not None:
        freeze()


def run_jobs(
    keyed: list, trials: set, timeout: float, jobs: int, tmpdir: str, job_class: type
) -> list:
    """Run one child per ``(key, name)``, at most ``jobs`` at a time; [(job, result)] in finishing order.
    Names in ``trials`` also report whether their import is fork-safe (``job.fork_safe``)."""
    pending = list(reversed(keyed))
    running: list = []
    finished: list = []
    _install_cleanup(running)
    while pending or running:
        while pending and len(running) < max(1, jobs):
            key, name = pending.pop()
            job = job_class(name, os.path.join(tmpdir, f"result-{key}.json"), trial=name in trials)
            job.start()
            running.append(job)
        _wait_for_activity(running)
        for job in list(running):
            if time.monotonic() - job.started > timeout and not job.timed_out:
                job.kill()
            if job.poll():
                running.remove(job)
                finished.append((job, _finish(job)))
                _tick_progress()
    return finished


def probe_tree(keyed: list, package: str, timeout: float, jobs: int, tmpdir: str) -> dict:
    """Like :func:`probe_modules` for ``(key, name)`` pairs below ``package`` (already imported in this
    process, "" for none), with a fork server for every sub-package proven fork-safe."""
    groups = _subgroups([name for _, name in keyed], package)
    below = {name for members in groups.values() for name in members}
    first = [(key, name) for key, name in keyed if name not in below]
    requested = {name for _, name in keyed}
    # A namespace package is not a module of the wheel: import it just to prove it safe.
    first += [(f"ns-{group}", group) for group in groups if group not in requested]
    finished = run_jobs(first, set(groups), timeout, jobs, tmpdir, ForkJob)
    results = {job.name: result for job, result in finished if job.name in requested}
    safe = {job.name for job, _ in finished if job.fork_safe}
    for group, members in groups.items():
        group_keyed = [(key, name) for key, name in keyed if name in set(members)]
        served = _serve_group(group, group_keyed, timeout, jobs, tmpdir) if group in safe else {}
        missing = [(key, name) for key, name in group_keyed if name not in served]
        results.update(served)
        results.update(
            {
                job.name: result
                for job, result in run_jobs(missing, set(), timeout, jobs, tmpdir, ForkJob)
            }
        )
    return results


def _subgroups(names: list, package: str) -> dict:
    """Sub-packages of ``package`` (one level down) -> the names strictly below them, for sub-packages with
    at least :data:`MIN_GROUP` such names; in order of first appearance."""
    depth = package.count(".") + 1 if package else 0
    groups: dict = {}
    for name in names:
        parts = name.split(".")
        if len(parts) > depth + 1:
            groups.setdefault(".".join(parts[: depth + 1]), []).append(name)
    return {group: members for group, members in groups.items() if len(members) >= MIN_GROUP}


def _serve_group(package: str, keyed: list, timeout: float, jobs: int, tmpdir: str) -> dict:
    """Fork a server that imports ``package`` once and probes ``keyed`` (all below it) from there.

    Returns the results it wrote; modules missing from them (the server failed to start or died) are
    the caller's to probe. The server stays in the probe's process group, so SIGTERM reaches it too.
    """
    ready_read, ready_write = os.pipe()
    output = os.path.join(tmpdir, f"group-{package}.json")
    pid = os.fork()
    if pid == 0:
        os.close(ready_read)
        _server_main(package, keyed, timeout, jobs, tmpdir, ready_write, output)
    os.close(ready_write)
    ready = select.select([ready_read], [], [], timeout)[0] and os.read(ready_read, 1) == b"r"
    os.close(ready_read)
    if (
        not ready
    ):  # the import hung or turned out unsafe this time: the caller forks from here instead
        _ignore_oserror(os.kill, pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    served = _read_result(output) if ready else None
    return served if isinstance(served, dict) else {}


def _server_main(
    package: str, keyed: list, timeout: float, jobs: int, tmpdir: str, ready_fd: int, output: str
) -> None:
    """Body of a fork server: never returns."""
    try:
        before = _fork_state()
        importlib.import_module(package)
        if _fork_safe_since(before):
            _freeze_heap()
            _flush_std_streams()
            os.write(ready_fd, b"r")
            os.close(ready_fd)
            write_result(probe_tree(keyed, package, timeout, jobs, tmpdir), output)
    finally:
        _exit(0)


def _install_cleanup(running: list) -> None:
    """On SIGTERM (the host's wall-clock guard) take the children down too: they lead their own
    process groups, so killing the probe's group would not reach them."""

    def handler(signum: int, frame: object) -> None:
        for job in running:
            job.kill()
        kill_descendants()  # and whatever left the children's groups
        _exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


# --- containment: descendants that left their process group ----------------------------------------

# /proc/<pid>/stat is parsed the Linux way; other systems keep the process-group kill alone.


# --- environment facts, gathered after the children ran ---------------------------------------------


def stdlib_module_names() -> list:
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return sorted(names)
    found = set(sys.builtin_module_names) | set(_PLATFORM_STDLIB)
    stdlib_dir = os.path.dirname(os.__file__)
    for directory in (stdlib_dir, os.path.join(stdlib_dir, "lib-dynload")):
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            stem = entry.split(".", 1)[0]
            if (
                stem.isidentifier()
                and entry != "site-packages"
                and (entry.endswith((".py", ".so", ".pyd")) or "." not in entry)
            ):
                found.add(stem)
    return sorted(found)


def _canonical(name: str) -> str:
    return "".join("-" if c in "-_." else c for c in name.lower())


def _record_import_names(dist: object) -> set:
    """Top-level import names from top_level.txt, else from the files the distribution installed."""
    names = set()
    top_level = dist.read_text("top_level.txt") or ""  # type: ignore[attr-defined]
    names.update(line.strip().replace("/", ".").split(".")[0] for line in top_level.splitlines())
    for path in dist.files or ():  # type: ignore[attr-defined]
        parts = path.parts
        if not parts or parts[0] == ".." or parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        if len(parts) > 1 and parts[0] != "__pycache__":
            names.add(parts[0])
        elif len(parts) == 1 and parts[0].endswith((".py", ".so", ".pyd")):
            names.add(parts[0].split(".", 1)[0])
    return {n for n in names if n.isidentifier()}


def distributions() -> list:
    try:
        import importlib.metadata as metadata
    except ImportError:  # Python < 3.8 is not supported, but do not crash the report over it
        return []
    by_dist: dict = {}
    packages_distributions = getattr(metadata, "packages_distributions", None)  # Python 3.10+
    if packages_distributions is not None:
        for import_name, dist_names in packages_distributions().items():
            for dist_name in dist_names:
                by_dist.setdefault(_canonical(dist_name), set()).add(import_name)
    found = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        names = set(by_dist.get(_canonical(name), ())) | _record_import_names(dist)
        found.append(
            {
                "name": name,
                "version": dist.version,
                "requires": list(dist.requires or []),
                "import_names": sorted(n for n in names if n.isidentifier()),
            }
        )
    found.sort(key=lambda d: _canonical(d["name"]))
    return found


# --- entry points ------------------------------------------------------------------------------------


def main(argv: list) -> int:
    if len(argv) == 4 and argv[1] == "--one":
        write_result(import_one(argv[2]), argv[3])
        _flush_std_streams()
        _exit(0)
    if len(argv) != 3:
        sys.stderr.write(
            "usage: import_probe.py INPUT.json OUTPUT.json | --one MODULE RESULT.json\n"
        )
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        request = json.load(fh)
    output = os.path.abspath(argv[2])
    tmpdir = output + ".d"
    os.makedirs(tmpdir, exist_ok=True)
    _open_progress(tmpdir)
    use_fork = hasattr(os, "fork") and request.get("isolation", "fork") == "fork"
    _flush_std_streams()  # nothing buffered may be duplicated into the children
    become_subreaper()
    first = [str(name) for name in request.get("first") or ()]
    loaded_by = {}
    try:
        if first:  # the retry of modules that failed alone: every child starts after `first`
            loaded_by = import_first(first, list(request["modules"]))
            _flush_std_streams()
        modules = probe_modules(
            list(request["modules"]),
            float(request["timeout"]),
            int(request["jobs"]),
            tmpdir,
            use_fork,
            preimport=bool(request.get("preimport", True)) and not first,
        )
    finally:
        kill_descendants()  # daemons that escaped their process group into a session of their own
    report = {
        "protocol": PROTOCOL,
        "python_version": ".".join(str(n) for n in sys.version_info[:3]),
        "platform": sys.platform,
        "stdlib_module_names": stdlib_module_names(),
        "sys_path": list(sys.path),
        "distributions": distributions(),
        "modules": modules,
        "loaded_by": loaded_by,
    }
    write_result(report, output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
