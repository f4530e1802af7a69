from tinyparse.core import parse

__all__ = ["parse"]
