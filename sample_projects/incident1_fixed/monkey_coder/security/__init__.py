"""Security policies and helpers."""

from .passwords import hash_password

ALLOWED_ORIGINS = ("https://monkey-coder.example",)

__all__ = ["ALLOWED_ORIGINS", "hash_password"]
