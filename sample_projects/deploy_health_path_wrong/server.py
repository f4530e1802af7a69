from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def healthz(request):
    return JSONResponse({"ok": True})


async def home(request):
    return PlainTextResponse("shop")


async def order(request):
    return JSONResponse({"id": request.path_params["order_id"]})


app = Starlette(
    routes=[Route("/", home), Route("/healthz", healthz), Route("/orders/{order_id}", order)]
)
