"""A member that imports its sibling: only the workspace's core provides it."""

from mcheck_ws_core import GREETING

MESSAGE = GREETING.upper()
