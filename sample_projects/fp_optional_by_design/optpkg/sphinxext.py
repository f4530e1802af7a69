"""A Sphinx extension: only used by projects that build docs with Sphinx."""

from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict:
    return {"parallel_read_safe": True}
