"""A raw ASGI app: its lifespan startup starts a helper process, then waits for ever."""

import asyncio
import subprocess
import sys

_HELPER = "mcheck-hostile-app-lifespan-hangs-helper"


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", _HELPER])
        await asyncio.Event().wait()  # never sends lifespan.startup.complete
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def main() -> int:
    return 0
