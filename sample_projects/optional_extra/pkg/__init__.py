"""A package with an optional CLI and a Windows-only module."""
