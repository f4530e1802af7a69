"""A ledger whose setup.cfg names only the top-level package."""
