"""A service written for the Python its image runs (3.12): `typing.override` does not exist in 3.11."""

from typing import override


class Greeter:
    def greet(self) -> str:
        return "hello"


class LoudGreeter(Greeter):
    @override
    def greet(self) -> str:
        return "HELLO"


if __name__ == "__main__":
    print(LoudGreeter().greet())
