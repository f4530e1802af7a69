"""Stage timings, shared by both pipelines: every stage of ``mcheck wheel`` and ``mcheck deploy`` is
timed the same way, notices an interrupt before it starts, and says its name to the progress line."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from mcheck.errors import raise_if_interrupted
from mcheck.findings import Report, StageTiming

Progress = Callable[[str], None]


@contextlib.contextmanager
def timed_stage(report: Report, name: str, progress: Progress) -> Iterator[None]:
    """Run the body as stage ``name``: its timing (and whether it finished) goes into ``report``."""
    raise_if_interrupted()  # a run in a worker thread (several targets) stops here after Ctrl-C
    progress(name)
    started = time.perf_counter()
    ok = False
    try:
        yield
        ok = True
    finally:
        report.stages.append(StageTiming(name, round(time.perf_counter() - started, 3), ok))
