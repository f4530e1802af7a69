"""Dropped with its package."""


def answer() -> int:
    return 42
