"""/v2.0/floatingips: create (optionally bound to a port), list, show, update (bind with
port_id, unbind with port_id null), delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.network import render
from nuage.api.openstack.network.attributes import BY_WIRE
from nuage.api.openstack.network.deps import caller
from nuage.api.openstack.network.requests import (
    create_bodies,
    fields,
    list_query,
    project_of,
    resource_body,
)
from nuage.domain.errors import ValidationError
from nuage.services.network.floatingips import NewFloatingIp


def _command(v: dict[str, Any]) -> NewFloatingIp:
    if not v.get("floating_network_id"):
        raise ValidationError("Failed to parse request. Required attribute "
                              "'floating_network_id' not specified")
    return NewFloatingIp(
        floating_network_id=v["floating_network_id"],
        floating_ip_address=v.get("floating_ip_address"), subnet_id=v.get("subnet_id"),
        port_id=v.get("port_id"), fixed_ip_address=v.get("fixed_ip_address"),
        description=v.get("description", ""), project_id=project_of(v),
        tags=tuple(v.get("tags", ())))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "floatingip")
    made = await call(d.s.floatingips.create_many, ctx, [_command(v) for v in items])
    return render.created("floatingip", "floatingips", made, bulk,
                          lambda i: render.floatingip(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.floatingips.list_floatingips, ctx,
                      list_query(request, "floatingip", ctx))
    wanted = fields(request)
    return render.listed(request, "floatingips", f"{d.v2}/floatingips", page,
                         lambda i: render.floatingip(i, ctx, wanted), lambda i: i.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    fip = await call(d.s.floatingips.get, ctx, request.path_params["floatingip_id"])
    return reply({"floatingip": render.floatingip(fip, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "floatingip", post=False)
    known = BY_WIRE["floatingip"]
    changes = {known[k].attr or k: value for k, value in v.items()}
    fip = await call(d.s.floatingips.update, ctx, request.path_params["floatingip_id"],
                     changes)
    return reply({"floatingip": render.floatingip(fip, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.floatingips.delete, ctx, request.path_params["floatingip_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/floatingips", listing, methods=["GET"]),
    Route("/v2.0/floatingips", create, methods=["POST"]),
    Route("/v2.0/floatingips/{floatingip_id}", show, methods=["GET"]),
    Route("/v2.0/floatingips/{floatingip_id}", update, methods=["PUT"]),
    Route("/v2.0/floatingips/{floatingip_id}", delete, methods=["DELETE"]),
]
