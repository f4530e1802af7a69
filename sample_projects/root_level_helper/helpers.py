"""A root-level helper module: importable from the checkout, not shipped in the wheel."""


def shout(text: str) -> str:
    return text.upper() + "!"
