"""Errors that end a run before any finding can be made, and how SIGINT/SIGTERM end one."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType

# SIGHUP: the terminal was closed; the run is as interrupted as by Ctrl-C, and cleans up the same way.
INTERRUPT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

# Set by the signal handler. Signals reach only the main thread; runs in other threads (several targets
# checked at once) look at this at every stage boundary. Process-wide on purpose: so are signals.
_interrupted_by: list[int] = []
_interrupted = threading.Event()


class UsageError(Exception):
    """Bad input: a missing path, something that is not a Python project, a malformed
    ``pyproject.toml``, a corrupt wheel. The CLI prints the message as one line and exits 2."""

    exit_code = 2


class Interrupted(BaseException):
    """The run was stopped by SIGINT/SIGTERM; carries the conventional exit status (130/143).

    A ``BaseException``, like ``KeyboardInterrupt``: an ``except Exception`` on the way up (in mcheck or in
    a library it calls; ``build`` wraps any ``Exception`` from a backend hook into a backend failure) must
    not turn the interruption into a finding and carry on with the next stage.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum
        self.exit_code = 128 + signum


# A second signal within this many seconds of the first is the same interruption arriving again
# (a terminal's Ctrl-C reaches the whole process group, and tools such as uv pass it on): only a
# later one is a person pressing Ctrl-C again to quit at once.
REPEAT_WINDOW = 1.0


def interrupt_on_signals() -> None:
    """Make SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread (and at the next
    stage boundary of runs in other threads).

    The first signal unwinds through the cleanup (killing process groups, removing the work directory);
    a second one, a moment later, has the default effect, so an impatient second Ctrl-C quits at once.
    """
    first_at: list[float] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if first_at:
            if time.monotonic() - first_at[0] < REPEAT_WINDOW:
                return  # the same interruption again: the cleanup goes on
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        first_at.append(time.monotonic())
        _interrupted_by.append(signum)
        _interrupted.set()
        raise Interrupted(signum)

    for each in INTERRUPT_SIGNALS:
        signal.signal(each, on_signal)


def exit_on_signals() -> None:
    """Until :func:`interrupt_on_signals` takes over: a signal while the command line starts up
    (imports, argument parsing; nothing to clean yet) ends it at once with the usual line and status,
    not with a traceback from the middle of an import."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        os.write(2, b"mcheck: error: interrupted; temporary files removed\n")
        os._exit(128 + signum)

    for each in INTERRUPT_SIGNALS:
        signal.signal(each, on_signal)


def ignore_signals() -> None:
    """For the interpreter's shutdown after the run: nothing is left to stop or clean."""
    for each in INTERRUPT_SIGNALS:
        signal.signal(each, signal.SIG_IGN)


def raise_if_interrupted() -> None:
    """Raise :class:`Interrupted` when a signal arrived (for code running outside the main thread)."""
    if _interrupted.is_set():
        raise Interrupted(_interrupted_by[0])
