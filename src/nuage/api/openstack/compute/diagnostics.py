"""GET /servers/{id}/diagnostics: below 2.48, the driver's own flat dict (nuage's is the
one Nova's libvirt driver answers); from 2.48, Nova's standard diagnostics."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import caller


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.diagnostics.diagnostics, ctx, request.path_params["server_id"],
                       d.version(request) >= (2, 48))
    return reply(found)


ROUTES: list[Route] = [Route("/servers/{server_id}/diagnostics", show, methods=["GET"])]
