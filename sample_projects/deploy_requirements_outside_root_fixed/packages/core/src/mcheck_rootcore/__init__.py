"""The shared core."""


def greeting() -> str:
    return "hello"
