"""Context variables for greenlet-based servers."""

from greenlet import getcurrent


def current_id() -> int:
    return id(getcurrent())
