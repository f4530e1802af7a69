"""Renders a page from a template that is not declared as package data."""

from pathlib import Path


def render(title: str) -> str:
    template = (Path(__file__).parent / "templates" / "page.html").read_text(encoding="utf-8")
    return template.replace("{{ title }}", title)
