"""Small helpers, distributed under the name `tools`."""


def identity(value: object) -> object:
    return value
