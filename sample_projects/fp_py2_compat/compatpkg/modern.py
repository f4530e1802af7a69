"""Python 3 only code (no version check in this file): a Python 2 builtin here is a real NameError."""


def label(value: object) -> str:
    return unicode(value)
