"""The service: the lifespan opens the database named by DATABASE_URL before serving."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def database_url() -> str:
    # The defect: the test suite sets DATABASE_URL in its fixtures, the deploy never does.
    url = os.environ.get("MCHECK_SAMPLE_DATABASE_URL")
    if not url:
        raise RuntimeError("MCHECK_SAMPLE_DATABASE_URL is not set; cannot open the database pool")
    return url


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, str]]:
    yield {"database": database_url()}


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "database": request.state.database})


app = Starlette(routes=[Route("/health", health)], lifespan=lifespan)
