"""/v2.0/subnetpools: create, list, show, update, delete (subnet_allocation)."""

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
    invalid,
    list_query,
    project_of,
    resource_body,
)
from nuage.domain.errors import ValidationError
from nuage.services.network.subnetpools import NewSubnetPool


def _name(value: Any) -> str:
    """Neutron's type:not_empty_string."""
    if not isinstance(value, str) or not value.strip():
        raise invalid("name", f"'{value}' Blank strings are not permitted")
    return value


def _command(v: dict[str, Any]) -> NewSubnetPool:
    for required in ("name", "prefixes"):
        if required not in v:
            raise ValidationError(f"Failed to parse request. Required attribute '{required}' "
                                  "not specified")
    return NewSubnetPool(
        name=_name(v["name"]), prefixes=tuple(v["prefixes"]),
        description=v.get("description", ""), default_prefixlen=v.get("default_prefixlen"),
        min_prefixlen=v.get("min_prefixlen"), max_prefixlen=v.get("max_prefixlen"),
        default_quota=v.get("default_quota"), shared=v.get("shared", False),
        is_default=v.get("is_default", False), address_scope_id=v.get("address_scope_id"),
        project_id=project_of(v), tags=tuple(v.get("tags", ())))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "subnetpool")
    made = await call(d.s.subnetpools.create_many, ctx, [_command(v) for v in items])
    return render.created("subnetpool", "subnetpools", made, bulk,
                          lambda i: render.subnetpool(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.subnetpools.list_pools, ctx, list_query(request, "subnetpool", ctx))
    wanted = fields(request)
    return render.listed(request, "subnetpools", f"{d.v2}/subnetpools", page,
                         lambda i: render.subnetpool(i, ctx, wanted), lambda i: i.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    pool = await call(d.s.subnetpools.get, ctx, request.path_params["subnetpool_id"])
    return reply({"subnetpool": render.subnetpool(pool, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "subnetpool", post=False)
    if "name" in v:
        _name(v["name"])
    known = BY_WIRE["subnetpool"]
    changes = {known[k].attr or k: value for k, value in v.items()}
    pool = await call(d.s.subnetpools.update, ctx, request.path_params["subnetpool_id"],
                      changes)
    return reply({"subnetpool": render.subnetpool(pool, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.subnetpools.delete, ctx, request.path_params["subnetpool_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/subnetpools", listing, methods=["GET"]),
    Route("/v2.0/subnetpools", create, methods=["POST"]),
    Route("/v2.0/subnetpools/{subnetpool_id}", show, methods=["GET"]),
    Route("/v2.0/subnetpools/{subnetpool_id}", update, methods=["PUT"]),
    Route("/v2.0/subnetpools/{subnetpool_id}", delete, methods=["DELETE"]),
]
