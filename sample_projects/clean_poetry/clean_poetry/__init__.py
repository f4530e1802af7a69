"""A tiny, correct package used as an mcheck sample."""

from .core import greet

__all__ = ["greet"]
