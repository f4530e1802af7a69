"""Calls sys.exit(3) at import time instead of under `if __name__ == "__main__":`."""

import sys

sys.exit(3)
