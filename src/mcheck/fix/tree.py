"""Applying fixes to a directory, rendering them as a diff, and guarding the user's uncommitted work.

This is the only module that writes into the user's tree, and only :func:`write_fixes` does.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from mcheck.findings import Fix
from mcheck.gitcmd import run_git


def new_contents(root: Path, fixes: Iterable[Fix]) -> dict[str, tuple[str | None, str]]:
    """Every file the fixes touch: (its text now, its text with every fix applied in turn)."""
    state: dict[str, tuple[str | None, str]] = {}
    for fix in fixes:
        for edit in fix.edits:
            if edit.path in state:
                before, current = state[edit.path]
            else:
                before = _read(root / edit.path)
                current = before
            state[edit.path] = (before, edit.change(current))
    return {path: texts for path, texts in state.items() if texts[0] != texts[1]}


def write_fixes(root: Path, fixes: Iterable[Fix]) -> list[str]:
    """Apply ``fixes`` to the files under ``root``; the paths written."""
    written = []
    for path, (_, after) in sorted(new_contents(root, fixes).items()):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(after, encoding="utf-8")
        written.append(path)
    return written


def unified_diff(root: Path, fixes: Iterable[Fix], label_root: Path | None = None) -> str:
    """The fixes as a git-style unified diff (``a/PATH``, ``b/PATH``, a ``new file mode`` header for
    created files, so that an empty ``__init__.py`` shows too), paths relative to ``label_root``
    (default: the current directory, so `git apply` applies it from there)."""
    base = label_root or Path.cwd()
    chunks = []
    for path, (before, after) in sorted(new_contents(root, fixes).items()):
        name = _label(root / path, base)
        chunks.append(f"diff --git a/{name} b/{name}\n")
        if before is None:
            chunks.append("new file mode 100644\n")
        lines = difflib.unified_diff(
            (before or "").splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{name}" if before is not None else "/dev/null",
            tofile=f"b/{name}",
        )
        # A last line without a newline gets the marker patch and git apply expect after it.
        chunks.extend(
            line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
            for line in lines
        )
    return "".join(chunks)


def uncommitted(root: Path, paths: Iterable[str]) -> list[str]:
    """Of ``paths`` (relative to ``root``), those git says have uncommitted changes; [] outside git."""
    paths = list(paths)
    if not paths:
        return []
    try:
        done = run_git(["status", "--porcelain", "--", *paths], repo=root)
    except (OSError, subprocess.SubprocessError):
        return []
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return sorted(line[3:] for line in lines if line.strip())  # untracked ones too: not in git


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _label(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()
