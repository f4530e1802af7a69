"""The views of the core."""
