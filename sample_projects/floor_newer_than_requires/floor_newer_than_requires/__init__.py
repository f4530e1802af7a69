"""Reads its settings file: fine on the maintainer's 3.12, ModuleNotFoundError on 3.9."""

import tomllib
from typing import Self


class Settings:
    def __init__(self, data: dict) -> None:
        self.data = data

    @classmethod
    def load(cls, text: str) -> Self:
        return cls(tomllib.loads(text))
