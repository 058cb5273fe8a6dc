"""The Nova v2.1 facade, mounted at /compute.

Routes are served under both /v2.1 and /v2 (Nova's legacy prefix, same behaviour). Every
response carries the microversion headers; a request for a microversion nuage does not
implement gets 406 before any handler runs.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuage.api.openstack.common.app import facade_app
from nuage.api.openstack.common.http import reply
from nuage.api.openstack.compute import (
    aggregates,
    diagnostics,
    extensions,
    flavors,
    hosts,
    hypervisors,
    images,
    interfaces,
    keypairs,
    limits,
    migrations,
    quota_classes,
    server_actions,
    server_security_groups,
    server_tags,
    servers,
    usage,
    versions,
    volume_attachments,
)
from nuage.api.openstack.compute.deps import VERSION_KEY, Deps, deps
from nuage.api.openstack.compute.errors import nova_fault, to_response
from nuage.api.openstack.compute.server_views import ServerViews
from nuage.services.compute.build import ComputeServices
from nuage.services.identity.tokens import TokenService
from nuage.services.image.images import ImageService

# Nova's fault names by status, for errors raised outside the domain (routing, methods).
HTTP_FAULTS = {400: "badRequest", 404: "itemNotFound", 405: "badMethod", 409: "conflictingRequest"}


class Microversions:
    """Negotiates the microversion, leaves it in the scope for handlers (Deps.version),
    and answers with both version headers (and Vary)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            version = versions.requested(Headers(scope=scope))
        except versions.NotAcceptable as exc:
            headers = versions.response_headers(versions.MIN_VERSION)
            rid = scope.get("state", {}).get("request_id")
            if rid:
                headers["X-Compute-Request-Id"] = str(rid)
            response = nova_fault(406, "computeFault", exc.message, headers)
            await response(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[VERSION_KEY] = version
        extra = [(k.lower().encode(), v.encode())
                 for k, v in versions.response_headers(version).items()]
        # Nova's own request id header, beside X-OpenStack-Request-ID (2.46 says both).
        if state.get("request_id"):
            extra.append((b"x-compute-request-id", str(state["request_id"]).encode()))

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_version)


API: list[BaseRoute] = [
    *flavors.ROUTES, *keypairs.ROUTES, *limits.ROUTES,
    *hosts.ROUTES, *hypervisors.ROUTES, *servers.ROUTES,
    *server_actions.ROUTES, *server_tags.ROUTES, *server_security_groups.ROUTES,
    *extensions.ROUTES, *quota_classes.ROUTES,
    *aggregates.ROUTES,
    *images.ROUTES,
    *migrations.ROUTES, *usage.ROUTES,
    *diagnostics.ROUTES, *interfaces.ROUTES,
    *volume_attachments.ROUTES,
]


async def version_list(request: Request) -> Response:
    # Tempest insists on 200 here (not 300) and on v2.0 first.
    docs = versions.documents(deps(request).url)
    return reply({"versions": [docs["v2.0"], docs["v2.1"]]})


async def version_v2(request: Request) -> Response:
    return reply({"version": versions.documents(deps(request).url)["v2.0"]})


async def version_v21(request: Request) -> Response:
    return reply({"version": versions.documents(deps(request).url)["v2.1"]})


def crash_headers(request: Request) -> dict[str, str]:
    # A crash escapes the Microversions middleware, so its headers are added here.
    headers = versions.response_headers(Deps.version(request))
    rid = request.scope.get("state", {}).get("request_id")
    if rid:
        headers["X-Compute-Request-Id"] = str(rid)
    return headers


CRASH = ("computeFault", "Unexpected API Error. Please report this at nuage's issue tracker "
         "and attach the nuage log if possible.")


def compute_app(services: ComputeServices, tokens: TokenService, glance: ImageService,
                base_url: str, image_url: str) -> Starlette:
    """`base_url` is the unversioned compute URL, e.g. http://127.0.0.1:8800/compute;
    `glance`: the image service behind Nova's /images proxy."""
    shared = Deps(s=services, tokens=tokens, url=base_url,
                  server_views=ServerViews(f"{base_url}/v2.1", base_url, image_url),
                  glance=glance, image_url=image_url)

    return facade_app(
        [
            Route("/", version_list, methods=["GET"]),
            Route("/v2", version_v2, methods=["GET"]),
            Route("/v2/", version_v2, methods=["GET"]),
            Route("/v2.1", version_v21, methods=["GET"]),
            Route("/v2.1/", version_v21, methods=["GET"]),
            Mount("/v2.1", routes=API),
            Mount("/v2", routes=API),
        ],
        shared, error=nova_fault, names=HTTP_FAULTS, default_name="computeFault",
        crash=CRASH, crash_headers=crash_headers, middleware=[Middleware(Microversions)],
        on_domain=lambda request, exc: to_response(exc, {}))
