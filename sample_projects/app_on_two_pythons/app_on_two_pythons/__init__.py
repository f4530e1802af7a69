"""A bare ASGI app: no framework, so the sample installs nothing but itself."""

import json


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    # Imported per request, so the import of the module works on every Python: only the health
    # check, on 3.10, finds that datetime.UTC arrived in 3.11.
    from datetime import UTC, datetime

    body = json.dumps({"now": datetime.now(UTC).isoformat()}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
