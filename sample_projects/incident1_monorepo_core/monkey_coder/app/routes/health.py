"""Health route (this directory has no __init__.py)."""


def health() -> dict:
    return {"status": "ok"}
