"""Background automation."""


def run_job(name: str) -> str:
    return f"ran {name}"
