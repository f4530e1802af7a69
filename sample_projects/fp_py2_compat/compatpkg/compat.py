"""Python 2/3 compatibility, the six way."""

import sys

PY3 = sys.version_info[0] == 3

if PY3:
    import io as string_io

    text_type = str
    string_types = (str,)
    integer_types = (int,)
else:
    import StringIO as string_io

    text_type = unicode  # Python 2 only: this branch never runs on Python 3
    string_types = (basestring,)
    integer_types = (int, long)

try:
    import threading
except ImportError:  # Python builds without threads (long gone)
    import dummy_threading as threading


def make_buffer() -> object:
    return string_io.StringIO()


LOCK = threading.Lock()
