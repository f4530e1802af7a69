"""The zip structure rules PyPI applies at upload (https://docs.pypi.org/archives/).

A zip can be read two ways: from the central directory at its end (Python's ``zipfile``, pip, uv) or by
streaming its local file headers from the start. An archive on which the two readings disagree (an
entry only in one of them, two entries with one name, sizes that differ, data before, between or
after the records) installs different files depending on the installer; PyPI rejects such uploads.
No maintained library checks this (the index's own check lives in its application code), so this
module walks the records with ``struct`` after the ZIP specification (APPNOTE.TXT, sections 4.3.7,
4.3.12, 4.3.14-4.3.16), and reports the first rule an archive breaks.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

LOCAL_FILE = b"PK\x03\x04"
CENTRAL_DIRECTORY = b"PK\x01\x02"
END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"
ZIP64_END = b"PK\x06\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_EXTRA = 0x0001
DATA_DESCRIPTOR_FLAG = 0x08
UNPRINTABLE = frozenset([*range(0x20), 0x7F])
_MAX32 = 0xFFFFFFFF


class ArchiveRuleBroken(Exception):
    """The archive breaks a rule; the message says which."""


@dataclass
class _Walk:
    """What the walk has seen so far."""

    central_sizes: dict[bytes, tuple[int, int]]  # name -> (compressed, uncompressed), from zipfile
    local: set[bytes]
    central: set[bytes]
    central_start: int | None = None
    central_records: int = 0


def archive_rule_problem(path: Path) -> str | None:
    """The first upload rule of the index that the zip at ``path`` breaks, or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            sizes = {
                _raw_name(info): (info.compress_size, info.file_size) for info in zf.infolist()
            }
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a readable zip: {exc}"
    walk = _Walk(central_sizes=sizes, local=set(), central=set())
    try:
        with path.open("rb") as fp:
            _walk_records(fp, walk)
            end = fp.tell()
            fp.seek(0, 2)
            if fp.tell() != end:
                raise ArchiveRuleBroken("data after the end of the archive")
    except ArchiveRuleBroken as exc:
        return str(exc)
    except (struct.error, OSError) as exc:
        return f"malformed zip records: {exc}"
    return None


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    # zipfile decodes names (UTF-8 when flagged, else cp437); the records hold the raw bytes.
    utf8 = info.flag_bits & 0x800
    return info.orig_filename.encode("utf-8" if utf8 else "cp437", errors="surrogateescape")


def _walk_records(fp: BinaryIO, walk: _Walk) -> None:
    handlers = {
        LOCAL_FILE: _local_file,
        CENTRAL_DIRECTORY: _central_directory,
        ZIP64_END: _zip64_end,
        ZIP64_LOCATOR: _zip64_locator,
    }
    while True:
        offset = fp.tell()
        signature = _read(fp, 4)
        if signature == END_OF_CENTRAL_DIRECTORY:
            _end_of_central_directory(fp, walk, offset)
            return
        handler = handlers.get(signature)
        if handler is None:
            raise ArchiveRuleBroken(f"unknown or misplaced record at byte {offset}")
        handler(fp, walk, offset)


def _local_file(fp: BinaryIO, walk: _Walk, offset: int) -> None:
    if walk.central_start is not None:
        raise ArchiveRuleBroken("a file record after the central directory")
    flags, compressed, size, name_len, extra_len = struct.unpack("<2xH10xIIHH", _read(fp, 26))
    name, extra = _read(fp, name_len), _read(fp, extra_len)
    _check_name(name)
    if flags & DATA_DESCRIPTOR_FLAG:
        raise ArchiveRuleBroken(f"{_shown(name)} uses a data descriptor (a streamed zip)")
    compressed, size = _zip64_sizes(extra, compressed, size)
    if name in walk.local:
        raise ArchiveRuleBroken(f"{_shown(name)} has two file records")
    if name not in walk.central_sizes:
        raise ArchiveRuleBroken(f"{_shown(name)} is not in the central directory")
    if walk.central_sizes[name] != (compressed, size):
        raise ArchiveRuleBroken(f"{_shown(name)}: the file record and the directory disagree")
    walk.local.add(name)
    fp.seek(compressed, 1)


def _zip64_sizes(extra: bytes, compressed: int, size: int) -> tuple[int, int]:
    """The real sizes when the 32-bit fields say "see the ZIP64 extra" (0xFFFFFFFF)."""
    while len(extra) >= 4:
        kind, length = struct.unpack("<HH", extra[:4])
        body, extra = extra[4 : 4 + length], extra[4 + length :]
        if kind != ZIP64_EXTRA:
            continue
        values = list(struct.unpack(f"<{len(body) // 8}Q", body[: len(body) // 8 * 8]))
        if size == _MAX32 and values:
            size = values.pop(0)
        if compressed == _MAX32 and values:
            compressed = values.pop(0)
    return compressed, size


def _central_directory(fp: BinaryIO, walk: _Walk, offset: int) -> None:
    if walk.central_start is None:
        walk.central_start = offset
    name_len, extra_len, comment_len = struct.unpack("<24xHHH12x", _read(fp, 42))
    name = _read(fp, name_len)
    _read(fp, extra_len)
    _check_name(name)
    if comment_len:
        raise ArchiveRuleBroken(f"{_shown(name)} has a comment in the central directory")
    if name in walk.central:
        raise ArchiveRuleBroken(f"{_shown(name)} is in the central directory twice")
    if name not in walk.local:
        raise ArchiveRuleBroken(
            f"{_shown(name)} is in the central directory but has no file record"
        )
    walk.central.add(name)
    walk.central_records += 1


def _zip64_end(fp: BinaryIO, walk: _Walk, offset: int) -> None:
    (record_size,) = struct.unpack("<Q", _read(fp, 8))
    if record_size != 44:
        raise ArchiveRuleBroken("a ZIP64 end record with extensible data")
    _read(fp, 44)


def _zip64_locator(fp: BinaryIO, walk: _Walk, offset: int) -> None:
    _read(fp, 16)


def _end_of_central_directory(fp: BinaryIO, walk: _Walk, offset: int) -> None:
    disk, first_disk, on_disk, records, _size, start, comment_len = struct.unpack(
        "<HHHHIIH", _read(fp, 18)
    )
    if disk or first_disk or on_disk != records:
        raise ArchiveRuleBroken("an archive spanning several disks")
    if records != 0xFFFF and records != walk.central_records:
        raise ArchiveRuleBroken("the end record counts other entries than the central directory")
    expected = walk.central_start if walk.central_start is not None else offset
    if start != _MAX32 and start != expected:
        raise ArchiveRuleBroken("the end record points at another central directory")
    if walk.local != walk.central:
        raise ArchiveRuleBroken("file records that the central directory does not list")
    _read(fp, comment_len)


def _check_name(name: bytes) -> None:
    if any(byte in UNPRINTABLE for byte in name):
        raise ArchiveRuleBroken(f"{_shown(name)} has an unprintable character in its name")


def _read(fp: BinaryIO, size: int) -> bytes:
    data = fp.read(size)
    if len(data) != size:
        raise ArchiveRuleBroken("the archive ends in the middle of a record")
    return data


def _shown(name: bytes) -> str:
    return repr(name.decode("utf-8", errors="backslashreplace"))
