"""A second member using the shared core, which it names by path instead of `workspace = true`."""

from mcheck_ws_core import GREETING

JOB = f"{GREETING}, from the worker"
