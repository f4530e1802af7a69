"""Needs pkg.extra, which never reaches the wheel."""

from pkg.extra import helper


def run() -> str:
    return helper()
