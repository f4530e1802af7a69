"""Prints 300 MB when imported, then imports fine: the probes' logs of it must stay bounded."""

import sys

_LINE = "z" * 1023 + "\n"
for _ in range(300 * 1024):
    sys.stdout.write(_LINE)
sys.stdout.flush()


def main() -> int:
    return 0
