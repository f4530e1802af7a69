"""Import every module named in a file, one after the other in this one process (no isolation).

What a hand-written CI step does (and the baseline for the probe: "one process that imports them all
sequentially"). A failing import is reported and the loop goes on; exit status 1 if any failed.
"""

from __future__ import annotations

import importlib
import sys


def main(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        modules = [line.strip() for line in fh if line.strip()]
    failed = 0
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            failed += 1
            print(f"failed: {name}: {type(exc).__name__}: {exc}")
    print(f"imported {len(modules) - failed} of {len(modules)} modules")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
