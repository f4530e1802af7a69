"""Prefer simplejson when it is installed, as requests.compat does."""

has_simplejson = False
try:
    import simplejson as json

    has_simplejson = True
except ImportError:
    import json

if has_simplejson:
    from simplejson import JSONDecodeError
else:
    from json import JSONDecodeError

__all__ = ["JSONDecodeError", "json"]
