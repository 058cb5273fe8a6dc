"""/v2.0/routers: create, list, show, update, delete, and add_router_interface /
remove_router_interface."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.network import render
from nuage.api.openstack.network.attributes import BY_WIRE
from nuage.api.openstack.network.deps import caller
from nuage.api.openstack.network.requests import (
    create_bodies,
    fields,
    fixed_ips,
    invalid,
    list_query,
    project_of,
    resource_body,
    to_bool,
)
from nuage.services.network.routers import GatewayInfo, InterfaceInfo, NewRouter


def gateway(v: dict[str, Any]) -> GatewayInfo | None:
    """external_gateway_info: null or {} removes the gateway; otherwise network_id, and
    optionally enable_snat and external_fixed_ips."""
    given = v.get("external_gateway_info")
    if given is None or given == {}:
        return None
    if not isinstance(given, dict) or not set(given) <= {"network_id", "enable_snat",
                                                         "external_fixed_ips"}:
        raise invalid("external_gateway_info", f"'{given}' is not a valid gateway")
    network_id = given.get("network_id")
    if not isinstance(network_id, str) or not network_id:
        raise invalid("external_gateway_info", "network_id is required")
    snat = given.get("enable_snat")
    return GatewayInfo(network_id=network_id,
                       enable_snat=None if snat is None else to_bool("enable_snat", snat),
                       external_fixed_ips=fixed_ips({"fixed_ips": given["external_fixed_ips"]})
                       if given.get("external_fixed_ips") is not None else None)


def _command(v: dict[str, Any]) -> NewRouter:
    return NewRouter(name=v.get("name", ""), description=v.get("description", ""),
                     admin_state_up=v.get("admin_state_up", True), gateway=gateway(v),
                     project_id=project_of(v), tags=tuple(v.get("tags", ())))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "router")
    made = await call(d.s.routers.create_many, ctx, [_command(v) for v in items])
    return render.created("router", "routers", made, bulk, lambda i: render.router(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.routers.list_routers, ctx, list_query(request, "router", ctx))
    wanted = fields(request)
    return render.listed(request, "routers", f"{d.v2}/routers", page,
                         lambda i: render.router(i, ctx, wanted), lambda i: i.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    router = await call(d.s.routers.get, ctx, request.path_params["router_id"])
    return reply({"router": render.router(router, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "router", post=False)
    known = BY_WIRE["router"]
    changes = {known[k].attr or k: value for k, value in v.items()
               if k != "external_gateway_info"}
    if "external_gateway_info" in v:
        changes["gateway"] = gateway(v)
    router = await call(d.s.routers.update, ctx, request.path_params["router_id"], changes)
    return reply({"router": render.router(router, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.routers.delete, ctx, request.path_params["router_id"])
    return empty()


def _interface(info: InterfaceInfo) -> dict[str, Any]:
    return {"id": info.router_id, "tenant_id": info.project_id,
            "project_id": info.project_id, "port_id": info.port_id,
            "subnet_id": info.subnet_id, "subnet_ids": info.subnet_ids,
            "network_id": info.network_id}


async def _interface_body(request: Request) -> tuple[str | None, str | None]:
    body = await json_object(request)
    for key in ("subnet_id", "port_id"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise invalid(key, f"'{body[key]}' is not a valid UUID")
    return body.get("subnet_id"), body.get("port_id")


async def add_interface(request: Request) -> Response:
    d, ctx = await caller(request)
    subnet_id, port_id = await _interface_body(request)
    info = await call(d.s.routers.add_interface, ctx, request.path_params["router_id"],
                      subnet_id, port_id)
    return reply(_interface(info))


async def remove_interface(request: Request) -> Response:
    d, ctx = await caller(request)
    subnet_id, port_id = await _interface_body(request)
    info = await call(d.s.routers.remove_interface, ctx, request.path_params["router_id"],
                      subnet_id, port_id)
    return reply(_interface(info))


ROUTES: list[Route] = [
    Route("/v2.0/routers", listing, methods=["GET"]),
    Route("/v2.0/routers", create, methods=["POST"]),
    Route("/v2.0/routers/{router_id}", show, methods=["GET"]),
    Route("/v2.0/routers/{router_id}", update, methods=["PUT"]),
    Route("/v2.0/routers/{router_id}", delete, methods=["DELETE"]),
    Route("/v2.0/routers/{router_id}/add_router_interface", add_interface, methods=["PUT"]),
    Route("/v2.0/routers/{router_id}/remove_router_interface", remove_interface,
          methods=["PUT"]),
]
