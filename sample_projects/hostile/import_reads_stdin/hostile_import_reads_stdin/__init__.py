"""mcheck hostile sample: input() at import time."""
