"""A host that loads plugins by name when asked to."""

import importlib


def load(name: str):
    return importlib.import_module(f"{__name__}.plugins.{name}")
