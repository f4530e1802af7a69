"""A command-line tool whose console script points at a function that no longer exists."""
