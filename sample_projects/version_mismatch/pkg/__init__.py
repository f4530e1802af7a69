"""A package whose hand-written __version__ disagrees with pyproject.toml (2.0.0)."""

__version__ = "1.9.0"
