"""Isolating a run (private ``TMPDIR`` and ``$HOME``) and finding what it left behind: processes (through
``/proc``, without psutil) and temporary files.

A test gives each mcheck run a private ``TMPDIR``. That path doubles as the marker of the run's
processes: everything mcheck starts has it in its command line or its environment (the isolated build
env, the test venv and the probe's temporary directories all live under it, and children inherit the
environment), so a scan of ``/proc`` for it finds any survivor.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

EXIT_GRACE = 3.0  # SIGKILL is asynchronous: how long a killed process may take to disappear

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/environ").is_file(),
    reason="the leftover-process checks scan /proc (Linux only)",
)


def processes_mentioning(marker: str) -> list[str]:
    """Command lines of live processes (other than this one) whose command line or environment holds ``marker``."""
    needle = marker.encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:  # exited meanwhile, or not ours to read
            continue
        if needle in cmdline or needle in environ:
            found.append(
                cmdline.replace(b"\0", b" ").decode("utf-8", "replace").strip()
                or f"pid {proc.name}"
            )
    return found


def survivors(marker: str, grace: float = EXIT_GRACE) -> list[str]:
    """Processes still mentioning ``marker`` once ``grace`` seconds have passed (or as soon as none are left)."""
    deadline = time.monotonic() + grace
    while (alive := processes_mentioning(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def entries(directory: Path) -> list[str]:
    """The names in ``directory`` (a run's private ``TMPDIR`` must be empty again when the run ends)."""
    return sorted(p.name for p in directory.iterdir())


def make_home(home: Path) -> Path:
    """A home directory with the files a hostile module likes to overwrite or delete."""
    home.mkdir()
    (home / ".profile").write_text("export EDITOR=vi\n")
    (home / "canary.txt").write_text("must survive\n")
    return home


def isolate(monkeypatch: pytest.MonkeyPatch, *, home: Path, private_tmp: Path) -> None:
    """Point ``$HOME`` and every temporary directory of this process and its children at test directories."""
    # uv and mcheck keep their caches under $HOME by default: pin them first, or the run would fill (and need)
    # the new home. Those caches are the tools' own; the project's code never gets the real $HOME.
    from mcheck.wheel.install import cache_dir

    if "UV_CACHE_DIR" not in os.environ:
        xdg = os.environ.get("XDG_CACHE_HOME")
        monkeypatch.setenv(
            "UV_CACHE_DIR", str(Path(xdg, "uv") if xdg else Path.home() / ".cache" / "uv")
        )
    monkeypatch.setenv("MCHECK_CACHE_DIR", str(cache_dir()))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(
        tempfile, "tempdir", str(private_tmp)
    )  # gettempdir() caches its first answer
