"""Every third-party import here is guarded: none is an undeclared dependency."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

try:  # the standard library's on 3.8+; the backport only where it is missing
    from typing import Literal
except ImportError:
    from typing_extensions import Literal

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

if TYPE_CHECKING:
    import numpy

Mode = Literal["fast", "safe"]


def load(text: str) -> dict:
    return tomllib.loads(text)


def total(values: numpy.ndarray) -> float:
    return float(values.sum())
