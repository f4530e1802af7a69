"""The command line: `main` was renamed to `run`, but [project.scripts] still names `main`."""

from __future__ import annotations

import sys


def run(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print("hello", *args)
    return 0
