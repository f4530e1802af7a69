"""A package whose ASGI app never finishes starting."""
