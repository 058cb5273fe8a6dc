"""/v3[/{project_id}]/snapshots: create, list (summary and detail), show, update, delete,
metadata, and the os-reset_status action."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.block_storage import render
from nuage.api.openstack.block_storage.deps import caller
from nuage.api.openstack.block_storage.requests import (
    body_member,
    bool_field,
    list_query,
    metadata_field,
    text_field,
)
from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.volume import Snapshot
from nuage.services.volume.snapshots import NewSnapshot

FILTERS = {"name": "name", "display_name": "name", "status": "status",
           "volume_id": "volume_id"}


def _id(request: Request) -> str:
    return str(request.path_params["snapshot_id"])


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "snapshot")
    volume_id = text_field(v, "volume_id")
    if "volume_id" in v and v["volume_id"] is None:
        # Cinder's schema takes a null volume_id and its look-up answers 404 (Tempest's
        # test_create_snapshot_without_passing_volume_id).
        raise NotFound("volume", "None")
    if not volume_id:
        raise ValidationError("Invalid input for field/attribute volume_id. Value: None. "
                              "'volume_id' is a required property")
    snap = await call(d.s.snapshots.create, ctx, NewSnapshot(
        volume_id=volume_id, name=text_field(v, "name", "display_name") or "",
        description=text_field(v, "description", "display_description") or "",
        force=bool_field(v, "force"), metadata=metadata_field(v) or {}))
    return reply({"snapshot": render.snapshot(snap, d.version(request), detail=False)},
                 status=202)


async def _list(request: Request, detail: bool) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.snapshots.list_snapshots, ctx, list_query(request, FILTERS))
    version = d.version(request)

    def one(s: Snapshot) -> dict[str, Any]:
        return render.snapshot(s, version, detail)

    return reply(render.listed(page.items, one, "snapshots", page.has_next,
                               lambda s: render.next_link(request, d.v3, s.id)))


async def listing(request: Request) -> Response:
    return await _list(request, detail=False)


async def detail(request: Request) -> Response:
    return await _list(request, detail=True)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    snap = await call(d.s.snapshots.get, ctx, _id(request))
    return reply({"snapshot": render.snapshot(snap, d.version(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "snapshot")
    snap = await call(d.s.snapshots.update, ctx, _id(request),
                      name=text_field(v, "name", "display_name"),
                      description=text_field(v, "description", "display_description"))
    return reply({"snapshot": render.snapshot(snap, d.version(request), detail=False)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.snapshots.delete, ctx, _id(request))
    return empty(202)


async def action(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    if "os-reset_status" in body and isinstance(body["os-reset_status"], dict):
        status = text_field(body["os-reset_status"], "status")
        if status is None:
            raise ValidationError("Must specify 'status'")
        await call(d.s.actions.reset_snapshot_status, ctx, _id(request), status)
        return empty(202)
    if "os-force_delete" in body:
        await call(d.s.snapshots.delete, ctx, _id(request), force=True)
        return empty(202)
    raise ValidationError("There is no such action: " + ", ".join(sorted(body)))


async def metadata_show(request: Request) -> Response:
    d, ctx = await caller(request)
    snap = await call(d.s.snapshots.get, ctx, _id(request))
    return reply({"metadata": dict(snap.metadata)})


async def metadata_set(request: Request) -> Response:
    d, ctx = await caller(request)
    metadata = metadata_field(await json_object(request))
    if metadata is None:
        raise ValidationError("Malformed request body: metadata is expected.")
    result = await call(d.s.snapshots.set_metadata, ctx, _id(request), metadata,
                        replace=request.method == "PUT")
    return reply({"metadata": result})


async def metadata_key_show(request: Request) -> Response:
    d, ctx = await caller(request)
    snap = await call(d.s.snapshots.get, ctx, _id(request))
    key = str(request.path_params["key"])
    if key not in snap.metadata:
        raise NotFound("metadata", key)
    return reply({"meta": {key: snap.metadata[key]}})


async def metadata_key_set(request: Request) -> Response:
    d, ctx = await caller(request)
    meta = metadata_field(await json_object(request), "meta")
    key = str(request.path_params["key"])
    if meta is None or list(meta) != [key]:
        raise ValidationError("Request body and URI mismatch")
    await call(d.s.snapshots.set_metadata, ctx, _id(request), meta)
    return reply({"meta": meta})


async def metadata_key_delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.snapshots.delete_metadata, ctx, _id(request),
               str(request.path_params["key"]))
    return empty(200)


ROUTES: list[Route] = [
    Route("/snapshots", listing, methods=["GET"]),
    Route("/snapshots", create, methods=["POST"]),
    Route("/snapshots/detail", detail, methods=["GET"]),
    Route("/snapshots/{snapshot_id}", show, methods=["GET"]),
    Route("/snapshots/{snapshot_id}", update, methods=["PUT"]),
    Route("/snapshots/{snapshot_id}", delete, methods=["DELETE"]),
    Route("/snapshots/{snapshot_id}/action", action, methods=["POST"]),
    Route("/snapshots/{snapshot_id}/metadata", metadata_show, methods=["GET"]),
    Route("/snapshots/{snapshot_id}/metadata", metadata_set, methods=["POST", "PUT"]),
    Route("/snapshots/{snapshot_id}/metadata/{key}", metadata_key_show, methods=["GET"]),
    Route("/snapshots/{snapshot_id}/metadata/{key}", metadata_key_set, methods=["PUT"]),
    Route("/snapshots/{snapshot_id}/metadata/{key}", metadata_key_delete,
          methods=["DELETE"]),
]
