"""mcheck hostile sample: os._exit(0) at import time."""
