"""A package with a module whose import never finishes."""
