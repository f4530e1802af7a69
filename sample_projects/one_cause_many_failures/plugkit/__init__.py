"""Plugins discovered through pkg_resources (which setuptools provides, and nobody declared)."""
