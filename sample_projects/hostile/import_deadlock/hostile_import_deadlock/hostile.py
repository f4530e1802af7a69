"""Deadlocks at import: takes a non-reentrant lock twice (think: a lock held across an import cycle)."""

import threading

_LOCK = threading.Lock()
_LOCK.acquire()
_LOCK.acquire()
