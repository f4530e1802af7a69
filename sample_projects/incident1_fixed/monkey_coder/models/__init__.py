"""Models."""

from .execute import ExecuteRequest


class Base:
    table: str = ""


__all__ = ["Base", "ExecuteRequest"]
