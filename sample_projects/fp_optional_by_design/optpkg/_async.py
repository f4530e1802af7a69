"""Chooses the coroutine implementation for the running Python, as pexpect._async does."""

from sys import version_info as py_version_info

if py_version_info >= (3, 6):
    from optpkg._async_new import run
else:
    from optpkg._async_old import run

__all__ = ["run"]
