"""Excluded from the sdist, so a wheel built from the sdist does not have it either."""


def helper() -> str:
    return "helped"
