"""mcheck hostile sample: a segmentation fault at import time."""
