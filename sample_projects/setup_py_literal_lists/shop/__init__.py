"""A shop whose setup.py names only the top-level package."""
