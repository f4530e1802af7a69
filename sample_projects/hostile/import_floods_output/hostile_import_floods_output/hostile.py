"""Prints 50 MB at import, then fails: the capture of its output must stay bounded."""

import sys

_LINE = "x" * 1023 + "\n"
for _ in range(50 * 1024):
    sys.stdout.write(_LINE)
sys.stdout.flush()
raise RuntimeError("failed after printing 50 MB")
