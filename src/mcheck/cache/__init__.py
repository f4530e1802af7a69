"""What mcheck's caches share: where they live, per-key locks, atomic publication of entries.

Both caches (venvs in :mod:`mcheck.wheel.install`, build artifacts in :mod:`mcheck.cache.builds`) keep
entries that are never modified once in place: an entry is built in a staging directory next to it and
renamed into place, under a per-key file lock, so concurrent runs neither see half-built entries nor
build the same entry twice.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from mcheck.workdirs import OWNER_FILE, mark_owned, remove_abandoned


def cache_dir() -> Path:
    """``$MCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/mcheck``, else ``~/.cache/mcheck``."""
    explicit = os.environ.get("MCHECK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "mcheck"


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` where ``fcntl`` exists; elsewhere the atomic rename alone keeps
    entries consistent (two runs may then both build the same entry, and one is thrown away)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_identity(path: str) -> list[object]:
    """Resolved path, size and mtime: an upgraded interpreter or tool binary gets a new key."""
    real = Path(path).resolve()
    stat = real.stat()
    return [str(real), stat.st_size, stat.st_mtime_ns]


def publish_entry(
    entry: Path, fill: Callable[[Path], None], *, complete: Callable[[Path], bool]
) -> None:
    """Create ``entry`` unless ``complete(entry)`` already holds: ``fill`` writes a staging directory,
    which is then renamed to ``entry`` (atomic: an entry is complete or absent)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    with locked(entry.parent / f"{entry.name}.lock"):
        if complete(entry):  # built by another run while we waited for the lock
            return
        # A staging directory of a run killed with -9 would stay for ever: its owner mark says so.
        remove_abandoned(entry.parent, lambda name: ".tmp-" in name)
        staging = Path(tempfile.mkdtemp(prefix=f"{entry.name}.tmp-", dir=entry.parent))
        try:
            mark_owned(staging)
            fill(staging)
            (staging / OWNER_FILE).unlink()
            try:
                staging.rename(entry)
            except OSError:
                if not complete(entry):  # a run without the lock (no fcntl) may have won the race
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def evict(entry: Path) -> None:
    """Remove a damaged entry. It is renamed away first (atomic), so a concurrent run sees it absent
    rather than half deleted."""
    doomed = entry.with_name(f"{entry.name}.evicted-{os.getpid()}")
    try:
        entry.rename(doomed)
    except OSError:
        return
    shutil.rmtree(doomed, ignore_errors=True)


def touch_entry(entry: Path) -> None:
    """Record a use: ``mcheck cache clean --older-than`` evicts by the time of last use."""
    with contextlib.suppress(OSError):
        os.utime(entry)
