"""Reads a template at call time: the wheel must ship shop/templates/receipt.txt."""

from importlib.resources import files


def receipt() -> str:
    return files("shop").joinpath("templates/receipt.txt").read_text(encoding="utf-8")
