"""/v3[/{project_id}]/backups: the records (create, list, show, delete, restore). The
data path is the backup engine's, on the volume agent's host."""

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
    text_field,
)
from nuage.api.openstack.common.body import json_object, query_bool
from nuage.api.openstack.common.http import call, empty, reply
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.volume import Backup
from nuage.services.volume.backups import NewBackup

FILTERS = {"name": "name", "status": "status", "volume_id": "volume_id"}


def _project(request: Request) -> str | None:
    value = request.path_params.get("project_id")
    return str(value) if value is not None else None


def _id(request: Request) -> str:
    return str(request.path_params["backup_id"])


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "backup")
    volume_id = text_field(v, "volume_id")
    if not volume_id:
        raise ValidationError("Invalid input for field/attribute volume_id. Value: None. "
                              "'volume_id' is a required property")
    backup = await call(d.s.backups.create, ctx, NewBackup(
        volume_id=volume_id, name=text_field(v, "name") or "",
        description=text_field(v, "description") or "",
        container=text_field(v, "container"), incremental=bool_field(v, "incremental"),
        force=bool_field(v, "force"), snapshot_id=text_field(v, "snapshot_id")))
    project = _project(request)
    return reply({"backup": {"id": backup.id, "name": backup.name or None,
                             "links": render.links(d.v3, project, "backups", backup.id)}},
                 status=202)


async def _list(request: Request, detail: bool) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.backups.list_backups, ctx, list_query(request, FILTERS))
    project = _project(request)
    parents = {b.parent_id for b in page.items if b.parent_id}

    def one(b: Backup) -> dict[str, Any]:
        if detail:
            return render.backup(b, d.v3, project, b.id in parents)
        return {"id": b.id, "name": b.name or None,
                "links": render.links(d.v3, project, "backups", b.id)}

    return reply(render.listed(page.items, one, "backups", page.has_next,
                               lambda b: render.next_link(request, d.v3, b.id)))


async def listing(request: Request) -> Response:
    return await _list(request, detail=False)


async def detail(request: Request) -> Response:
    return await _list(request, detail=True)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    backup = await call(d.s.backups.get, ctx, _id(request))
    return reply({"backup": render.backup(backup, d.v3, _project(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    if d.version(request) < (3, 9):
        raise NotFound("backup update", "3.9")
    v = await body_member(request, "backup")
    if not v or not set(v) <= {"name", "description"}:
        raise ValidationError("Invalid input received: The backup update takes name and "
                              "description.")
    backup = await call(d.s.backups.update, ctx, _id(request), name=text_field(v, "name"),
                        description=text_field(v, "description"))
    return reply({"backup": {"id": backup.id, "name": backup.name or None,
                             "links": render.links(d.v3, _project(request), "backups",
                                                   backup.id)}})


async def action(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    reset = body.get("os-reset_status")
    if isinstance(reset, dict):
        status = text_field(reset, "status")
        if status is None:
            raise ValidationError("Must specify 'status'")
        await call(d.s.backups.reset_status, ctx, _id(request), status)
        return empty(202)
    raise ValidationError("There is no such action: " + ", ".join(sorted(body)))


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    force = bool(query_bool(request.query_params.get("force")) or False)
    await call(d.s.backups.delete, ctx, _id(request), force)
    return empty(202)


async def restore(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    v = body.get("restore") or {}
    if not isinstance(v, dict):
        raise ValidationError("Missing required element 'restore' in request body.")
    backup, volume = await call(d.s.backups.restore, ctx, _id(request),
                                text_field(v, "volume_id"), text_field(v, "name"))
    return reply({"restore": {"backup_id": backup.id, "volume_id": volume.id,
                              "volume_name": volume.name or None}}, status=202)


ROUTES: list[Route] = [
    Route("/backups", listing, methods=["GET"]),
    Route("/backups", create, methods=["POST"]),
    Route("/backups/detail", detail, methods=["GET"]),
    Route("/backups/{backup_id}", show, methods=["GET"]),
    Route("/backups/{backup_id}", update, methods=["PUT"]),
    Route("/backups/{backup_id}", delete, methods=["DELETE"]),
    Route("/backups/{backup_id}/action", action, methods=["POST"]),
    Route("/backups/{backup_id}/restore", restore, methods=["POST"]),
]
