"""Health route."""


def health() -> dict:
    return {"status": "ok"}
