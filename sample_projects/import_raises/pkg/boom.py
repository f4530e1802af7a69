"""Raises as soon as it is imported."""

raise RuntimeError("boom")
