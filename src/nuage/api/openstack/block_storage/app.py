"""The Cinder v3 facade, mounted at /volume.

Every API route is served both as /v3/<path> and as /v3/{project_id}/<path> (the CLI
and openstacksdk use the latter when the catalog URL carries a project id; Tempest and
the catalog nuage gives use the former). Every response carries the negotiated
microversion; a request for one outside 3.0-3.42 gets Cinder's 406 before any handler.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuage.api.openstack.block_storage import (
    backups,
    quotas,
    snapshots,
    types,
    versions,
    volume_actions,
    volumes,
)
from nuage.api.openstack.block_storage.deps import MIN_VERSION, VERSION_KEY, Deps, deps
from nuage.api.openstack.block_storage.errors import (
    CRASH,
    DEFAULT_NAME,
    NAMES,
    cinder_error,
    to_response,
)
from nuage.api.openstack.common.app import facade_app
from nuage.services.identity.tokens import TokenService
from nuage.services.volume.build import VolumeServices

# The modules serving /v3, each with its ROUTES (paths relative to /v3).
RESOURCES = (volumes, volume_actions, snapshots, types, backups, quotas)


class Microversions:
    """Negotiates the microversion, leaves it in the scope for handlers (Deps.version),
    and answers with the version header (and Vary)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            version = versions.requested(Headers(scope=scope))
        except versions.NotAcceptable as exc:
            response = cinder_error(406, DEFAULT_NAME, exc.message,
                                    versions.response_headers(MIN_VERSION))
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[VERSION_KEY] = version
        extra = [(k.lower().encode(), v.encode())
                 for k, v in versions.response_headers(version).items()]

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_version)


def _routes() -> list[BaseRoute]:
    """Each /v3 route without, then with, a project id in the path."""
    api = [route for module in RESOURCES for route in module.ROUTES]
    out: list[BaseRoute] = list(versions.ROUTES)
    for prefix in ("/v3", "/v3/{project_id}"):
        for route in api:
            assert isinstance(route, Route)
            out.append(Route(prefix + route.path, route.endpoint,
                             methods=sorted(route.methods or ()), name=None))
    return out


def crash_headers(request: Request) -> dict[str, str]:
    # A crash escapes the Microversions middleware, so its header is added here.
    return versions.response_headers(Deps.version(request))


def block_storage_app(services: VolumeServices, tokens: TokenService, volume_url: str,
                      identity_url: str) -> Starlette:
    return facade_app(
        _routes(), Deps(s=services, tokens=tokens, url=volume_url, identity_url=identity_url),
        error=cinder_error, names=NAMES, default_name=DEFAULT_NAME, crash=CRASH,
        crash_headers=crash_headers, middleware=[Middleware(Microversions)],
        on_domain=lambda request, exc: to_response(exc, deps(request).identity_url),
        redirect_slashes=False)
