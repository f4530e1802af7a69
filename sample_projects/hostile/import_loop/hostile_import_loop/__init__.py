"""mcheck hostile sample: an infinite loop at import time."""
