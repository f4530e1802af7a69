"""A package with pkg/util.py next to pkg/util/."""
