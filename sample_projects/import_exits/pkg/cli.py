"""Calls sys.exit at import time instead of under `if __name__ == "__main__":`."""

import sys


def main() -> int:
    return 3


sys.exit(main())
