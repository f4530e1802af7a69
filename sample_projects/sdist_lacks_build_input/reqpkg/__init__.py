"""A package whose setup.py reads requirements.txt."""
