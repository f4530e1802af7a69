"""ASGI entry point: `uvicorn monkey_coder.app.main:app`, health check `GET /api/health`."""

import json

from monkey_coder.app.routes.health import health
from monkey_coder.email.sender import send_email


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/api/health":
        status, body = 200, health()
    elif scope["path"] == "/api/notify":
        status, body = 200, send_email("ops@example.com", "deployed")
    else:
        status, body = 404, {"detail": "not found"}
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})
