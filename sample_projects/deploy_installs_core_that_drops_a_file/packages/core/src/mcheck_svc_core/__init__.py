"""The service's core."""
