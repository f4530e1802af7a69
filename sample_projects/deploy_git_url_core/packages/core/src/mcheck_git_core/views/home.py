"""views/ has no __init__.py: setuptools' find_packages (namespaces = false) leaves it out."""

from starlette.responses import PlainTextResponse


async def home(request):
    return PlainTextResponse("home")
