"""Reads a template at call time: the wheel must ship ledger/templates/statement.txt."""

from importlib.resources import files


def statement() -> str:
    return files("ledger").joinpath("templates/statement.txt").read_text(encoding="utf-8")
