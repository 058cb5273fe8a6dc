"""/v2.0/security-groups: create, list, show, update, delete (rules shown on each group)."""

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
from nuage.services.network.security_groups import NewSecurityGroup


def _command(v: dict[str, Any]) -> NewSecurityGroup:
    return NewSecurityGroup(name=v.get("name", ""), description=v.get("description", ""),
                            stateful=v.get("stateful", True), project_id=project_of(v),
                            tags=tuple(v.get("tags", ())))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "security_group")
    made = await call(d.s.security_groups.create_many, ctx, [_command(v) for v in items])
    return render.created("security_group", "security_groups", made, bulk,
                          lambda i: render.security_group(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.security_groups.list_groups, ctx,
                      list_query(request, "security_group", ctx))
    wanted = fields(request)
    return render.listed(request, "security_groups", f"{d.v2}/security-groups", page,
                         lambda i: render.security_group(i, ctx, wanted), lambda i: i.group.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    info = await call(d.s.security_groups.get, ctx, request.path_params["group_id"])
    return reply({"security_group": render.security_group(info, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "security_group", post=False)
    known = BY_WIRE["security_group"]
    changes = {known[k].attr or k: value for k, value in v.items()}
    info = await call(d.s.security_groups.update, ctx, request.path_params["group_id"],
                      changes)
    return reply({"security_group": render.security_group(info, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.security_groups.delete, ctx, request.path_params["group_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/security-groups", listing, methods=["GET"]),
    Route("/v2.0/security-groups", create, methods=["POST"]),
    Route("/v2.0/security-groups/{group_id}", show, methods=["GET"]),
    Route("/v2.0/security-groups/{group_id}", update, methods=["PUT"]),
    Route("/v2.0/security-groups/{group_id}", delete, methods=["DELETE"]),
]
