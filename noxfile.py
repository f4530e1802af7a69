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
def unit(session: nox.Session) -> None:
    """Seconds: the tests that need no build and no venv (marked `unit`)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "unit", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")


@nox.session
def realworld(session: nox.Session) -> None:
    """Slow: mcheck on pinned real releases from the registry (tests/realworld); rewrites docs/realworld.md.

    Two workers at most: each check builds, installs and imports a package, and uses a core of its own.
    The docs are regenerated from whatever ran, also when a test failed, so that the table shows it.
    The releases are unpacked outside this repository (nox's own TMPDIR is inside it): mcheck stages a
    project that sits in a git work tree from git, where an unpacked sdist is not tracked.
    """
    _real_suite(
        session,
        "realworld",
        "slow",
        "tests/realworld/realworld_harness.py",
        "MCHECK_REALWORLD_RESULTS",
        release_run=True,
    )


@nox.session
def caches(session: nox.Session) -> None:
    """Slow: every sample checked with --no-cache gives the findings it gives with every cache (the
    default suite checks one sample of each shape, and that every sample replays its report)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "2", "-m", "slow", "tests/cache", *session.posargs)


@nox.session
def realbugs(session: nox.Session) -> None:
    """Slow: the real-bug corpus (tests/realbugs/corpus.toml) from local mirrors; rewrites docs/realbugs.md.

    Each case exports a broken and a fixing commit into fresh git repositories and runs the real CLI on
    both. Cases whose mirror is absent are skipped (set MCHECK_MIRRORS to where the mirrors are).
    """
    _real_suite(
        session, "realbugs", "realbugs", "tests/realbugs/harness.py", "MCHECK_REALBUGS_RESULTS"
    )


def _real_suite(
    session: nox.Session,
    name: str,
    marker: str,
    harness: str,
    results_variable: str,
    *,
    release_run: bool = False,
) -> None:
    """Run ``tests/<name>`` on two workers with results outside the repository, then render
    ``docs/<name>.md`` from whatever ran (also when a test failed, so that the table shows it).
    ``release_run``: also run it with ``--release`` (MCHECK_REALWORLD_RELEASE=1) to list what the
    release gate adds; that run only collects (a release finding is not a test failure there)."""
    import shutil
    import tempfile
    from pathlib import Path

    session.install("-e", ".[test]")
    scratch = Path(tempfile.mkdtemp(prefix=f"mcheck-{name}-"))
    results = scratch / "results"
    env = {results_variable: str(results), "TMPDIR": str(scratch)}
    release = scratch / "release-results"
    render = ["python", harness, "render", str(results), f"docs/{name}.md"]
    try:
        session.run("pytest", "-n", "2", "-m", marker, f"tests/{name}", *session.posargs, env=env)
        if release_run:
            release_env = {**env, results_variable: str(release), "MCHECK_REALWORLD_RELEASE": "1"}
            pytest = ["pytest", "-n", "2", "-m", marker, f"tests/{name}", *session.posargs]
            session.run(*pytest, env=release_env, success_codes=[0, 1])
            render.append(str(release))
    finally:
        session.run(*render)
        shutil.rmtree(scratch, ignore_errors=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/codes.md from the catalogue."""
    session.install("-e", ".")
    session.run("python", "-m", "mcheck.explain", "--write-docs")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark mcheck against `uv build --wheel`, tox, build-and-inspect and a naive script; writes
    bench/RESULTS.md."""
    # pip downloads the pinned sdist of project (b); build, check-wheel-contents and twine are the
    # build-and-inspect pipeline mcheck is measured against.
    session.install(".", "tox", "pip", "build", "check-wheel-contents", "twine")
    session.run("python", "bench/run.py", *session.posargs)
