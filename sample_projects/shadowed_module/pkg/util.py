"""Never importable: the package pkg/util/ next to this file wins."""


def slugify(text: str) -> str:
    return "-".join(text.lower().split())
