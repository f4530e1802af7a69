"""routes/ has no __init__.py: setuptools' find_packages (namespaces = false) leaves it out."""

from starlette.responses import JSONResponse


async def health(request):
    return JSONResponse({"ok": True})
