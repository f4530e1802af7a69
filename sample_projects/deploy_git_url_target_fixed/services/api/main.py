from mcheck_git_core.views.home import home
from starlette.applications import Starlette
from starlette.routing import Route

app = Starlette(routes=[Route("/", home)])
