"""/v2/images: create, list, show, JSON-patch update, delete, tags, deactivate/reactivate."""

from __future__ import annotations

import urllib.parse
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, parse_json, query_bool, read_body
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.image import render
from nuage.api.openstack.image.deps import Deps
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.image import PatchOp, decode_path
from nuage.services.image.images import ImageQuery

PATCH_V21 = "application/openstack-images-v2.1-json-patch"
PATCH_V20 = "application/openstack-images-v2.0-json-patch"
# Query parameters with a meaning of their own; any other one filters on a property.
KNOWN_PARAMS = {"name", "status", "visibility", "owner", "tag", "disk_format",
                "container_format", "protected", "os_hidden", "size", "size_min", "size_max", "id",
                "member_status", "sort", "sort_key", "sort_dir", "marker", "limit"}


def _int(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError(f"Invalid {name} value: {raw!r}.") from exc


def _sort(request: Request) -> tuple[tuple[str, str], ...]:
    q = request.query_params
    if "sort" in q:
        if "sort_key" in q or "sort_dir" in q:
            raise ValidationError("The 'sort' parameter cannot be combined with 'sort_key' "
                                  "or 'sort_dir'.")
        out: list[tuple[str, str]] = []
        for part in q["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            out.append((key, direction or "desc"))
        return tuple(out)
    keys = q.getlist("sort_key")
    dirs = q.getlist("sort_dir")
    if not keys:
        return (("created_at", dirs[0] if dirs else "desc"), ("id", "desc"))
    if len(dirs) > 1 and len(dirs) != len(keys):
        raise ValidationError("The number of sort_dir values must match sort_key.")
    return tuple((k, (dirs[n] if len(dirs) > 1 else (dirs[0] if dirs else "desc")))
                 for n, k in enumerate(keys))


def _ids(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if raw.startswith("in:"):
        return tuple(part.strip().strip('"') for part in raw[3:].split(",") if part.strip())
    return (raw,)


def query(request: Request) -> ImageQuery:
    q = request.query_params
    hidden = query_bool(q.get("os_hidden"))
    protected = query_bool(q.get("protected"))
    return ImageQuery(
        name=q.get("name"), status=q.get("status"), visibility=q.get("visibility"),
        owner=q.get("owner"), tags=tuple(q.getlist("tag")), disk_format=q.get("disk_format"),
        container_format=q.get("container_format"), protected=protected,
        os_hidden=bool(hidden), size=_int(q.get("size"), "size"),
        size_min=_int(q.get("size_min"), "size_min"),
        size_max=_int(q.get("size_max"), "size_max"), ids=_ids(q.get("id")),
        member_status=q.get("member_status", "accepted"),
        properties={k: v for k, v in q.items() if k not in KNOWN_PARAMS},
        sort=_sort(request), marker=q.get("marker"), limit=_int(q.get("limit"), "limit"))


async def patch_ops(request: Request) -> list[PatchOp]:
    """Both Glance JSON-patch dialects, as one list of operations."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in (PATCH_V21, PATCH_V20):
        raise HTTPException(415, f"Unsupported Content-Type {media!r}: use {PATCH_V21} or "
                                 f"{PATCH_V20}.")
    body = parse_json(await read_body(request) or b"null")
    if not isinstance(body, list):
        raise ValidationError("The request body must be a JSON array of patch operations.")
    ops: list[PatchOp] = []
    for item in body:
        if not isinstance(item, dict):
            raise ValidationError("Each patch operation must be a JSON object.")
        if media == PATCH_V21:
            op, pointer = item.get("op"), item.get("path")
        else:
            names = [n for n in ("add", "remove", "replace") if n in item]
            if len(names) != 1:
                raise ValidationError("Each operation needs exactly one of add, remove, "
                                      "replace.")
            op, pointer = names[0], item[names[0]]
        if op not in ("add", "remove", "replace"):
            raise ValidationError(f"Invalid operation {op!r}: add, remove and replace are "
                                  "supported.")
        if op != "remove" and "value" not in item:
            raise ValidationError(f"Operation {op!r} needs a value.")
        ops.append(PatchOp(str(op), decode_path(pointer), item.get("value")))
    return ops


def _next_link(request: Request, marker: str, limit: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items()
              if k not in ("marker", "limit")]
    params += [("marker", marker), ("limit", str(limit))]
    return "/v2/images?" + urllib.parse.urlencode(params)


def routes(d: Deps) -> list[Route]:
    async def create(request: Request) -> Response:
        ctx = await d.ctx(request)
        body = await json_object(request)
        image = await call(d.s.images.create, ctx, body)
        return reply(render.image(image), status=201)

    async def listing(request: Request) -> Response:
        ctx = await d.ctx(request)
        page = await call(d.s.images.list_images, ctx, query(request))
        out: dict[str, Any] = {"images": [render.image(i) for i in page.images],
                               "first": "/v2/images", "schema": "/v2/schemas/images"}
        if page.next_marker is not None:
            out["next"] = _next_link(request, page.next_marker, page.limit)
        return reply(out)

    async def show(request: Request) -> Response:
        ctx = await d.ctx(request)
        image = await call(d.s.images.get, ctx, request.path_params["image_id"])
        return reply(render.image(image))

    async def tasks(request: Request) -> Response:
        # Glance 2.12's tasks of an image. nuage runs no Glance task (no interoperable
        # import, no location import), so an image it lets the caller see has none.
        ctx = await d.ctx(request)
        await call(d.s.images.get, ctx, request.path_params["image_id"])
        return reply({"tasks": []})

    async def update(request: Request) -> Response:
        ctx = await d.ctx(request)
        ops = await patch_ops(request)
        image = await call(d.s.images.update, ctx, request.path_params["image_id"], ops)
        return reply(render.image(image))

    async def delete(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(d.s.images.delete, ctx, request.path_params["image_id"])
        return empty()

    async def add_tag(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(d.s.images.add_tag, ctx, request.path_params["image_id"],
                   request.path_params["tag"])
        return empty()

    async def remove_tag(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(d.s.images.remove_tag, ctx, request.path_params["image_id"],
                   request.path_params["tag"])
        return empty()

    async def deactivate(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(d.s.images.set_active, ctx, request.path_params["image_id"], False)
        return empty()

    async def reactivate(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(d.s.images.set_active, ctx, request.path_params["image_id"], True)
        return empty()

    async def no_id(request: Request) -> Response:
        # `GET /v2/images/` names no image: 404, never the list (Tempest checks it).
        await d.ctx(request)
        raise NotFound("image", "")

    return [
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
