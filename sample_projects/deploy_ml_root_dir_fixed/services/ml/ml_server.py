from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def health(request):
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/health", health)])
