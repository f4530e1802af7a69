"""mcheck hostile sample: 50 MB printed at import time, then an exception."""
