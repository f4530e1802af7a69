"""An admin app built by a factory: the server must be told to call it (``--factory``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def index(request: object) -> PlainTextResponse:
    return PlainTextResponse("admin")


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", index)])
