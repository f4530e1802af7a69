"""A package whose setup.py cannot run."""
