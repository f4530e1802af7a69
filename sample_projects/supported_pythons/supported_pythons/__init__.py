"""typing.override on 3.12+, the typing_extensions backport (declared for < 3.12 only) before."""
import sys

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override


class Base:
    def name(self) -> str:
        return "base"


class Child(Base):
    @override
    def name(self) -> str:
        return "child"
