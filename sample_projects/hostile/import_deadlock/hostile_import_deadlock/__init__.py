"""mcheck hostile sample: a deadlock at import time."""
