"""/v2/images: create, list, show, JSON-patch update, delete, tags, deactivate/reactivate."""

from __future__ import annotations

import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.image import render
from nuage.api.openstack.image.deps import caller, deps
from nuage.api.openstack.image.requests import patch_ops, query
from nuage.domain.errors import NotFound


def _next_link(request: Request, marker: str, limit: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items()
              if k not in ("marker", "limit")]
    params += [("marker", marker), ("limit", str(limit))]
    return "/v2/images?" + urllib.parse.urlencode(params)


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    image = await call(d.s.images.create, ctx, body)
    return reply(render.image(image), status=201)


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.images.list_images, ctx, query(request))
    out: dict[str, Any] = {"images": [render.image(i) for i in page.images],
                           "first": "/v2/images", "schema": "/v2/schemas/images"}
    if page.next_marker is not None:
        out["next"] = _next_link(request, page.next_marker, page.limit)
    return reply(out)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    image = await call(d.s.images.get, ctx, request.path_params["image_id"])
    return reply(render.image(image))


async def tasks(request: Request) -> Response:
    # Glance 2.12's tasks of an image. nuage runs no Glance task (no interoperable
    # import, no location import), so an image it lets the caller see has none.
    d, ctx = await caller(request)
    await call(d.s.images.get, ctx, request.path_params["image_id"])
    return reply({"tasks": []})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    ops = await patch_ops(request)
    image = await call(d.s.images.update, ctx, request.path_params["image_id"], ops)
    return reply(render.image(image))


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.images.delete, ctx, request.path_params["image_id"])
    return empty()


async def add_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.images.add_tag, ctx, request.path_params["image_id"],
               request.path_params["tag"])
    return empty()


async def remove_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.images.remove_tag, ctx, request.path_params["image_id"],
               request.path_params["tag"])
    return empty()


async def deactivate(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.images.set_active, ctx, request.path_params["image_id"], False)
    return empty()


async def reactivate(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.images.set_active, ctx, request.path_params["image_id"], True)
    return empty()


async def no_id(request: Request) -> Response:
    # `GET /v2/images/` names no image: 404, never the list (Tempest checks it).
    await deps(request).ctx(request)
    raise NotFound("image", "")


ROUTES: list[Route] = [
    Route("/v2/images", listing, methods=["GET"]),
    Route("/v2/images", create, methods=["POST"]),
    Route("/v2/images/", no_id, methods=["GET", "DELETE", "PATCH", "PUT", "POST"]),
    Route("/v2/images/{image_id}", show, methods=["GET"]),
    Route("/v2/images/{image_id}", update, methods=["PATCH"]),
    Route("/v2/images/{image_id}", delete, methods=["DELETE"]),
    Route("/v2/images/{image_id}/tasks", tasks, methods=["GET"]),
    Route("/v2/images/{image_id}/tags/{tag}", add_tag, methods=["PUT"]),
    Route("/v2/images/{image_id}/tags/{tag}", remove_tag, methods=["DELETE"]),
    Route("/v2/images/{image_id}/actions/deactivate", deactivate, methods=["POST"]),
    Route("/v2/images/{image_id}/actions/reactivate", reactivate, methods=["POST"]),
]
