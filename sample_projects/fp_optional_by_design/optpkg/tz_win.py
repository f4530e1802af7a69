"""Time zones from the Windows registry."""

from optpkg._compat import winreg


def open_key(name: str) -> object:
    return winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, name)
