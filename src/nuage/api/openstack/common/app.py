"""The Starlette app every OpenStack facade is: its routes, its Deps, and the three
exception handlers each facade would otherwise repeat.

A facade says only how its API words an error (`error(status, name, message, headers)`,
with the name taken from its own table of HTTP names), how a domain error becomes a
response, and the sentence its service gives on a crash; routing errors (404, 405) and
crashes are then answered in that API's envelope, and a crash is logged with its request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Router

from nuage.api.openstack.common.deps import install
from nuage.domain.errors import NuageError

log = logging.getLogger(__name__)

# The sentence every OpenStack service gives for a path it does not route.
NOT_FOUND = "The resource could not be found."

WireError = Callable[[int, str, str, dict[str, str]], Response]
DomainError = Callable[[Request, NuageError], Response]


def facade_app(routes: Sequence[BaseRoute], deps: object, *, error: WireError,
               names: Mapping[int, str], default_name: str, on_domain: DomainError,
               crash: tuple[str, str], crash_headers: Callable[[Request], dict[str, str]]
               = lambda request: {}, middleware: Sequence[Middleware] = (),
               redirect_slashes: bool = True) -> Starlette:
    """`names`: the API's error name (title, type or fault name) by HTTP status, else
    `default_name`; `crash`: the (name, message) of a 500; `crash_headers`: headers a crash
    response still needs (a handler's exception escapes the facade's middleware)."""

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NuageError)
        return on_domain(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = NOT_FOUND if exc.status_code == 404 else str(exc.detail)
        return error(exc.status_code, names.get(exc.status_code, default_name), message,
                     dict(exc.headers or {}))

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, crash[0], crash[1], crash_headers(request))

    handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
        NuageError: on_domain_error, HTTPException: on_http_error, Exception: on_crash}
    app = Starlette(routes=list(routes), middleware=list(middleware),
                    exception_handlers=dict(handlers))
    install(app, deps)
    if not redirect_slashes:
        router = app.router
        assert isinstance(router, Router)
        router.redirect_slashes = False
    return app
