"""A package with a NameError waiting in a function."""
