"""Top-level package: the only one the explicit packages list names."""
