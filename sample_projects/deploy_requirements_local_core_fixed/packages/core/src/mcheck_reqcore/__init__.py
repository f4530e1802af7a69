"""The shared core."""
