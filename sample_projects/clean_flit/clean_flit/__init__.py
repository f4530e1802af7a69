"""A tiny, correct package used as an mcheck sample."""

__version__ = "0.1.0"

from .core import greet

__all__ = ["greet"]
