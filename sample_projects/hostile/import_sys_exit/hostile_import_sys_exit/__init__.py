"""mcheck hostile sample: sys.exit(3) at import time."""
