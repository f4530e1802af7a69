"""A release check run as a script: it exits, also when imported (trio's check_type_completeness does)."""

import sys


def main() -> int:
    return 1


sys.exit(main())
