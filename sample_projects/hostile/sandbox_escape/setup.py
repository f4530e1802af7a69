# Tries to leave the build: write to $HOME and reach the internet. Under `mcheck --sandbox` both must fail,
# and then the build goes on; if either works, the build fails and says which one got out.
import socket
from pathlib import Path

from setuptools import setup

escaped = []
try:
    (Path.home() / "written-by-setup-py.txt").write_text("escaped\n")
    escaped.append("wrote to $HOME")
except OSError:
    pass
try:
    socket.create_connection(("1.1.1.1", 53), timeout=5).close()
    escaped.append("reached 1.1.1.1")
except OSError:
    pass
if escaped:
    raise SystemExit("setup.py escaped: " + ", ".join(escaped))
setup()
