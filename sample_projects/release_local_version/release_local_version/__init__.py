"""A package built with a local version."""
