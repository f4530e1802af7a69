"""The cost of fork isolation itself, without any of the probe's bookkeeping.

Usage: ``python -I fork_floor.py MODULES_FILE JOBS PRELOAD [--no-import]`` in the same venv as the
probe. First imports what the probe's fork servers would have imported before forking (the
comma-separated ``PRELOAD`` standard-library modules and every parent package of the modules) and
freezes the heap, then forks one child per module, ``jobs`` at a time; each child imports its module (or,
with ``--no-import``, nothing) and exits, reporting nothing. With imports, this is the least a
fork-per-module probe pays on this machine: the fork, the copy-on-write faults the import causes in the
child, and the exit.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys


def preload(modules: list[str], stdlib: list[str]) -> None:
    parents = {
        ".".join(name.split(".")[:depth])
        for name in modules
        for depth in range(1, name.count(".") + 1)
    }
    for name in [*stdlib, *sorted(parents, key=lambda n: n.count("."))]:
        try:
            importlib.import_module(name)
        except Exception:  # a parent that fails is imported (and fails) in each child instead
            continue
    gc.freeze()


def main(modules_file: str, jobs: int, stdlib: list[str], do_import: bool) -> int:
    with open(modules_file, encoding="utf-8") as fh:
        modules = [line.strip() for line in fh if line.strip()]
    preload(modules, stdlib)
    running = 0
    for name in modules:
        if running >= jobs:
            os.wait()
            running -= 1
        if os.fork() == 0:
            if do_import:
                try:
                    importlib.import_module(name)
                finally:
                    os._exit(0)
            os._exit(0)
        running += 1
    while running:
        os.wait()
        running -= 1
    return 0


if __name__ == "__main__":
    sys.exit(
        main(
            sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), "--no-import" not in sys.argv[4:]
        )
    )
