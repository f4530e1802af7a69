"""A package that still carries Python 2 compatibility code, as six and requests do."""

from compatpkg.compat import text_type

__all__ = ["text_type"]
