"""The service: a lifespan that prepares state, and the health route the host polls."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, bool]]:
    # Real services open pools here; the health route proves the state reached the request.
    yield {"ready": True}


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": request.state.ready})


app = Starlette(routes=[Route("/api/health", health)], lifespan=lifespan)
