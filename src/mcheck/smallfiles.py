"""Reading configuration files that a project (or an attacker) controls, with bounds.

A deploy file, a ``.dockerignore`` or a requirements file named by a project can be a FIFO (``open``
blocks forever), ``/dev/zero`` (``read`` never ends) or simply huge. Every such read goes through
:func:`read_small_text`: only a regular file, only up to a size no real file of that kind reaches.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Deploy files, ignore files, requirements and env files are a few kilobytes in real projects.
CONFIG_FILE_LIMIT = 1024 * 1024
# Python sources and pyproject.toml can be large when generated, never this large.
SOURCE_FILE_LIMIT = 16 * 1024 * 1024


class UnreadableFile(OSError):
    """The file is not a regular file, or larger than the bound for its kind. An ``OSError``, so
    every caller that already handles an unreadable file handles this one the same way. Its text
    names no path: callers name the file as they name it elsewhere."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.strerror = message


def read_small_text(path: Path, *, limit: int = CONFIG_FILE_LIMIT, errors: str = "strict") -> str:
    """The UTF-8 text of ``path`` (symlinks followed), refusing anything but a regular file of at most
    ``limit`` bytes. Opened non-blocking, so a FIFO is refused instead of hanging the run."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("not a regular file")
        if info.st_size > limit:
            raise UnreadableFile(f"{info.st_size} bytes, more than the {limit} read here")
        data = _read_at_most(fd, limit)
    finally:
        os.close(fd)
    if len(data) > limit:  # grew while being read
        raise UnreadableFile(f"more than the {limit} bytes read here")
    return data.decode("utf-8", errors=errors)


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 16, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
