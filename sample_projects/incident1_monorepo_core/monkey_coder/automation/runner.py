"""Background automation (this directory has no __init__.py)."""


def run_job(name: str) -> str:
    return f"ran {name}"
