"""ACME report tools."""
