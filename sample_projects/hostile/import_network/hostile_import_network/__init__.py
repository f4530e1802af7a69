"""mcheck hostile sample: a network connection at import time."""
