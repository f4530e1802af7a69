from starlette.applications import Starlette
from starlette.routing import Route

from mcheck_svc_core.routes.health import health

app = Starlette(routes=[Route("/api/health", health)])
