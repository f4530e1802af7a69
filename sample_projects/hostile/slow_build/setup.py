# A build that takes minutes and starts a helper process (think: a native compiler), used to test that
# Ctrl-C / SIGTERM during the build stops both and removes the temporary files.
import subprocess
import sys
import time

HELPER = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "mcheck-hostile-slow-build"])
time.sleep(300)
raise SystemExit("the slow build was not interrupted")
