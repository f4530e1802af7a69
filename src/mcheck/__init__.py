"""mcheck: build, install and import a Python package the way its users will."""

from __future__ import annotations

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``mcheck.check_wheel`` and ``mcheck.check_deploy`` (see :mod:`mcheck.api`), imported on first use so
    that ``import mcheck`` stays cheap for the modules that only need ``__version__``."""
    if name in ("check_wheel", "check_deploy"):
        from mcheck import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
