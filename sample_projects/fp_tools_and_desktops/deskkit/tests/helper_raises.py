"""Raises on import, on purpose: the reflection tests check how that is reported."""

1 // 0
