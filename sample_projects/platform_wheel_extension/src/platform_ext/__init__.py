"""The C speed-up is the package: importing it proves the wheel was built for this interpreter."""
from platform_ext._speed import double

__all__ = ["double"]
