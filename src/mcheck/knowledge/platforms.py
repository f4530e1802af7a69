"""Which modules exist only on some platforms or Python versions, and how platform guards read.

Data only, no decisions: the checks in :mod:`mcheck.checks` decide what a failing import means.
"""

from __future__ import annotations

import re

# Modules that exist only on some platforms (stdlib and the usual third-party bindings) -> where.
PLATFORM_MODULES: dict[str, str] = {
    **dict.fromkeys(
        (
            "winreg",
            "_winreg",
            "msvcrt",
            "_winapi",
            "winsound",
            "_msi",
            "msilib",
            "nt",
            "_overlapped",
            "_wmi",
            "win32api",
            "win32con",
            "win32com",
            "win32file",
            "win32gui",
            "win32process",
            "win32event",
            "win32service",
            "win32serviceutil",
            "pywintypes",
            "pythoncom",
            "winerror",
            "wmi",
            "comtypes",
            "_win32sysloader",
        ),
        "Windows",
    ),
    **dict.fromkeys(
        (
            "fcntl",
            "termios",
            "pwd",
            "grp",
            "resource",
            "posix",
            "tty",
            "pty",
            "crypt",
            "syslog",
            "_posixsubprocess",
            "_posixshmem",
            "nis",
            "spwd",
            "readline",
            "_curses",
            "curses",
        ),
        "POSIX",
    ),
    **dict.fromkeys(
        ("objc", "AppKit", "Foundation", "CoreFoundation", "Quartz", "_scproxy"), "macOS"
    ),
    **dict.fromkeys(("js", "pyodide", "pyodide_js", "pyscript"), "Emscripten (Pyodide)"),
    "ossaudiodev": "Linux",
}
# Exception types (last component) that platform guards raise, and what such a guard mentions.
PLATFORM_GUARD_TYPES = frozenset(
    {
        "AssertionError",
        "ImportError",
        "ModuleNotFoundError",
        "OSError",
        "RuntimeError",
        "NotImplementedError",
        "AttributeError",
        "ValueError",
    }
)
PLATFORM_WORDS = re.compile(
    r"sys\.platform|os\.name|platform\.system|\b(win32|windows|darwin|macos|windll|"
    r"oledll|WinDLL|wintypes|epoll|kqueue)\b",
    re.IGNORECASE,
)
# Standard-library modules removed in a Python version -> that version (PEP 594, PEP 632).
REMOVED_STDLIB = {
    **dict.fromkeys(("distutils", "imp", "asynchat", "asyncore", "smtpd"), "3.12"),
    **dict.fromkeys(
        (
            "aifc",
            "audioop",
            "cgi",
            "cgitb",
            "chunk",
            "crypt",
            "imghdr",
            "mailcap",
            "msilib",
            "nis",
            "nntplib",
            "ossaudiodev",
            "pipes",
            "sndhdr",
            "spwd",
            "sunau",
            "telnetlib",
            "uu",
            "xdrlib",
            "lib2to3",
        ),
        "3.13",
    ),
}
