"""Imports slugify, which lives in the shadowed util.py."""

from pkg.util import slugify


def main() -> None:
    print(slugify("Hello World"))
