"""One ``uv pip compile`` per distinct request at a time, shared by the targets of one process.

The members of a monorepo mostly ask the same questions: the same build requirements
(``flit_core>=3.9,<4``, ``hatchling``), often the same dependency list. Each answer is a subprocess
(about 0.2 s), asked again for every member by the build cache's key, the result cache's key and
the venv cache. Within a short window the answer cannot differ (uv's own HTTP cache keeps an index
page for minutes), so a request asked within :data:`FRESH_SECONDS` of the same request is answered
from memory; two threads asking at once wait for one resolution. Failures are never remembered.

This is process state on purpose: it is keyed by everything the answer depends on (the request, the
interpreter, uv) and expires, so a long-lived API user still sees new releases.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

FRESH_SECONDS = 60.0


class Resolutions:
    """Answers by request, each valid for ``fresh`` seconds after it was computed."""

    def __init__(self, fresh: float = FRESH_SECONDS) -> None:
        self.fresh = fresh
        self._guard = threading.Lock()
        self._answers: dict[Hashable, tuple[float, list[str]]] = {}
        self._pending: dict[Hashable, threading.Lock] = {}

    def answer(self, request: Hashable, resolve: Callable[[], list[str]]) -> list[str]:
        """The fresh answer to ``request``, resolving it (once, whoever asks) when there is none."""
        with self._guard:
            lock = self._pending.setdefault(request, threading.Lock())
        with lock:
            with self._guard:
                known = self._answers.get(request)
            if known is not None and time.monotonic() - known[0] < self.fresh:
                return list(known[1])
            answer = resolve()  # raises: nothing is remembered
            with self._guard:
                self._answers[request] = (time.monotonic(), list(answer))
            return list(answer)


RESOLUTIONS = Resolutions()
