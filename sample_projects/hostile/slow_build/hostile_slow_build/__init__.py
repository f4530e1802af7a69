"""Builds slowly."""
