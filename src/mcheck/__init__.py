"""mcheck: build, install and import a Python package the way its users will."""

from __future__ import annotations

__version__ = "0.1.0"
