"""Where each package the wheel ships lives in the source tree.

Backends map source directories to installed paths in many ways (``src/`` layouts, ``package-dir``,
hatch ``packages``/``sources``, poetry ``from``). Rather than re-implementing each configuration,
mcheck infers the mapping from the artifacts: for every top-level package in the wheel it picks the
source directory of the same name whose files best match the wheel's files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from mcheck.knowledge.conventions import JUNK_DIRS, JUNK_NAMES, JUNK_SUFFIXES
from mcheck.wheel.artifacts import WheelContents


@dataclass(frozen=True)
class PackageSource:
    """A top-level package of the wheel and the project directory it was built from."""

    name: str  # "pkg"
    source_dir: str  # "src/pkg" (project-relative, posix); "" never happens

    def wheel_path(self, source_file: str) -> str:
        return self.name + source_file[len(self.source_dir) :]

    def source_path(self, wheel_path: str) -> str:
        return self.source_dir + wheel_path[len(self.name) :]

    def contains(self, source_file: str) -> bool:
        return source_file.startswith(self.source_dir + "/")


def is_junk(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return (
        (bool(parts) and parts[-1] in JUNK_NAMES)
        or any(p in JUNK_DIRS for p in parts)
        or path.endswith(JUNK_SUFFIXES)
    )


def map_packages(wheel: WheelContents, source_files: frozenset[str]) -> list[PackageSource]:
    """Find the source directory of every top-level package directory in ``wheel``."""
    by_top: dict[str, list[str]] = defaultdict(list)
    for installed in wheel.installed_files:
        top, sep, rest = installed.partition("/")
        if sep and top.isidentifier():
            by_top[top].append(rest)
    dirs = _directories(source_files)
    mapped = []
    for top, rests in sorted(by_top.items()):
        best = _best_source_dir(top, rests, dirs, source_files)
        if best is not None:
            mapped.append(PackageSource(top, best))
    return mapped


def _directories(files: frozenset[str]) -> set[str]:
    dirs = set()
    for f in files:
        parent = PurePosixPath(f).parent
        while str(parent) != ".":
            dirs.add(parent.as_posix())
            parent = parent.parent
    return dirs


def _best_source_dir(
    top: str, rests: list[str], dirs: set[str], files: frozenset[str]
) -> str | None:
    candidates = [d for d in dirs if PurePosixPath(d).name == top]
    scored = [(sum(f"{d}/{rest}" in files for rest in rests), -d.count("/"), d) for d in candidates]
    scored = [s for s in scored if s[0] > 0]
    if scored:
        return max(scored)[2]
    # Only generated files of the package were shipped (a hatch-vcs `_version.py`, untracked): the
    # package directory of that name at the root or under src/ is still where the rest should come from.
    shallow = sorted(d for d in candidates if d in (top, f"src/{top}"))
    return shallow[0] if shallow else None
