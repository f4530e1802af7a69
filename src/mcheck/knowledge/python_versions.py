"""Which Python version introduced a standard-library module or name: the static floor check's table
(MC205). Only what shipped code imports by name can be checked statically: ``import tomllib``,
``from typing import Self``. Sources: the "New in version" notes of the Python documentation.
"""

from __future__ import annotations

# module -> the first version that has it
STDLIB_MODULES_ADDED: dict[str, tuple[int, int]] = {
    "contextvars": (3, 7),
    "dataclasses": (3, 7),
    "importlib.resources": (3, 7),
    "importlib.metadata": (3, 8),
    "graphlib": (3, 9),
    "zoneinfo": (3, 9),
    "tomllib": (3, 11),
    "wsgiref.types": (3, 11),
    "importlib.resources.abc": (3, 11),
    "annotationlib": (3, 14),
    "compression": (3, 14),
    "string.templatelib": (3, 14),
}

# (module, name) -> the first version whose module has the name
STDLIB_NAMES_ADDED: dict[tuple[str, str], tuple[int, int]] = {
    **dict.fromkeys(
        [
            ("typing", "Literal"),
            ("typing", "Protocol"),
            ("typing", "TypedDict"),
            ("typing", "Final"),
            ("typing", "final"),
            ("typing", "runtime_checkable"),
            ("functools", "cached_property"),
        ],
        (3, 8),
    ),
    **dict.fromkeys([("typing", "Annotated"), ("functools", "cache"), ("math", "lcm")], (3, 9)),
    **dict.fromkeys(
        [
            ("typing", "TypeAlias"),
            ("typing", "ParamSpec"),
            ("typing", "Concatenate"),
            ("typing", "TypeGuard"),
            ("typing", "is_typeddict"),
            ("itertools", "pairwise"),
        ],
        (3, 10),
    ),
    **dict.fromkeys(
        [
            ("typing", "Self"),
            ("typing", "LiteralString"),
            ("typing", "Never"),
            ("typing", "assert_never"),
            ("typing", "reveal_type"),
            ("typing", "TypeVarTuple"),
            ("typing", "Unpack"),
            ("typing", "Required"),
            ("typing", "NotRequired"),
            ("typing", "dataclass_transform"),
            ("datetime", "UTC"),
            ("enum", "StrEnum"),
            ("contextlib", "chdir"),
            ("asyncio", "TaskGroup"),
            ("asyncio", "timeout"),
            ("hashlib", "file_digest"),
        ],
        (3, 11),
    ),
    **dict.fromkeys(
        [("typing", "override"), ("typing", "TypeAliasType"), ("itertools", "batched")], (3, 12)
    ),
    **dict.fromkeys(
        [("typing", "TypeIs"), ("typing", "ReadOnly"), ("warnings", "deprecated")], (3, 13)
    ),
}
