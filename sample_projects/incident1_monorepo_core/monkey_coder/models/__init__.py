"""Persistence models."""


class Base:
    table: str = ""
