"""The package's one real module."""


def greet(name: str) -> str:
    return f"hello, {name}"
