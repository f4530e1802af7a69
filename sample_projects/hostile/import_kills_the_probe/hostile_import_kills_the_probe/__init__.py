"""mcheck hostile sample: a module that kills the import probe at import time."""
