"""The real module."""


def value() -> int:
    return 2
