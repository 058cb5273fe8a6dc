"""Entities -> Cinder v3 JSON (per microversion where it changes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.volume import Backup, Snapshot, VolumeType
from nuage.services.volume.volumes import VolumeInfo

T = TypeVar("T")


def ts(value: datetime | None) -> str | None:
    """Cinder's timestamps: UTC, microseconds, no zone."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")


def links(base: str, project: str | None, collection: str, ident: str) -> list[dict[str, str]]:
    root, _, _ = base.rpartition("/v3")
    prefix = f"/{project}" if project else ""
    return [{"href": f"{base}{prefix}/{collection}/{ident}", "rel": "self"},
            {"href": f"{root}{prefix}/{collection}/{ident}", "rel": "bookmark"}]


def next_link(request: Request, base: str, last_id: str) -> list[dict[str, str]]:
    """The same list from after `last_id` (the path as the caller gave it, with or
    without a project id)."""
    params = dict(request.query_params)
    params["marker"] = last_id
    path = request.url.path.rsplit("/v3", 1)[-1]
    return [{"href": f"{base}{path}?{urlencode(params)}", "rel": "next"}]


def volume_summary(i: VolumeInfo, base: str, project: str | None) -> dict[str, Any]:
    v = i.volume
    return {"id": v.id, "name": v.name or None,
            "links": links(base, project, "volumes", v.id)}


def volume(i: VolumeInfo, ctx: RequestContext, version: tuple[int, int], base: str,
           project: str | None, extended: bool = True) -> dict[str, Any]:
    """`extended`: with the attributes Cinder's extensions add to show and detail
    (tenant, migration, host, image metadata), absent from create and update answers."""
    v = i.volume
    body: dict[str, Any] = {
        "id": v.id, "name": v.name or None, "description": v.description or None,
        "status": v.status, "size": v.size, "availability_zone": v.availability_zone,
        "created_at": ts(v.created_at), "updated_at": ts(v.updated_at),
        "attachments": [{"id": a.volume_id, "attachment_id": a.id, "volume_id": a.volume_id,
                         "server_id": a.server_id, "host_name": a.host,
                         "device": a.device, "attached_at": ts(a.attached_at)}
                        for a in i.attachments if a.status == "attached"],
        # Cinder gives bootable as a string.
        "bootable": "true" if v.bootable else "false",
        # Every nuage volume is encrypted at rest with its own key.
        "encrypted": True,
        "links": links(base, project, "volumes", v.id),
        "metadata": dict(v.metadata), "multiattach": v.multiattach,
        "replication_status": None, "consistencygroup_id": None, "migration_status": None,
        "snapshot_id": v.source_snapshot_id, "source_volid": v.source_volume_id,
        "user_id": v.user_id, "volume_type": i.type_name,
    }
    admin = policy.may(ctx, "volume:volume:show_host")
    if extended:
        body.update({"os-vol-tenant-attr:tenant_id": v.project_id,
                     "os-vol-mig-status-attr:migstat": None,
                     "os-vol-mig-status-attr:name_id": None})
        if v.image_metadata:
            body["volume_image_metadata"] = dict(v.image_metadata)
        if admin:
            body["os-vol-host-attr:host"] = f"{v.host}@qcow2#qcow2"
    if version >= (3, 13):
        body["group_id"] = None
    if version >= (3, 21) and admin:
        body["provider_id"] = None
    return body


def snapshot(s: Snapshot, version: tuple[int, int], detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": s.id, "name": s.name or None, "description": s.description or None,
        "volume_id": s.volume_id, "status": s.status, "size": s.size,
        "created_at": ts(s.created_at), "updated_at": ts(s.updated_at),
        "metadata": dict(s.metadata)}
    if detail:
        body["os-extended-snapshot-attributes:progress"] = s.progress
        body["os-extended-snapshot-attributes:project_id"] = s.project_id
    if version >= (3, 14):
        body["group_snapshot_id"] = None
    if version >= (3, 41):
        body["user_id"] = s.user_id
    return body


def volume_type(t: VolumeType, access: bool = True) -> dict[str, Any]:
    """`access`: with `os-volume-type-access:is_public`, which Cinder's type-access
    extension adds to show, list and create but not to update (whose schema forbids it)."""
    body = {"id": t.id, "name": t.name, "description": t.description or None,
            "is_public": t.is_public, "extra_specs": dict(t.extra_specs)}
    if access:
        body["os-volume-type-access:is_public"] = t.is_public
    return body


def backup(b: Backup, base: str, project: str | None, has_dependents: bool = False
           ) -> dict[str, Any]:
    return {"id": b.id, "name": b.name or None, "description": b.description or None,
            "status": b.status, "availability_zone": b.availability_zone,
            "container": b.container, "created_at": ts(b.created_at),
            "updated_at": ts(b.updated_at), "data_timestamp": ts(b.data_timestamp),
            "fail_reason": b.fail_reason, "has_dependent_backups": has_dependents,
            "is_incremental": b.is_incremental, "object_count": b.object_count,
            "size": b.size, "snapshot_id": b.snapshot_id, "volume_id": b.volume_id,
            "links": links(base, project, "backups", b.id)}


def listed(items: Sequence[T], render: Callable[[T], dict[str, Any]], key: str,
           has_next: bool, next_of: Callable[[T], list[dict[str, str]]]
           ) -> dict[str, Any]:
    body: dict[str, Any] = {key: [render(i) for i in items]}
    if has_next and items:
        body[f"{key}_links"] = next_of(items[-1])
    return body
