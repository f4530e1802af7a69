# Starts a helper that inherits the hook's stdout and outlives the hook by a minute (as a compiler
# server or a file watcher does), then builds normally. The build is done when the hook exits.
import subprocess
import sys

from setuptools import setup

subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(60)", "mcheck-hostile-build-helper-holds-output"]
)
setup()
