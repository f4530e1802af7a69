"""Errors that end a run before any finding can be made (exit code 2)."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input: a missing path, something that is not a Python project, a malformed
    ``pyproject.toml``, a corrupt wheel. The CLI prints the message as one line and exits 2."""

    exit_code = 2


class Interrupted(Exception):
    """The run was stopped by SIGINT/SIGTERM; carries the conventional exit status (130/143)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.exit_code = 128 + signum
