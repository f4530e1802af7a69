"""Reads its settings file on every Python it allows: the standard library where it has the module,
the backport before."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
    from typing import Self
else:
    import tomli as tomllib
    from typing_extensions import Self


class Settings:
    def __init__(self, data: dict) -> None:
        self.data = data

    @classmethod
    def load(cls, text: str) -> Self:
        return cls(tomllib.loads(text))
