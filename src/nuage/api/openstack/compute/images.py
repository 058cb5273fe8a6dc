"""/images: Nova's image proxy (served up to 2.35; from 2.36 it is gone, 404, and its
metadata calls from 2.39, as in Nova).

Nova answers these calls by asking Glance; this adapter does the same with the image
service: it maps Nova's filters to an image query, Glance's statuses and properties to
Nova's view, and metadata calls to image property patches.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, timestamp
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import Deps, caller, deps, int_param
from nuage.domain.compute_errors import OverLimit
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.image import Image, PatchOp
from nuage.services.image.images import ImageQuery

# Glance status -> Nova status, and the progress Nova reports with it.
STATUS = {"queued": "SAVING", "saving": "SAVING", "active": "ACTIVE", "killed": "ERROR",
          "deactivated": "ERROR"}
PROGRESS = {"queued": 25, "saving": 50, "active": 100}
# Nova status filter -> the Glance statuses it stands for.
STATUS_FILTER = {"ACTIVE": ("active",), "SAVING": ("queued", "saving"),
                 "ERROR": ("killed", "deactivated"), "DELETED": (), "UNKNOWN": ()}
MAX_IMAGE_META = 128
# Glance pages at most this many images at once; the proxy reads every page.
PAGE = 1000

# Nova's MAX_PROXY_API_SUPPORT_VERSION and MAX_IMAGE_META_PROXY_API_VERSION.
LAST_PROXY = (2, 35)
LAST_METADATA = (2, 38)


def gone_after(request: Request, last: tuple[int, int]) -> None:
    """Past microversion `last` these routes are gone (404), before anything else."""
    if Deps.version(request) > last:
        raise NotFound("resource", request.url.path)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def links(request: Request, image_id: str) -> list[dict[str, str]]:
    d = deps(request)
    return [*d.links(request, "images", image_id),
            {"rel": "alternate", "type": "application/vnd.openstack.image",
             "href": f"{d.image_url}/images/{image_id}"}]


def brief(request: Request, image: Image) -> dict[str, Any]:
    return {"id": image.id, "name": image.name, "links": links(request, image.id)}


def detail(request: Request, image: Image) -> dict[str, Any]:
    d = deps(request)
    body: dict[str, Any] = {
        "id": image.id, "name": image.name, "status": STATUS.get(image.status, "UNKNOWN"),
        "created": _ts(image.created_at), "updated": _ts(image.updated_at),
        "links": links(request, image.id), "minDisk": image.min_disk,
        "minRam": image.min_ram, "progress": PROGRESS.get(image.status, 0),
        "metadata": dict(image.properties), "OS-EXT-IMG-SIZE:size": image.size,
    }
    server_id = image.properties.get("instance_uuid")
    if server_id:
        body["server"] = {"id": server_id, "links": d.links(request, "servers", server_id)}
    return body


async def find(request: Request) -> list[Image]:
    d, ctx = await caller(request)
    q = request.query_params
    properties: dict[str, str] = {}
    if q.get("server"):
        properties["instance_uuid"] = q["server"].rstrip("/").rsplit("/", 1)[-1]
    if q.get("type"):
        properties["image_type"] = q["type"]
    properties.update({k[len("property-"):]: v for k, v in q.items()
                       if k.startswith("property-")})
    since = timestamp(dict(q), "changes-since")
    min_ram, min_disk = int_param(request, "minRam"), int_param(request, "minDisk")
    statuses = STATUS_FILTER.get(q["status"].upper(), ()) if "status" in q else None
    limit = int_param(request, "limit")
    found: list[Image] = []
    marker = None
    while True:
        page = await call(d.glance.list_images, ctx, ImageQuery(
            name=q.get("name"), properties=properties, marker=marker, limit=PAGE))
        found.extend(page.images)
        marker = page.next_marker
        if marker is None:
            break
    found = [i for i in found
             if (statuses is None or i.status in statuses)
             and (since is None or i.updated_at >= since)
             and (min_ram is None or i.min_ram >= min_ram)
             and (min_disk is None or i.min_disk >= min_disk)]
    if "marker" in q:
        ids = [i.id for i in found]
        if q["marker"] not in ids:
            raise ValidationError(f"marker [{q['marker']}] not found")
        found = found[ids.index(q["marker"]) + 1:]
    return found if limit is None else found[:limit]


def page_links(request: Request, found: list[Image], path: str) -> dict[str, Any]:
    d = deps(request)
    limit = int_param(request, "limit")
    if limit and len(found) == limit:
        return {"images_links": d.next_link(request, path, found[-1].id, limit)}
    return {}


async def list_brief(request: Request) -> Response:
    gone_after(request, LAST_PROXY)
    deps(request)
    found = await find(request)
    return reply({"images": [brief(request, i) for i in found],
                  **page_links(request, found, "images")})


async def list_detail(request: Request) -> Response:
    gone_after(request, LAST_PROXY)
    deps(request)
    found = await find(request)
    return reply({"images": [detail(request, i) for i in found],
                  **page_links(request, found, "images/detail")})


async def show(request: Request) -> Response:
    gone_after(request, LAST_PROXY)
    d, ctx = await caller(request)
    image = await call(d.glance.get, ctx, request.path_params["image_id"])
    return reply({"image": detail(request, image)})


async def delete(request: Request) -> Response:
    gone_after(request, LAST_PROXY)
    d, ctx = await caller(request)
    await call(d.glance.delete, ctx, request.path_params["image_id"])
    return empty(204)


def meta_body(body: dict[str, Any], key: str) -> dict[str, str]:
    items = body.get(key)
    if not isinstance(items, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in items.items()):
        raise ValidationError(f"Malformed request body: '{key}' must be an object of "
                              "strings.")
    return dict(items)


async def patch(request: Request, image_id: str, ops: list[PatchOp]) -> Image:
    d, ctx = await caller(request)
    image = await call(d.glance.get, ctx, image_id)
    after = dict(image.properties)
    for op in ops:
        if op.op == "remove":
            after.pop(op.path, None)
        else:
            after[op.path] = op.value
    if len(after) > MAX_IMAGE_META:
        raise OverLimit(f"Quota exceeded for metadata items: at most {MAX_IMAGE_META} "
                        "allowed.")
    if not ops:
        return image
    return await call(d.glance.update, ctx, image_id, ops)


def set_ops(image: Image, items: dict[str, str]) -> list[PatchOp]:
    return [PatchOp("replace" if k in image.properties else "add", k, v)
            for k, v in items.items()]


async def metadata(request: Request) -> Response:
    gone_after(request, LAST_METADATA)
    d, ctx = await caller(request)
    image_id = request.path_params["image_id"]
    image = await call(d.glance.get, ctx, image_id)
    if request.method == "GET":
        return reply({"metadata": dict(image.properties)})
    items = meta_body(await json_object(request), "metadata")
    ops = set_ops(image, items)
    if request.method == "PUT":   # replace the whole set
        ops += [PatchOp("remove", k) for k in image.properties if k not in items]
    image = await patch(request, image_id, ops)
    return reply({"metadata": dict(image.properties)})


async def metadata_item(request: Request) -> Response:
    gone_after(request, LAST_METADATA)
    d, ctx = await caller(request)
    image_id, key = request.path_params["image_id"], request.path_params["key"]
    image = await call(d.glance.get, ctx, image_id)
    if request.method == "GET":
        if key not in image.properties:
            raise NotFound("image metadata item", key)
        return reply({"meta": {key: image.properties[key]}})
    if request.method == "DELETE":
        if key not in image.properties:
            raise NotFound("image metadata item", key)
        await patch(request, image_id, [PatchOp("remove", key)])
        return empty(204)
    items = meta_body(await json_object(request), "meta")
    if list(items) != [key]:
        raise ValidationError("Request body and URI mismatch")
    await patch(request, image_id, set_ops(image, items))
    return reply({"meta": items})


async def no_id(request: Request) -> Response:
    gone_after(request, LAST_PROXY)
    # Nova: an empty image id is an unknown image (not a 405 from the collection).
    raise NotFound("image", "")


ROUTES: list[Route] = [
    Route("/images", list_brief, methods=["GET"]),
    Route("/images/", no_id, methods=["GET", "DELETE"]),
    Route("/images/detail", list_detail, methods=["GET"]),
    Route("/images/{image_id}", show, methods=["GET"]),
    Route("/images/{image_id}", delete, methods=["DELETE"]),
    Route("/images/{image_id}/metadata", metadata,
          methods=["GET", "POST", "PUT"]),
    Route("/images/{image_id}/metadata/{key}", metadata_item,
          methods=["GET", "PUT", "DELETE"]),
]

