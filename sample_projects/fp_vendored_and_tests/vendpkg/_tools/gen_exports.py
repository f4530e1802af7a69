"""A code generator for maintainers; astor is a development dependency."""

import astor


def render(tree: object) -> str:
    return astor.to_source(tree)
