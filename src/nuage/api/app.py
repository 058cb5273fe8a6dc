"""The HTTP front of `nuage up`: one ASGI app, each facade mounted at its path prefix."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from nuage.api.middleware import OPENSTACK_IDS, listener_middleware


async def ping(request: Request) -> Response:
    """Does nothing, through the same middleware: the benchmarks' baseline."""
    return PlainTextResponse("ok")


class _AtRoot:
    """Serves a facade's own "/" for its bare prefix, without a redirect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = scope["path"]
        scope = {**scope, "path": "/", "root_path": scope.get("root_path", "") + prefix}
        await self.app(scope, receive, send)


def front_app(mounts: dict[str, ASGIApp]) -> Starlette:
    routes: list[Route | Mount] = [Route("/ping", ping, methods=["GET"])]
    # "/identity" itself (no slash) is where clients discover Keystone's versions.
    routes += [Route(prefix, _AtRoot(app), methods=["GET", "HEAD"])
               for prefix, app in mounts.items()]
    routes += [Mount(prefix, app=app) for prefix, app in mounts.items()]
    # The same stack as the S3 listener's (api/middleware.py), inside Starlette's own error
    # handler.
    return Starlette(routes=routes, middleware=listener_middleware(OPENSTACK_IDS))
