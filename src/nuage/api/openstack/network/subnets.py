"""/v2.0/subnets: create, list, show, update, delete."""

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
from nuage.services.network.subnets import NewSubnet


def _no_segments(v: dict[str, Any]) -> None:
    """Routed segments and service types are not served: only their absence passes."""
    if v.get("segment_id") is not None or v.get("service_types"):
        raise ValidationError("Unrecognized attribute(s) 'segment_id, service_types'")


def _command(v: dict[str, Any]) -> NewSubnet:
    _no_segments(v)
    if "network_id" not in v:
        raise ValidationError("Failed to parse request. Required attribute 'network_id' not "
                              "specified")
    pooled = v.get("subnetpool_id") is not None or v.get("use_default_subnetpool", False)
    # Without a pool the cidr is required (Neutron: 400 in both cases); with one, the pool's
    # version stands unless the client names one.
    if not pooled and v.get("cidr") is None:
        raise ValidationError("Bad subnets request: a subnetpool must be specified in the "
                              "absence of a cidr.")
    return NewSubnet(
        network_id=v["network_id"], cidr=v.get("cidr"),
        ip_version=v.get("ip_version", None if pooled else 4),
        subnetpool_id=v.get("subnetpool_id"),
        use_default_subnetpool=v.get("use_default_subnetpool", False),
        prefixlen=v.get("prefixlen"),
        name=v.get("name", ""), description=v.get("description", ""),
        gateway_ip=v.get("gateway_ip"), gateway_given="gateway_ip" in v,
        allocation_pools=v.get("allocation_pools"), enable_dhcp=v.get("enable_dhcp", True),
        dns_nameservers=v.get("dns_nameservers", []), host_routes=v.get("host_routes", []),
        ipv6_ra_mode=v.get("ipv6_ra_mode"), ipv6_address_mode=v.get("ipv6_address_mode"),
        project_id=project_of(v), tags=tuple(v.get("tags", ())))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "subnet")
    made = await call(d.s.subnets.create_many, ctx, [_command(v) for v in items])
    return render.created("subnet", "subnets", made, bulk, lambda i: render.subnet(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.subnets.list_subnets, ctx, list_query(request, "subnet", ctx))
    wanted = fields(request)
    return render.listed(request, "subnets", f"{d.v2}/subnets", page,
                         lambda i: render.subnet(i, ctx, wanted), lambda i: i.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    subnet = await call(d.s.subnets.get, ctx, request.path_params["subnet_id"])
    return reply({"subnet": render.subnet(subnet, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "subnet", post=False)
    known = BY_WIRE["subnet"]
    changes = {known[k].attr or k: value for k, value in v.items()}
    subnet = await call(d.s.subnets.update, ctx, request.path_params["subnet_id"], changes)
    return reply({"subnet": render.subnet(subnet, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.subnets.delete, ctx, request.path_params["subnet_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/subnets", listing, methods=["GET"]),
    Route("/v2.0/subnets", create, methods=["POST"]),
    Route("/v2.0/subnets/{subnet_id}", show, methods=["GET"]),
    Route("/v2.0/subnets/{subnet_id}", update, methods=["PUT"]),
    Route("/v2.0/subnets/{subnet_id}", delete, methods=["DELETE"]),
]
