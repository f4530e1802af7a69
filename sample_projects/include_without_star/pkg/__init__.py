"""Top-level package: the only one include = ["pkg"] matches."""
