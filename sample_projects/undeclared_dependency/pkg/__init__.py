"""Encrypts things with the wrong import name (incident 5)."""
