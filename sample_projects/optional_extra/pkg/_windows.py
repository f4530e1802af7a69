"""Windows-only helpers."""

import sys

assert sys.platform == "win32", "pkg._windows is for Windows only"


def console_codepage() -> int:
    return 65001
