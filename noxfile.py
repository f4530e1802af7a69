"""Developer sessions. `nox -s tests` is what CI runs (through .ci/run); `nox -s lint` keeps ruff clean."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.default_venv_backend = "uv|virtualenv"


@nox.session
def tests(session: nox.Session) -> None:
    """The default suite: unit tests plus every sample project (not the slow real-world ones)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "-m", "not slow", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py")


@nox.session
def realworld(session: nox.Session) -> None:
    """Slow: real packages from the registry (marked `slow`)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "-m", "slow", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/codes.md from the catalogue."""
    session.install("-e", ".")
    session.run("python", "-m", "mcheck.explain", "--write-docs")
