from mcheck_rootcore import greeting
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def home(request):
    return PlainTextResponse(greeting())


app = Starlette(routes=[Route("/", home)])
