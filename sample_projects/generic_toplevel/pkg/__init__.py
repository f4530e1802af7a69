"""A package whose package discovery also ships its tests."""


def double(x: int) -> int:
    return 2 * x
