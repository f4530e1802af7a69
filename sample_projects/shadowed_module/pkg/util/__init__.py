"""This package shadows pkg/util.py."""

SEPARATOR = "-"
