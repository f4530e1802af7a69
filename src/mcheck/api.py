"""The Python API: the same objects the CLI uses (also importable as ``mcheck.check_wheel``/``mcheck.check_deploy``).

>>> import mcheck
>>> report = mcheck.check_wheel("path/to/project", ignore=["MC304"])  # or "dist/pkg-1.0-py3-none-any.whl"
>>> [(f.code, f.path) for f in report.findings if f.severity.value == "error"]
>>> report.exit_code, report.modules.failed
>>> from mcheck.reporters import render
>>> sarif = render("sarif", [report])                 # any CLI format, as a string
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcheck.findings import Report
from mcheck.wheel.pipeline import Options, Progress, run_pipeline

if TYPE_CHECKING:
    from mcheck.deploy.pipeline import check_deploy

__all__ = ["Report", "check_deploy", "check_wheel"]


def __getattr__(name: str) -> object:
    """``check_deploy`` on first use: ``mcheck wheel`` never loads the deploy pipeline."""
    if name == "check_deploy":
        from mcheck.deploy.pipeline import check_deploy

        return check_deploy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_wheel(
    target: str | Path,
    *,
    source: str | Path | None = None,
    jobs: int | None = None,
    keep: bool = False,
    serve: bool = False,
    sandbox: bool = False,
    pytest_args: Sequence[str] = (),
    fix: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    **settings: Any,
) -> Report:
    """Build (or take) the wheel of ``target``, install it into a fresh venv, import it and diff it.

    ``settings`` override ``[tool.mcheck]``: ``timeout``, ``python``, ``extras``, ``select``, ``ignore``,
    ``per_path_ignores``, ``fail_on``, ``asgi``, ``health``, ``cache``, ``build_timeout``, ``release``,
    ``tests`` (True, "wheel-only"), ``tests_path``, ``tests_timeout`` (None means "not given").
    ``pytest_args`` go to pytest when the project's tests run (``-k EXPR``, test paths).
    ``fix="write"`` (``--fix``) proves each finding's mechanical fix on a copy and writes the proven
    ones to the project (not over uncommitted changes to the files they touch, unless ``force``);
    ``fix="diff"`` (``--diff``) proves them and puts them in ``report.fix_diff``, writing nothing.
    ``sandbox`` runs the build backend and the probes under bubblewrap (no network, read-only file system).
    Raises :class:`mcheck.errors.UsageError` for bad input (and for ``sandbox`` where bwrap cannot run).
    """
    options = Options(
        overrides=settings,
        keep=keep,
        serve=serve,
        sandbox=sandbox,
        pytest_args=tuple(pytest_args),
        fix=fix,
        force=force,
        source=Path(source) if source is not None else None,
        **({"jobs": jobs} if jobs else {}),
    )
    return run_pipeline(Path(target), options, progress)
