"""Tries, at import time, to modify the installed package and to reach the internet, and starts a daemon
in a session of its own (out of reach of the probe's process-group kill); always raises, saying how each
attempt ended, so the report shows what the sandbox allowed."""

import socket
import subprocess
import sys
from pathlib import Path

DAEMON = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "mcheck-hostile-daemon"],
                          start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _attempt(action) -> str:
    try:
        action()
    except OSError as exc:
        return f"refused ({exc.strerror})"
    return "succeeded"


_WRITE = _attempt(lambda: Path(__file__).with_name("written-by-import.py").write_text("VALUE = 2\n"))
_CONNECT = _attempt(lambda: socket.create_connection(("1.1.1.1", 53), timeout=5).close())
raise RuntimeError(f"write into site-packages {_WRITE}; connect to 1.1.1.1 {_CONNECT}")
