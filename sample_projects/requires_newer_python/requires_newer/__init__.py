"""Uses typing.override (3.12+) and says so in requires-python: correct, and not for Python 3.11."""
from typing import override


class Base:
    def greet(self) -> str:
        return "hello"


class Loud(Base):
    @override
    def greet(self) -> str:
        return "HELLO"
