"""/v2.0/networks: create, list, show, update, delete."""

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
from nuage.services.network.networks import NewNetwork


def _command(v: dict[str, Any]) -> NewNetwork:
    return NewNetwork(
        name=v.get("name", ""), description=v.get("description", ""),
        admin_state_up=v.get("admin_state_up", True), shared=v.get("shared", False),
        external=v.get("router:external", False), is_default=v.get("is_default", False),
        mtu=v.get("mtu"),
        port_security_enabled=v.get("port_security_enabled", True),
        network_type=v.get("provider:network_type"),
        physical_network=v.get("provider:physical_network"),
        segmentation_id=v.get("provider:segmentation_id"), project_id=project_of(v),
        tags=tuple(v.get("tags", ())))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "network")
    made = await call(d.s.networks.create_many, ctx, [_command(v) for v in items])
    return render.created("network", "networks", made, bulk, lambda i: render.network(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.networks.list_networks, ctx, list_query(request, "network", ctx))
    wanted = fields(request)
    return render.listed(request, "networks", f"{d.v2}/networks", page,
                         lambda i: render.network(i, ctx, wanted), lambda i: i.network.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    info = await call(d.s.networks.get, ctx, request.path_params["network_id"])
    return reply({"network": render.network(info, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "network", post=False)
    known = BY_WIRE["network"]
    changes = {known[k].attr or k: value for k, value in v.items()}
    info = await call(d.s.networks.update, ctx, request.path_params["network_id"], changes)
    return reply({"network": render.network(info, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.networks.delete, ctx, request.path_params["network_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/networks", listing, methods=["GET"]),
    Route("/v2.0/networks", create, methods=["POST"]),
    Route("/v2.0/networks/{network_id}", show, methods=["GET"]),
    Route("/v2.0/networks/{network_id}", update, methods=["PUT"]),
    Route("/v2.0/networks/{network_id}", delete, methods=["DELETE"]),
]
