"""The repository's shared code."""
