# A build that never finishes: a helper process that sleeps forever, and a loop that never ends.
import subprocess
import sys
import time

HELPER = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)", "mcheck-hostile-build-loops"])
attempt = 0
while True:
    attempt += 1
    print(f"hostile setup.py: still resolving the toolchain (attempt {attempt})", flush=True)
    time.sleep(0.5)
