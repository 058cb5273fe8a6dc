"""POST /volumes/{id}/action: a table of the actions nuage implements, each with the
microversion it starts at and the service call that answers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.block_storage.deps import Deps, caller
from nuage.api.openstack.block_storage.render import ts, volume_type
from nuage.api.openstack.block_storage.requests import bool_field, size_field, text_field
from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.services.volume.uploads import UploadRequest


@dataclass(frozen=True)
class ActionCall:
    """One action request: who asks, on which volume, at which microversion."""

    d: Deps
    ctx: RequestContext
    volume_id: str
    value: Any
    version: tuple[int, int]

    def fields(self) -> dict[str, Any]:
        if self.value is None:
            return {}
        if not isinstance(self.value, dict):
            raise ValidationError("Invalid request body: the action's value must be an "
                                  "object.")
        return self.value


Handler = Callable[[ActionCall], Awaitable[Response]]


async def extend(a: ActionCall) -> Response:
    size = size_field(a.fields(), "new_size", required=True)
    assert size is not None
    await call(a.d.s.actions.extend, a.ctx, a.volume_id, size,
               allow_attached=a.version >= (3, 42))
    return empty(202)


async def set_bootable(a: ActionCall) -> Response:
    f = a.fields()
    if "bootable" not in f:
        raise ValidationError("Invalid input received: 'bootable' is a required property.")
    await call(a.d.s.actions.set_bootable, a.ctx, a.volume_id, bool_field(f, "bootable"))
    return empty(200)


async def update_readonly(a: ActionCall) -> Response:
    f = a.fields()
    if "readonly" not in f:
        raise ValidationError("Invalid input received: 'readonly' is a required property.")
    await call(a.d.s.actions.update_readonly, a.ctx, a.volume_id, bool_field(f, "readonly"))
    return empty(202)


async def reserve(a: ActionCall) -> Response:
    await call(a.d.s.actions.reserve, a.ctx, a.volume_id)
    return empty(202)


async def unreserve(a: ActionCall) -> Response:
    await call(a.d.s.actions.unreserve, a.ctx, a.volume_id)
    return empty(202)


async def begin_detaching(a: ActionCall) -> Response:
    await call(a.d.s.actions.begin_detaching, a.ctx, a.volume_id)
    return empty(202)


async def roll_detaching(a: ActionCall) -> Response:
    await call(a.d.s.actions.roll_detaching, a.ctx, a.volume_id)
    return empty(202)


async def attach(a: ActionCall) -> Response:
    f = a.fields()
    server = text_field(f, "instance_uuid")
    host = text_field(f, "host_name")
    if (server is None) == (host is None):
        raise ValidationError("Invalid request to attach volume to an invalid target")
    mode = text_field(f, "mode") or "rw"
    if mode not in ("rw", "ro"):
        raise ValidationError("Invalid request to attach volume with an invalid mode. "
                              "Attaching mode should be 'rw' or 'ro'")
    await call(a.d.s.actions.attach, a.ctx, a.volume_id, server, host,
               text_field(f, "mountpoint"), mode)
    return empty(202)


async def detach(a: ActionCall) -> Response:
    await call(a.d.s.actions.detach, a.ctx, a.volume_id,
               text_field(a.fields(), "attachment_id"))
    return empty(202)


async def reset_status(a: ActionCall) -> Response:
    f = a.fields()
    status = text_field(f, "status")
    attach_status = text_field(f, "attach_status")
    if status is None and attach_status is None:
        raise ValidationError("Must specify 'status', 'attach_status' or 'migration_status' "
                              "for update.")
    await call(a.d.s.actions.reset_status, a.ctx, a.volume_id, status, attach_status)
    return empty(202)


async def upload_image(a: ActionCall) -> Response:
    """Cinder's os-volume_upload_image: the answer names the new (queued) image; the
    volume is `uploading` until its host's agent filled it. visibility and protected
    from 3.1."""
    f = a.fields()
    name = text_field(f, "image_name")
    if not name:
        raise ValidationError("Invalid input received: 'image_name' is a required "
                              "property.")
    newer = a.version >= (3, 1)
    req = UploadRequest(
        image_name=name, force=bool_field(f, "force"),
        disk_format=text_field(f, "disk_format") or "raw",
        container_format=text_field(f, "container_format") or "bare",
        visibility=(text_field(f, "visibility") if newer else None) or "private",
        protected=bool_field(f, "protected") if newer else False)
    started = await call(a.d.s.uploads.upload_to_image, a.ctx, a.volume_id, req)
    v = started.volume
    body: dict[str, Any] = {
        "id": v.id, "updated_at": ts(v.updated_at), "status": v.status,
        "display_description": v.description or None, "size": v.size,
        "volume_type": (volume_type(started.volume_type)
                        if started.volume_type is not None else None),
        "image_id": started.image_id, "container_format": req.container_format,
        "disk_format": req.disk_format, "image_name": req.image_name}
    if newer:
        body.update({"visibility": req.visibility, "protected": req.protected})
    return reply({"os-volume_upload_image": body}, 202)


async def force_delete(a: ActionCall) -> Response:
    await call(a.d.s.volumes.delete, a.ctx, a.volume_id, force=True)
    return empty(202)


# name -> (handler, first microversion)
ACTIONS: dict[str, tuple[Handler, tuple[int, int]]] = {
    "os-extend": (extend, (3, 0)),
    "os-set_bootable": (set_bootable, (3, 0)),
    "os-update_readonly_flag": (update_readonly, (3, 0)),
    "os-reserve": (reserve, (3, 0)),
    "os-unreserve": (unreserve, (3, 0)),
    "os-begin_detaching": (begin_detaching, (3, 0)),
    "os-roll_detaching": (roll_detaching, (3, 0)),
    "os-attach": (attach, (3, 0)),
    "os-detach": (detach, (3, 0)),
    "os-reset_status": (reset_status, (3, 0)),
    "os-force_delete": (force_delete, (3, 0)),
    "os-volume_upload_image": (upload_image, (3, 0)),
}


async def action(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    if len(body) != 1:
        raise ValidationError("There is no such action: " + ", ".join(sorted(body)))
    [(name, value)] = body.items()
    found = ACTIONS.get(name)
    version = d.version(request)
    if found is None or version < found[1]:
        raise ValidationError(f"There is no such action: {name}")
    volume_id = str(request.path_params["volume_id"])
    # A volume the caller cannot see is a 404 before the body's value is judged.
    await call(d.s.volumes.get, ctx, volume_id)
    return await found[0](ActionCall(d, ctx, volume_id, value, version))


ROUTES: list[Route] = [
    Route("/volumes/{volume_id}/action", action, methods=["POST"]),
]
