"""Daemonizes at import the classic way (fork, ``os.setsid()``, fork again), like a background agent would:
the daemon leads a session and process group of its own. The import succeeds only once the daemon has
reported its pid from the sleeping program, so an "ok" import means the daemon was alive at that point."""

import os
import sys

# The marker argument lets a test find the daemon by its command line.
SLEEPER = "import os, sys, time; os.write(int(sys.argv[1]), str(os.getpid()).encode()); time.sleep(600)"


def _daemonize(report_fd: int) -> None:
    """Runs in the first child: never returns."""
    try:
        os.setsid()  # a new session and process group: killpg on the importer's group misses it
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.set_inheritable(report_fd, True)
            os.execv(sys.executable, [sys.executable, "-c", SLEEPER, str(report_fd), "mcheck-hostile-setsid-daemon"])
    finally:
        os._exit(0)


def _start_daemon() -> int:
    read_fd, write_fd = os.pipe()
    first = os.fork()
    if first == 0:
        os.close(read_fd)
        _daemonize(write_fd)
    os.close(write_fd)
    os.waitpid(first, 0)  # the first child exits at once, orphaning the daemon
    reported = os.read(read_fd, 64)  # the pid, in one write; b"" if the daemon died without writing it
    os.close(read_fd)
    if not reported:
        raise RuntimeError("the daemon did not start")
    return int(reported)


DAEMON_PID = _start_daemon()
