"""Uses a vendored copy of tinyparse, imported by its own name like poetry-core's `lark`."""

import os
import sys

_VENDOR = os.path.join(os.path.dirname(__file__), "_vendor")
if _VENDOR not in sys.path:
    sys.path.insert(0, _VENDOR)

from tinyparse import parse  # noqa: E402  (resolved from _vendor/)

__all__ = ["parse"]
