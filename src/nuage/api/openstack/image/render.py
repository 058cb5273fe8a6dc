"""Domain images and members -> Glance v2 JSON (bare objects, relative links)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nuage.domain.image import Image, ImageMember


def stamp(value: datetime) -> str:
    """Glance's timestamps: seconds and a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image(i: Image) -> dict[str, Any]:
    body: dict[str, Any] = dict(i.properties)
    body.update({
        "id": i.id, "name": i.name, "status": i.status, "visibility": i.visibility,
        "protected": i.protected, "os_hidden": i.os_hidden, "checksum": i.checksum,
        "os_hash_algo": i.os_hash_algo, "os_hash_value": i.os_hash_value, "owner": i.owner,
        "size": i.size, "virtual_size": i.virtual_size, "min_ram": i.min_ram,
        "min_disk": i.min_disk, "disk_format": i.disk_format,
        "container_format": i.container_format, "created_at": stamp(i.created_at),
        "updated_at": stamp(i.updated_at), "tags": list(i.tags),
        "self": f"/v2/images/{i.id}", "file": f"/v2/images/{i.id}/file",
        "schema": "/v2/schemas/image",
    })
    return body


def member(m: ImageMember) -> dict[str, Any]:
    return {"image_id": m.image_id, "member_id": m.member_id, "status": m.status,
            "created_at": stamp(m.created_at), "updated_at": stamp(m.updated_at),
            "schema": "/v2/schemas/member"}
