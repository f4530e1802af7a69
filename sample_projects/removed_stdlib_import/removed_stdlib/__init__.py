"""Reloads plugins the 2010 way: `imp` is gone from Python 3.12, which requires-python admits."""
import sys
import imp

try:  # guarded: the fallback runs where the old alias is gone (3.10+), so this is no finding
    from collections import Mapping
except ImportError:
    from collections.abc import Mapping


def reload_plugin(module):
    return imp.reload(module)


def is_config(value) -> bool:
    return isinstance(value, Mapping) and "name" in value and bool(sys.argv)
