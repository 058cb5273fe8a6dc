"""/v2/images/{id}/members: sharing an image with other projects."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.image import render
from nuage.api.openstack.image.deps import caller
from nuage.api.openstack.image.requests import member_id, member_status


async def add(request: Request) -> Response:
    d, ctx = await caller(request)
    member = await call(d.s.members.add, ctx, request.path_params["image_id"],
                        await member_id(request))
    return reply(render.member(member))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    members = await call(d.s.members.list_members, ctx, request.path_params["image_id"])
    return reply({"members": [render.member(m) for m in members],
                  "schema": "/v2/schemas/members"})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    member = await call(d.s.members.get, ctx, request.path_params["image_id"],
                        request.path_params["member_id"])
    return reply(render.member(member))


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    status = await member_status(request)
    member = await call(d.s.members.set_status, ctx, request.path_params["image_id"],
                        request.path_params["member_id"], status)
    return reply(render.member(member))


async def remove(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.members.remove, ctx, request.path_params["image_id"],
               request.path_params["member_id"])
    return empty()


BASE = "/v2/images/{image_id}/members"
ROUTES: list[Route] = [
    Route(BASE, listing, methods=["GET"]),
    Route(BASE, add, methods=["POST"]),
    Route(BASE + "/{member_id}", show, methods=["GET"]),
    Route(BASE + "/{member_id}", update, methods=["PUT"]),
    Route(BASE + "/{member_id}", remove, methods=["DELETE"]),
]
