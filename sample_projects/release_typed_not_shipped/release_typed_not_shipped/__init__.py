"""A package that promises inline types."""


def greet(name: str) -> str:
    return f"hello {name}"
