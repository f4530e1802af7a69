from common.settings import NAME
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def health(request):
    return PlainTextResponse(NAME)

app = Starlette(routes=[Route("/health", health)])
