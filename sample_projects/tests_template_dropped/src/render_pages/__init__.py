"""Renders pages from templates shipped inside the package."""

from importlib.resources import files


def title(name: str) -> str:
    return name.replace("_", " ").title()


def page(name: str) -> str:
    # Read when called, not at import: importing every module cannot see that the file is missing.
    template = files(__package__).joinpath("templates", "page.html").read_text(encoding="utf-8")
    return template.replace("{{ title }}", title(name))
