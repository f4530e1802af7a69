"""The service starts fine, but its health route reports the database as down (500)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def health(request: Request) -> JSONResponse:
    # The defect: the route checks a dependency that is never configured, so the host's health check
    # fails and the deploy is rolled back.
    return JSONResponse({"ok": False, "database": "unreachable"}, status_code=500)


app = Starlette(routes=[Route("/api/health", health)])
