"""Starts a long-running child process at import and never waits for it (think: a background worker)."""

import subprocess
import sys

WORKER = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "mcheck-hostile-orphan"])
