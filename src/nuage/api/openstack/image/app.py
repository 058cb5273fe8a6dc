"""The Glance v2 facade, mounted at /image."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from nuage.api.openstack.common.deps import install
from nuage.api.openstack.image import data, images, members, schemas
from nuage.api.openstack.image.deps import Deps, deps
from nuage.api.openstack.image.errors import glance_error, to_response
from nuage.domain.errors import NuageError
from nuage.services.identity.tokens import TokenService
from nuage.services.image.build import ImageServices

log = logging.getLogger(__name__)

TITLES = {404: "Not Found", 405: "Method Not Allowed", 413: "Request Entity Too Large",
          415: "Unsupported Media Type"}


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NuageError)
    return to_response(exc, deps(request).identity_url)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = ("The resource could not be found." if exc.status_code == 404
               else str(exc.detail))
    return glance_error(exc.status_code, TITLES.get(exc.status_code, "Error"), message,
                        dict(exc.headers or {}))


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return glance_error(500, "Internal Server Error",
                        "An unexpected error prevented the server from fulfilling your "
                        "request.")


def image_app(services: ImageServices, tokens: TokenService, image_url: str,
              identity_url: str) -> Starlette:
    app = Starlette(
        routes=[*schemas.ROUTES, *images.ROUTES, *data.ROUTES, *members.ROUTES],
        exception_handlers={NuageError: on_domain_error, HTTPException: on_http_error,
                            Exception: on_crash},
    )
    install(app, Deps(s=services, tokens=tokens, url=image_url, identity_url=identity_url))
    # "/v2/images/" must 404 rather than redirect to the list (Tempest's null-id tests).
    router = app.router
    assert isinstance(router, Router)
    router.redirect_slashes = False
    return app
