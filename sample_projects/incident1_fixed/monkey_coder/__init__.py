"""Monkey Coder core package."""

from importlib.metadata import version

__version__ = version("monkey-coder-core")
