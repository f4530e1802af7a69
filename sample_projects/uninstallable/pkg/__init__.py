"""A package that requires a Python that does not exist yet."""
