"""The content of the local files and directories that resolved dependencies point at.

``uv pip compile`` pins a dependency given as ``dep @ file:///src/dep`` (or a local path) as that
same URL whatever the directory holds: a venv cache keyed by the pins alone would keep serving the old
code of ``dep`` after it was edited without a version bump. The venv cache's key therefore includes a
digest of what every such reference holds.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

# What is never part of a dependency's source: VCS data, caches, build output, virtualenvs.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "build", "dist"}
)
# A local reference larger than this is not digested on every run: that run does not use the cache.
MAX_FILES = 20_000
MAX_BYTES = 512 * 1024 * 1024

_FILE_URL = re.compile(r"@\s*(file://\S+)")


def local_reference_digests(pins: Sequence[str]) -> dict[str, str] | None:
    """``{url: digest}`` for every pin that is a ``file://`` reference; None when one is too large."""
    digests: dict[str, str] = {}
    for pin in pins:
        match = _FILE_URL.search(pin)
        if match is None:
            continue
        url = match.group(1).split(";", 1)[0].split("#", 1)[0]
        digest = content_digest(Path(unquote(urlparse(url).path)))
        if digest is None:
            return None
        digests[url] = digest
    return digests


def content_digest(path: Path) -> str | None:
    """sha256 over a file, or over every file of a directory (path, mode, content) in order."""
    total = hashlib.sha256()
    if path.is_file():
        _add_file(total, path, path.name)
        return total.hexdigest()
    files, size = 0, 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info")
        )
        for name in sorted(filenames):
            file = Path(dirpath) / name
            files += 1
            size += file.lstat().st_size
            if files > MAX_FILES or size > MAX_BYTES:
                return None
            _add_file(total, file, file.relative_to(path).as_posix())
    return total.hexdigest()


def _add_file(total: hashlib._Hash, file: Path, rel: str) -> None:
    try:
        with file.open("rb") as handle:
            content = hashlib.file_digest(handle, "sha256").hexdigest()
        mode = file.stat().st_mode & 0o777
    except OSError:
        content, mode = "unreadable", 0
    total.update(f"{rel}\0{mode:o}\0{content}\n".encode("utf-8", "surrogateescape"))
