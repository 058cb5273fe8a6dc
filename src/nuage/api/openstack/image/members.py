"""/v2/images/{id}/members: sharing an image with other projects."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, string
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.image import render
from nuage.api.openstack.image.deps import Deps


def routes(d: Deps) -> list[Route]:
    async def add(request: Request) -> Response:
        ctx = await d.ctx(request)
        body = await json_object(request)
        member_id = string(body, "member", required=True) or ""
        member = await call(d.s.members.add, ctx, request.path_params["image_id"], member_id)
        return reply(render.member(member))

    async def listing(request: Request) -> Response:
        ctx = await d.ctx(request)
        members = await call(d.s.members.list_members, ctx, request.path_params["image_id"])
        return reply({"members": [render.member(m) for m in members],
                      "schema": "/v2/schemas/members"})

    async def show(request: Request) -> Response:
        ctx = await d.ctx(request)
        member = await call(d.s.members.get, ctx, request.path_params["image_id"],
                            request.path_params["member_id"])
        return reply(render.member(member))

    async def update(request: Request) -> Response:
        ctx = await d.ctx(request)
        body = await json_object(request)
        status = string(body, "status", required=True) or ""
        member = await call(d.s.members.set_status, ctx, request.path_params["image_id"],
                            request.path_params["member_id"], status)
        return reply(render.member(member))

    async def remove(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(d.s.members.remove, ctx, request.path_params["image_id"],
                   request.path_params["member_id"])
        return empty()

    base = "/v2/images/{image_id}/members"
    return [
        Route(base, listing, methods=["GET"]),
        Route(base, add, methods=["POST"]),
        Route(base + "/{member_id}", show, methods=["GET"]),
        Route(base + "/{member_id}", update, methods=["PUT"]),
        Route(base + "/{member_id}", remove, methods=["DELETE"]),
    ]
