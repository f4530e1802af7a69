import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def home(request):
    return PlainTextResponse(f"httpx {httpx.__version__}")


app = Starlette(routes=[Route("/", home)])
