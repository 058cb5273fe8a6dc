"""The Neutron v2.0 facade, mounted at /network."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from nuage.api.openstack.common.deps import install
from nuage.api.openstack.network import (
    extensions,
    floatingips,
    networks,
    ports,
    quotas,
    rbac,
    routers,
    security_group_rules,
    security_groups,
    subnets,
    tags,
    versions,
)
from nuage.api.openstack.network.deps import Deps, deps
from nuage.api.openstack.network.errors import neutron_error, to_response
from nuage.domain.errors import NuageError
from nuage.services.identity.tokens import TokenService
from nuage.services.network.build import NetworkServices

log = logging.getLogger(__name__)

TYPES = {404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 413: "HTTPRequestEntityTooLarge",
         415: "HTTPUnsupportedMediaType"}


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NuageError)
    return to_response(exc, deps(request).identity_url)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = ("The resource could not be found." if exc.status_code == 404
               else str(exc.detail))
    return neutron_error(exc.status_code, TYPES.get(exc.status_code, "HTTPError"), message,
                         dict(exc.headers or {}))


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return neutron_error(500, "HTTPInternalServerError",
                         "Request Failed: internal server error while processing your "
                         "request.")


def network_app(services: NetworkServices, tokens: TokenService, network_url: str,
                identity_url: str) -> Starlette:
    app = Starlette(
        routes=[*versions.ROUTES, *extensions.ROUTES, *networks.ROUTES, *subnets.ROUTES,
                *ports.ROUTES, *quotas.ROUTES, *security_groups.ROUTES,
                *security_group_rules.ROUTES, *routers.ROUTES, *floatingips.ROUTES,
                *tags.ROUTES, *rbac.ROUTES],
        exception_handlers={NuageError: on_domain_error, HTTPException: on_http_error,
                            Exception: on_crash},
    )
    install(app, Deps(s=services, tokens=tokens, url=network_url, identity_url=identity_url))
    # "/v2.0/networks/" names no network: 404, never a redirect to the list.
    router = app.router
    assert isinstance(router, Router)
    router.redirect_slashes = False
    return app
