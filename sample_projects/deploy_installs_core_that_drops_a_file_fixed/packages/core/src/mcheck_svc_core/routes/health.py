"""The health route."""

from starlette.responses import JSONResponse


async def health(request):
    return JSONResponse({"ok": True})
