# Prints 200 MB into the build log, then builds normally: mcheck must keep only a bounded tail.
import sys

from setuptools import setup

_LINE = "y" * 1023 + "\n"
for _ in range(200 * 1024):
    sys.stdout.write(_LINE)
sys.stdout.flush()
setup()
