"""The core works everywhere; the other modules are optional integrations."""

__all__ = ["core"]
