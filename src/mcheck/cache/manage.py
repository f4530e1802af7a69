"""``mcheck cache info`` and ``mcheck cache clean``: what the caches hold, and eviction by age and size.

An entry's age is the time since it was last used (a hit touches it, :func:`mcheck.cache.touch_entry`).
Eviction renames an entry away before deleting it, so a run that is using the cache at the same time
sees the entry either whole or absent.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from mcheck.cache import cache_dir, evict
from mcheck.errors import UsageError
from mcheck.workdirs import remove_abandoned

KINDS = ("builds", "venvs", "results")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 86400}  # a bare number is days
_BYTES = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True)
class Entry:
    kind: str
    path: Path
    size: int
    last_used: float


@dataclass(frozen=True)
class Cleaned:
    removed: int
    freed: int
    kept: int


def entries(root: Path | None = None) -> list[Entry]:
    """Every complete entry of both caches, oldest use first."""
    base = root or cache_dir()
    found = []
    for kind in KINDS:
        directory = base / kind
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.is_dir() and not path.is_symlink() and ".tmp-" not in path.name:
                found.append(Entry(kind, path, _size(path), path.stat().st_mtime))
    return sorted(found, key=lambda e: e.last_used)


def describe(root: Path | None = None) -> str:
    base = root or cache_dir()
    listed = entries(base)
    lines = [f"cache directory: {base}"]
    now = time.time()
    for kind in KINDS:
        of_kind = [e for e in listed if e.kind == kind]
        size = sum(e.size for e in of_kind)
        oldest = f", oldest used {_age(now - of_kind[0].last_used)} ago" if of_kind else ""
        lines.append(f"  {kind}: {len(of_kind)} entries, {_human(size)}{oldest}")
    lines.append(f"  total: {_human(sum(e.size for e in listed))}")
    return "\n".join(lines) + "\n"


def clean(
    *, older_than: float | None = None, max_size: int | None = None, root: Path | None = None
) -> Cleaned:
    """Evict entries unused for ``older_than`` seconds, then the least recently used until the rest
    fits in ``max_size`` bytes; with neither, everything."""
    base = root or cache_dir()
    for kind in KINDS:  # staging directories of killed runs
        remove_abandoned(base / kind, lambda name: ".tmp-" in name)
    listed = entries(base)
    now = time.time()
    doomed: list[Entry] = []
    if older_than is None and max_size is None:
        doomed = listed
    if older_than is not None:
        doomed = [e for e in listed if now - e.last_used > older_than]
    if max_size is not None:
        kept = [e for e in listed if e not in doomed]
        total = sum(e.size for e in kept)
        for entry in kept:  # oldest use first
            if total <= max_size:
                break
            doomed.append(entry)
            total -= entry.size
    for entry in doomed:
        evict(entry.path)
        if entry.kind == "builds":
            _forget_build_records(entry.path.parent)
    return Cleaned(len(doomed), sum(e.size for e in doomed), len(listed) - len(doomed))


def parse_duration(text: str) -> float:
    match = _DURATION.match(text)
    if match is None:
        raise UsageError(f"--older-than takes a duration such as 30d, 12h or 90m, not {text!r}")
    return float(match.group(1)) * _SECONDS[match.group(2).lower()]


def parse_size(text: str) -> int:
    match = _SIZE.match(text)
    if match is None:
        raise UsageError(f"--max-size takes a size such as 2G, 500M or 1.5GB, not {text!r}")
    return int(float(match.group(1)) * _BYTES[match.group(2).lower()])


def _forget_build_records(builds: Path) -> None:
    """``<key>.requires.json`` only names what a backend asked for; without entries it is just kept
    small: records older than every remaining entry are dropped."""
    remaining = [p.stat().st_mtime for p in builds.iterdir() if p.is_dir()]
    horizon = min(remaining, default=float("inf"))
    for record in builds.glob("*.requires.json"):
        if record.stat().st_mtime < horizon:
            record.unlink(missing_ok=True)


def _size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir() or p.is_symlink())


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
