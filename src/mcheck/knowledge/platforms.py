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
            # the rest of pywin32's modules (Twisted's _dumbwin32proc, _pollingfile)
            "win32pipe",
            "win32security",
            "win32job",
            "win32pdh",
            "win32ts",
            "win32crypt",
            "win32clipboard",
            "win32print",
            "win32profile",
            "win32net",
            "win32timezone",
            "winxpgui",
            "_win32typing",
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
        (
            "objc",
            "AppKit",
            "Foundation",
            "CoreFoundation",
            "CFNetwork",
            "Cocoa",
            "CoreServices",
            "PyObjCTools",
            "Quartz",
            "_scproxy",
        ),
        "macOS",
    ),
    "__pypy__": "PyPy",  # the PyPy interpreter's own built-in module (msgpack's fallback checks it)
    **dict.fromkeys(("js", "pyodide", "pyodide_js", "pyscript"), "Emscripten (Pyodide)"),
    "ossaudiodev": "Linux",
}
# GUI-toolkit bindings that come with the desktop (the system's packages), not from the package index:
# PyGObject's `gi` needs the system's GObject introspection, PyGTK (`gtk`, `gobject`) and the
# classic `wxPython` namespace were never Python 3 wheels, pyui is long gone. A module of a wheel
# that needs one (Twisted's gtk2reactor, gireactor, wxreactor) is support for that desktop, not
# a missing dependency. Toolkits with wheels on the index (PyQt, PySide, wx) are not here.
HOST_GUI_BINDINGS: dict[str, str] = {
    "gi": "PyGObject (GTK / GNOME)",
    "gobject": "PyGTK",
    "gtk": "PyGTK",
    "pygtk": "PyGTK",
    "gnome": "GNOME's Python bindings",
    "wxPython": "the classic wxPython",
    "pyui": "pyui",
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
