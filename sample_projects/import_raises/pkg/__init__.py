"""A package with a module that raises when imported."""
