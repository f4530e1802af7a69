from mcheck_deploy_core.greeting import greet
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def home(request):
    return PlainTextResponse(greet("api"))


app = Starlette(routes=[Route("/", home)])
