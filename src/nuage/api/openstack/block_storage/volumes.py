"""/v3[/{project_id}]/volumes: create, list (summary and detail), show, update, delete,
and the metadata sub-resource."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.block_storage import render
from nuage.api.openstack.block_storage.deps import caller
from nuage.api.openstack.block_storage.requests import (
    body_member,
    list_query,
    metadata_field,
    size_field,
    text_field,
)
from nuage.api.openstack.common.body import json_object, query_bool
from nuage.api.openstack.common.http import call, empty, reply
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.volume.volumes import NewVolume, VolumeInfo

FILTERS = {"name": "name", "display_name": "name", "status": "status",
           "bootable": "bootable", "availability_zone": "availability_zone",
           "size": "size"}


def _project(request: Request) -> str | None:
    value = request.path_params.get("project_id")
    return str(value) if value is not None else None


def _id(request: Request) -> str:
    return str(request.path_params["volume_id"])


def _optional_id(v: dict[str, Any], key: str) -> str | None:
    value = v.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationError(f"Invalid input for field/attribute {key}. Value: {value}.")
    return value


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "volume")
    copy = v.get("snapshot_id") is not None or v.get("source_volid") is not None
    metadata = metadata_field(v)
    if v.get("backup_id") is not None:
        raise ValidationError("Invalid input received: Creating a volume from a backup is "
                              "not supported; restore the backup instead.")
    cmd = NewVolume(
        size=size_field(v, "size", required=not copy),
        name=text_field(v, "name", "display_name") or "",
        description=text_field(v, "description", "display_description") or "",
        volume_type=text_field(v, "volume_type"), metadata=metadata or {},
        image_id=_optional_id(v, "imageRef") or _optional_id(v, "image_id"),
        snapshot_id=_optional_id(v, "snapshot_id"),
        source_volid=_optional_id(v, "source_volid"),
        availability_zone=text_field(v, "availability_zone"))
    info = await call(d.s.volumes.create, ctx, cmd)
    return reply({"volume": render.volume(info, ctx, d.version(request), d.v3,
                                          _project(request), extended=False)}, status=202)


async def _list(request: Request, detail: bool) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.volumes.list_volumes, ctx, list_query(request, FILTERS))
    project, version = _project(request), d.version(request)

    def one(i: VolumeInfo) -> dict[str, Any]:
        return (render.volume(i, ctx, version, d.v3, project) if detail
                else render.volume_summary(i, d.v3, project))

    return reply(render.listed(page.items, one, "volumes", page.has_next,
                               lambda i: render.next_link(request, d.v3, i.volume.id)))


async def listing(request: Request) -> Response:
    return await _list(request, detail=False)


async def detail(request: Request) -> Response:
    return await _list(request, detail=True)


async def summary(request: Request) -> Response:
    """Cinder 3.12: the count and total size of the volumes the caller lists (with
    `all_tenants`, every project's), and from 3.36 their metadata: each key's values."""
    d, ctx = await caller(request)
    version = d.version(request)
    if version < (3, 12):
        raise NotFound("volume", "summary")
    q = list_query(request, FILTERS)
    items: list[VolumeInfo] = []
    while True:
        page = await call(d.s.volumes.list_volumes, ctx, q)
        items += page.items
        if not page.has_next or not page.items:
            break
        q = dataclasses.replace(q, marker=page.items[-1].volume.id, offset=0)
    body: dict[str, Any] = {"total_size": sum(i.volume.size for i in items),
                            "total_count": len(items)}
    if version >= (3, 36):
        metadata: dict[str, list[str]] = {}
        for i in items:
            for key, value in i.volume.metadata.items():
                if value not in metadata.setdefault(key, []):
                    metadata[key].append(value)
        body["metadata"] = metadata
    return reply({"volume-summary": body})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    info = await call(d.s.volumes.get, ctx, _id(request))
    return reply({"volume": render.volume(info, ctx, d.version(request), d.v3,
                                          _project(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "volume")
    known = {"name", "display_name", "description", "display_description", "metadata"}
    if not v or not set(v) <= known:
        raise ValidationError("Invalid input received: The volume update takes name, "
                              "description and metadata.")
    info = await call(d.s.volumes.update, ctx, _id(request),
                      name=text_field(v, "name", "display_name"),
                      description=text_field(v, "description", "display_description"),
                      metadata=metadata_field(v))
    return reply({"volume": render.volume(info, ctx, d.version(request), d.v3,
                                          _project(request), extended=False)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    cascade = bool(query_bool(request.query_params.get("cascade")) or False)
    force = bool(query_bool(request.query_params.get("force")) or False)
    await call(d.s.volumes.delete, ctx, _id(request), cascade=cascade, force=force)
    return empty(202)


# -- metadata ------------------------------------------------------------------------------
async def metadata_show(request: Request) -> Response:
    d, ctx = await caller(request)
    info = await call(d.s.volumes.get, ctx, _id(request))
    return reply({"metadata": dict(info.volume.metadata)})


async def metadata_set(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    metadata = metadata_field(body)
    if metadata is None:
        raise ValidationError("Malformed request body: metadata is expected.")
    result = await call(d.s.volumes.set_metadata, ctx, _id(request), metadata,
                        replace=request.method == "PUT")
    return reply({"metadata": result})


async def metadata_key_show(request: Request) -> Response:
    d, ctx = await caller(request)
    info = await call(d.s.volumes.get, ctx, _id(request))
    key = str(request.path_params["key"])
    if key not in info.volume.metadata:
        raise NotFound("metadata", key)
    return reply({"meta": {key: info.volume.metadata[key]}})


async def metadata_key_set(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    meta = metadata_field(body, "meta")
    key = str(request.path_params["key"])
    if meta is None or list(meta) != [key]:
        raise ValidationError("Request body and URI mismatch")
    await call(d.s.volumes.set_metadata, ctx, _id(request), meta)
    return reply({"meta": meta})


async def metadata_key_delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.volumes.delete_metadata, ctx, _id(request), str(request.path_params["key"]))
    return empty(200)


ROUTES: list[Route] = [
    Route("/volumes", listing, methods=["GET"]),
    Route("/volumes", create, methods=["POST"]),
    Route("/volumes/detail", detail, methods=["GET"]),
    Route("/volumes/summary", summary, methods=["GET"]),
    Route("/volumes/{volume_id}", show, methods=["GET"]),
    Route("/volumes/{volume_id}", update, methods=["PUT"]),
    Route("/volumes/{volume_id}", delete, methods=["DELETE"]),
    Route("/volumes/{volume_id}/metadata", metadata_show, methods=["GET"]),
    Route("/volumes/{volume_id}/metadata", metadata_set, methods=["POST", "PUT"]),
    Route("/volumes/{volume_id}/metadata/{key}", metadata_key_show, methods=["GET"]),
    Route("/volumes/{volume_id}/metadata/{key}", metadata_key_set, methods=["PUT"]),
    Route("/volumes/{volume_id}/metadata/{key}", metadata_key_delete, methods=["DELETE"]),
]


