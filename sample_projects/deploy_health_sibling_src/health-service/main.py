from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from src.config import Config


async def health(request):
    return JSONResponse({"service": Config.service_name})


app = Starlette(routes=[Route("/health", health)])
