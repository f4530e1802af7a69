"""Security policies."""

ALLOWED_ORIGINS = ("https://monkey-coder.example",)
