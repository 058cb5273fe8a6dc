"""The Keystone v3 facade, mounted at /identity."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from nuage.api.openstack.common.deps import install
from nuage.api.openstack.identity import auth, catalog, credentials, projects, roles, users
from nuage.api.openstack.identity.deps import Deps, deps
from nuage.api.openstack.identity.errors import keystone_error, to_response
from nuage.api.openstack.identity.render import Renderer
from nuage.api.openstack.identity.token_bodies import TokenBodies, ValidationLane
from nuage.domain.errors import NuageError
from nuage.services.identity.build import IdentityServices

log = logging.getLogger(__name__)


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NuageError)
    return to_response(request, exc, deps(request).url)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: "Not Found", 405: "Method Not Allowed"}
    title = titles.get(exc.status_code, "Error")
    message = ("The resource could not be found." if exc.status_code == 404
               else str(exc.detail))
    return keystone_error(exc.status_code, title, message, dict(exc.headers or {}))


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return keystone_error(500, "Internal Server Error",
                          "An unexpected error prevented the server from fulfilling your "
                          "request.")


def identity_app(services: IdentityServices, identity_url: str) -> ASGIApp:
    render = Renderer(f"{identity_url}/v3")
    bodies = TokenBodies(render)
    app = Starlette(
        routes=[*auth.ROUTES, *projects.ROUTES, *users.ROUTES, *roles.ROUTES, *catalog.ROUTES,
                *credentials.ROUTES],
        exception_handlers={NuageError: on_domain_error, HTTPException: on_http_error,
                            Exception: on_crash},
    )
    install(app, Deps(s=services, render=render, url=identity_url, token_bodies=bodies))
    return ValidationLane(app, services.tokens, bodies)
