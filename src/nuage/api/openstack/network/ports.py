"""/v2.0/ports: create, list, show, update, delete."""

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
    fixed_ips,
    list_query,
    project_of,
    resource_body,
    security_groups,
)
from nuage.domain.errors import ValidationError
from nuage.services.network.ports import NewPort


def _command(v: dict[str, Any]) -> NewPort:
    if "network_id" not in v:
        raise ValidationError("Failed to parse request. Required attribute 'network_id' not "
                              "specified")
    return NewPort(
        network_id=v["network_id"], name=v.get("name", ""),
        description=v.get("description", ""), admin_state_up=v.get("admin_state_up", True),
        mac_address=v.get("mac_address"), fixed_ips=fixed_ips(v),
        device_id=v.get("device_id", ""), device_owner=v.get("device_owner", ""),
        port_security_enabled=v.get("port_security_enabled"),
        allowed_address_pairs=v.get("allowed_address_pairs", []),
        binding_host_id=v.get("binding:host_id"), binding_vnic_type=v.get("binding:vnic_type"),
        binding_profile=v.get("binding:profile"), project_id=project_of(v),
        tags=tuple(v.get("tags", ())), security_groups=security_groups(v))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "port")
    made = await call(d.s.ports.create_many, ctx, [_command(v) for v in items])
    return render.created("port", "ports", made, bulk, lambda i: render.port(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.ports.list_ports, ctx, list_query(request, "port", ctx))
    wanted = fields(request)
    return render.listed(request, "ports", f"{d.v2}/ports", page,
                         lambda i: render.port(i, ctx, wanted), lambda i: i.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    port = await call(d.s.ports.get, ctx, request.path_params["port_id"])
    return reply({"port": render.port(port, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "port", post=False)
    known = BY_WIRE["port"]
    changes = {known[k].attr or k: value for k, value in v.items()}
    if "fixed_ips" in v:
        changes["fixed_ips"] = fixed_ips(v)
    groups = security_groups(v)
    if groups is not None:
        changes["security_groups"] = list(groups)
    port = await call(d.s.ports.update, ctx, request.path_params["port_id"], changes)
    return reply({"port": render.port(port, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.ports.delete, ctx, request.path_params["port_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/ports", listing, methods=["GET"]),
    Route("/v2.0/ports", create, methods=["POST"]),
    Route("/v2.0/ports/{port_id}", show, methods=["GET"]),
    Route("/v2.0/ports/{port_id}", update, methods=["PUT"]),
    Route("/v2.0/ports/{port_id}", delete, methods=["DELETE"]),
]
