"""Monkey Coder core package."""

__version__ = "1.0.0"
