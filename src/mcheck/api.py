"""The Python API: the same objects the CLI uses.

>>> from mcheck.api import check_wheel
>>> report = check_wheel("path/to/project")          # or "dist/pkg-1.0-py3-none-any.whl"
>>> [(f.code, f.path) for f in report.findings if f.severity.value == "error"]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcheck.findings import Report
from mcheck.pipeline import Options, Progress, run_pipeline


def check_wheel(target: str | Path, *, source: str | Path | None = None, jobs: int | None = None,
                keep: bool = False, serve: bool = False, progress: Progress | None = None, **settings: Any) -> Report:
    """Build (or take) the wheel of ``target``, install it into a fresh venv, import it and diff it.

    ``settings`` override ``[tool.mcheck]``: ``timeout``, ``python``, ``extras``, ``select``, ``ignore``,
    ``per_path_ignores``, ``fail_on``, ``asgi``, ``health`` (None means "not given").
    Raises :class:`mcheck.errors.UsageError` for bad input.
    """
    options = Options(overrides=settings, keep=keep, serve=serve, source=Path(source) if source is not None else None,
                      **({"jobs": jobs} if jobs else {}))
    return run_pipeline(Path(target), options, progress)
