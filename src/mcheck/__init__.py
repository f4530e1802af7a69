"""mcheck: build, install and import a Python package the way its users will.

The public API is what this package exports (``__all__``): :func:`check_wheel`, :func:`check_deploy`,
the finding model (:class:`Finding`, :class:`Report`, :class:`Severity`), :func:`render` (any CLI
format as a string) and :class:`UsageError` (bad input). Everything else, every submodule included,
is internal and may change between releases; the CLI (``mcheck --help``) and the JSON report
(``docs/json-schema.json``) are the other stable surfaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mcheck.api import check_deploy, check_wheel
    from mcheck.errors import UsageError
    from mcheck.findings import Finding, Report, Severity
    from mcheck.reporters import render

__all__ = [
    "Finding",
    "Report",
    "Severity",
    "UsageError",
    "__version__",
    "check_deploy",
    "check_wheel",
    "render",
]

# Imported on first use, so that ``import mcheck`` stays cheap for the modules that only need
# ``__version__`` (the reporters, the probes' host side).
_LAZY = {
    "check_wheel": "mcheck.api",
    "check_deploy": "mcheck.api",
    "Finding": "mcheck.findings",
    "Report": "mcheck.findings",
    "Severity": "mcheck.findings",
    "UsageError": "mcheck.errors",
    "render": "mcheck.reporters",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
