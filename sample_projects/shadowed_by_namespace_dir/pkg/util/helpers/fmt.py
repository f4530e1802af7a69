"""Formatting helpers nobody can import while pkg/util.py exists."""


def shout(text):
    return text.upper()
