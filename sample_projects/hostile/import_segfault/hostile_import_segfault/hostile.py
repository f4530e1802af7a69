"""Dies of SIGSEGV at import, as a crashing extension module would."""

import os
import signal

os.kill(os.getpid(), signal.SIGSEGV)
