"""mcheck's private directories, and the removal of those a killed run left behind.

A run removes its work directory when it ends, also on Ctrl-C, SIGTERM and SIGHUP. What it cannot
clean is what ``kill -9``, a crash of the machine or a second, impatient Ctrl-C during the cleanup
leaves. Every directory made here records its owner (pid and the process's start time, so a reused pid
is not mistaken for the owner); the next run removes those whose owner is gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from mcheck.errors import Interrupted

OWNER_FILE = ".mcheck-owner"
WORKDIR_PREFIX = "mcheck-"


def make_workdir(prefix: str = WORKDIR_PREFIX, parent: Path | None = None) -> Path:
    """A new private directory under ``parent`` (default: the temporary directory), marked as this
    process's; abandoned ones of earlier runs there are removed first."""
    base = Path(parent or tempfile.gettempdir())
    remove_abandoned(base, lambda name: name.startswith(WORKDIR_PREFIX))
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    mark_owned(path)
    return path


def mark_owned(directory: Path) -> None:
    (directory / OWNER_FILE).write_text(_owner_token(os.getpid()), "utf-8")


def remove_abandoned(parent: Path, matches: Callable[[str], bool]) -> list[Path]:
    """Remove the directories in ``parent`` whose name ``matches``, that carry an owner mark, belong
    to this user and whose owner process is gone. A directory without a mark is left alone: another
    run may have just created it."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for entry in parent.iterdir():
            if matches(entry.name) and _abandoned(entry):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _abandoned(directory: Path) -> bool:
    try:
        if directory.is_symlink() or not directory.is_dir():
            return False
        if directory.stat().st_uid != os.getuid():
            return False
        token = (directory / OWNER_FILE).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return not _owner_alive(token)


def _owner_token(pid: int) -> str:
    return f"{pid} {_start_time(pid) or ''}".strip()


def _owner_alive(token: str) -> bool:
    pid_text, _, started = token.partition(" ")
    if not pid_text.isdigit():
        return True  # not a mark this module wrote: leave the directory alone
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a live process of another user
    return not started or _start_time(pid) == started


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("utf-8")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def remove_workdir(path: Path) -> None:
    """Remove a work directory; a signal arriving meanwhile (the first Ctrl-C) lets the removal
    finish before the run stops, so the cleanup it interrupted is not left half done."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except Interrupted:
        shutil.rmtree(path, ignore_errors=True)
        raise
