"""Nova's os-volume_attachments: GET/POST /servers/{id}/os-volume_attachments, GET/PUT/
DELETE /servers/{id}/os-volume_attachments/{volume_id} (services/compute/
volume_attachments.py decides).

Shapes per microversion, as Nova's: `id` (the volume's id), `volumeId`, `serverId`,
`device`; `tag` from 2.70; `delete_on_termination` from 2.79; from 2.89 the list and show
drop `id` for `attachment_id` and `bdm_uuid`. A create takes `volumeId`, `device` (checked
but not honoured, as libvirt's driver), `tag` from 2.49, `delete_on_termination` from 2.79,
and answers 200 with the attachment; PUT answers 202 (a swap below 2.85, or from 2.85 a
change of delete_on_termination); DELETE 202.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import parse_json, read_body
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import Deps, caller, int_param
from nuage.api.openstack.compute.server_views import Version
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.errors import ValidationError
from nuage.ports.compute_volumes import ServerVolume

TAG_ATTACH = (2, 49)           # a create may tag the device
TAG_SHOWN = (2, 70)            # attachments show their tag
DELETE_ON_TERMINATION = (2, 79)
UPDATE_FIELDS = (2, 85)        # PUT may change delete_on_termination
ATTACHMENT_IDS = (2, 89)       # attachment_id and bdm_uuid instead of id
# Nova's device name schema (parameter_types.device_name's pattern for attachments).
_DEVICE = re.compile(r"^(/dev/x?[a-z]?d?)[a-z]+[0-9]*$")
_TAG = re.compile(r"^[^,/]*$")
# A stable id for the block device mapping the attachment is (Nova keeps two records;
# the volume service keeps one, so the mapping's uuid is derived from the attachment's).
_BDM_NAMESPACE = uuid.UUID("6f3c3a5e-8d1b-4f6e-9b5a-2c7d0e4a9f11")


def render(v: ServerVolume, version: Version, *, created: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"volumeId": v.volume_id, "serverId": v.server_id,
                            "device": v.device}
    if created or version < ATTACHMENT_IDS:
        body["id"] = v.volume_id
    if version >= TAG_SHOWN:
        body["tag"] = v.tag
    if version >= DELETE_ON_TERMINATION:
        body["delete_on_termination"] = v.delete_on_termination
    if version >= ATTACHMENT_IDS and not created:
        body["attachment_id"] = v.attachment_id
        body["bdm_uuid"] = str(uuid.uuid5(_BDM_NAMESPACE, v.attachment_id))
    return body


def _invalid(field: str, problem: str) -> ValidationError:
    return ValidationError(f"Invalid input for field/attribute {field}. Value: {problem}")


def _attachment(body: object, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict) or set(body) != {"volumeAttachment"}:
        raise ValidationError("Invalid input for field/attribute volumeAttachment. "
                              "'volumeAttachment' is a required property")
    att = body["volumeAttachment"]
    if not isinstance(att, dict):
        raise _invalid("volumeAttachment", f"{att!r} is not of type 'object'")
    extra = sorted(set(att) - allowed)
    if extra:
        raise ValidationError(f"Additional properties are not allowed ({extra[0]!r} was "
                              "unexpected)")
    if "volumeId" not in att:
        raise ValidationError("Invalid input for field/attribute volumeAttachment. "
                              "'volumeId' is a required property")
    _uuid(att["volumeId"], "volumeId")
    return att


def _uuid(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise _invalid(field, f"{value!r} is not of type 'string'")
    try:
        uuid.UUID(value)
    except ValueError as exc:
        raise _invalid(field, f"{value} is not a 'uuid'") from exc
    return value


def _device(att: dict[str, Any]) -> str | None:
    device = att.get("device")
    if device is None:
        return None
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise _invalid("device", f"{device!r} does not match '{_DEVICE.pattern}'")
    return device


def _tag(att: dict[str, Any]) -> str | None:
    tag = att.get("tag")
    if tag is None:
        return None
    if not isinstance(tag, str) or not 1 <= len(tag) <= 60 or not _TAG.match(tag):
        raise _invalid("tag", f"{tag!r} does not match '^[^,/]*$'")
    return tag


def _boolean(att: dict[str, Any], key: str) -> bool | None:
    value = att.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise _invalid(key, f"{value!r} is not of type 'boolean'")


async def attachments(request: Request) -> Response:
    d, ctx = await caller(request)
    server_id = request.path_params["server_id"]
    version = Deps.version(request)
    if request.method == "GET":
        limit = int_param(request, "limit")
        offset = int_param(request, "offset") or 0
        found = await call(d.s.volume_attachments.index, ctx, server_id, limit, offset)
        return reply({"volumeAttachments": [render(v, version) for v in found]})
    allowed = {"volumeId", "device"}
    if version >= TAG_ATTACH:
        allowed.add("tag")
    if version >= DELETE_ON_TERMINATION:
        allowed.add("delete_on_termination")
    att = _attachment(parse_json(await read_body(request)), allowed)
    _device(att)        # checked, then not honoured (the service says why)
    attached = await call(d.s.volume_attachments.attach, ctx, server_id, att["volumeId"],
                          _tag(att), bool(_boolean(att, "delete_on_termination")))
    return reply({"volumeAttachment": render(attached, version, created=True)})


async def attachment(request: Request) -> Response:
    d, ctx = await caller(request)
    server_id, volume_id = request.path_params["server_id"], request.path_params["volume_id"]
    version = Deps.version(request)
    if request.method == "GET":
        found = await call(d.s.volume_attachments.show, ctx, server_id, volume_id)
        return reply({"volumeAttachment": render(found, version)})
    if request.method == "DELETE":
        await call(d.s.volume_attachments.detach, ctx, server_id, volume_id)
        return empty(202)
    allowed = {"volumeId"}
    if version >= UPDATE_FIELDS:
        allowed |= {"id", "serverId", "device", "tag", "delete_on_termination"}
    att = _attachment(parse_json(await read_body(request)), allowed)
    delete_on_termination = _boolean(att, "delete_on_termination")
    if att["volumeId"] == volume_id and len(att) > 1:
        # 2.85: the other fields may be given, but only as they are.
        current = await call(d.s.volume_attachments.show, ctx, server_id, volume_id)
        shown = render(current, version, created=True)
        for key in ("id", "serverId", "device", "tag"):
            if key in att and att[key] != shown.get(key, current.tag if key == "tag"
                                                    else None):
                raise ValidationError(ComputeFault.SERVER_VOLUME_UPDATE_MISMATCH, field=key)
    await call(d.s.volume_attachments.update, ctx, server_id, volume_id, att["volumeId"],
               delete_on_termination)
    return empty(202)


ROUTES: list[Route] = [
    Route("/servers/{server_id}/os-volume_attachments", attachments,
          methods=["GET", "POST"]),
    Route("/servers/{server_id}/os-volume_attachments/{volume_id}", attachment,
          methods=["GET", "PUT", "DELETE"]),
]
