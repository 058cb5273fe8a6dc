"""Glance request parsing: the image list query, JSON-patch bodies, upload sizes, members."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from nuage.api.openstack.common.body import json_object, parse_json, query_bool, read_body, string
from nuage.domain.errors import ValidationError
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


def declared_size(request: Request) -> int | None:
    """The size the client announced (Content-Length, or Glance's size header)."""
    for header in ("x-openstack-image-size", "content-length"):
        raw = request.headers.get(header)
        if raw is not None:
            try:
                value = int(raw)
            except ValueError as exc:
                raise ValidationError(f"Invalid {header}: {raw!r}.") from exc
            if value < 0:
                raise ValidationError(f"Invalid {header}: {raw!r}.")
            return value
    return None


def upload_media_ok(request: Request) -> None:
    """Image data comes as application/octet-stream only (415 otherwise, as Glance)."""
    media = request.headers.get("content-type", "application/octet-stream")
    if media.split(";")[0].strip().lower() != "application/octet-stream":
        raise HTTPException(415, "Image data must be sent as application/octet-stream.")


async def member_id(request: Request) -> str:
    """The project a member add names (`{"member": ...}`)."""
    body = await json_object(request)
    return string(body, "member", required=True) or ""


async def member_status(request: Request) -> str:
    """The status a member update sets (`{"status": ...}`)."""
    body = await json_object(request)
    return string(body, "status", required=True) or ""
