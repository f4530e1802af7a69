"""Connects to a service at import time (think: a database client created at module level).

Port 1 on the loopback interface has no listener, so the connection is refused at once.
"""

import socket

CONNECTION = socket.create_connection(("127.0.0.1", 1), timeout=10)
