"""acme.widgets: one portion of the `acme` namespace package (acme/ has no __init__.py on purpose)."""

from .knobs import Knob

__all__ = ["Knob"]
