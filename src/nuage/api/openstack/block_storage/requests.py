"""Cinder's list parameters and body checks, in Cinder's words: limit, marker, sort
(`name:asc,size`), sort_key/sort_dir, all_tenants, and the filters each list takes."""

from __future__ import annotations

import ast
import json
from typing import Any

from starlette.requests import Request

from nuage.api.openstack.common.body import json_object, query_bool
from nuage.domain.errors import ValidationError
from nuage.services.volume.base import ListQuery

# Wire sort key -> domain attribute.
SORT_KEYS = {"id": "id", "name": "name", "display_name": "name", "status": "status",
             "size": "size", "created_at": "created_at", "updated_at": "updated_at",
             "bootable": "bootable", "availability_zone": "availability_zone",
             "volume_id": "volume_id", "project_id": "project_id"}


def _sorts(request: Request) -> tuple[tuple[str, bool], ...]:
    q = request.query_params
    pairs: list[tuple[str, str]] = []
    if q.get("sort"):
        if q.get("sort_key") or q.get("sort_dir"):
            raise ValidationError("Invalid input received: The 'sort_key' and 'sort_dir' "
                                  "parameters are deprecated and cannot be used with the "
                                  "'sort' parameter.")
        for part in q["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            pairs.append((key, direction or "desc"))
    elif q.get("sort_key") or q.get("sort_dir"):
        pairs.append((q.get("sort_key") or "created_at", q.get("sort_dir") or "desc"))
    out: list[tuple[str, bool]] = []
    for key, direction in pairs:
        if key not in SORT_KEYS:
            raise ValidationError(f"Invalid input received: Invalid sort key {key}")
        if direction.lower() not in ("asc", "desc"):
            raise ValidationError("Invalid input received: Unknown sort direction, must "
                                  "be 'desc' or 'asc'")
        out.append((SORT_KEYS[key], direction.lower() == "asc"))
    return tuple(out)


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset")
    if raw is None:
        return 0
    try:
        offset = int(raw)
    except ValueError:
        raise ValidationError("offset param must be an integer") from None
    if offset < 0:
        raise ValidationError("offset param must be positive")
    return offset


def _limit(request: Request) -> int | None:
    raw = request.query_params.get("limit")
    if raw is None:
        return None
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationError("limit param must be an integer") from None
    if limit < 0:
        raise ValidationError("limit param must be positive")
    return limit


def _metadata(raw: str | None) -> dict[str, str]:
    """Cinder takes metadata as a Python-literal or JSON dict in the query string."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise ValidationError(f"Invalid input received: Invalid metadata filter "
                                  f"{raw}") from None
    if not isinstance(value, dict):
        raise ValidationError(f"Invalid input received: Invalid metadata filter {raw}")
    return {str(k): str(v) for k, v in value.items()}


def list_query(request: Request, filters: dict[str, str]) -> ListQuery:
    """`filters`: wire filter name -> domain attribute, for this list."""
    q = request.query_params
    found: dict[str, Any] = {}
    for wire, attr in filters.items():
        value = q.get(wire)
        if value is None:
            continue
        if attr in ("bootable", "is_incremental"):
            found[attr] = query_bool(value)
        elif attr == "size":
            try:
                found[attr] = int(value)
            except ValueError:
                raise ValidationError(f"Invalid input received: Invalid filter {wire}") from None
        else:
            found[attr] = value
    all_tenants = bool(query_bool(q.get("all_tenants")) or False)
    return ListQuery(filters=found, metadata=_metadata(q.get("metadata")),
                     sorts=_sorts(request), limit=_limit(request), marker=q.get("marker"),
                     offset=_offset(request),
                     all_projects=all_tenants,
                     project_id=q.get("project_id") if all_tenants else None)


async def body_member(request: Request, key: str) -> dict[str, Any]:
    """The body's `key` object (Cinder's 400 when absent)."""
    body = await json_object(request)
    value = body.get(key)
    if not isinstance(value, dict):
        raise ValidationError(f"Missing required element '{key}' in request body.")
    return value


def text_field(d: dict[str, Any], *keys: str) -> str | None:
    """The first of `keys` present (Cinder takes display_name for name), a string of at
    most 255 characters, or None."""
    for key in keys:
        if key in d and d[key] is not None:
            value = d[key]
            if not isinstance(value, str) or len(value) > 255:
                raise ValidationError(f"Invalid input for field/attribute {key}. Value: "
                                      f"{value}. It must be a string of at most 255 "
                                      "characters.")
            return value
    return None


def metadata_field(d: dict[str, Any], key: str = "metadata") -> dict[str, str] | None:
    if key not in d or d[key] is None:
        return None
    value = d[key]
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationError(f"Invalid input for field/attribute {key}. Value: {value}. "
                              "It must be an object of strings.")
    return dict(value)


def size_field(d: dict[str, Any], key: str, required: bool = False) -> int | None:
    if key not in d or d[key] is None:
        if required:
            raise ValidationError(f"Invalid input for field/attribute {key}. Value: None. "
                                  "None is not of type 'integer', 'string'")
        return None
    value = d[key]
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"Invalid input for field/attribute {key}. Value: {d[key]}. "
                              f"{d[key]!r} is not a positive integer.")
    return value


def bool_field(d: dict[str, Any], key: str, default: bool = False) -> bool:
    """Cinder's boolean: true/false, or strings such as "True", "1", "yes"."""
    if key not in d:
        return default
    value = d[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        parsed = query_bool(value) if value else None
        if parsed is not None:
            return parsed
    raise ValidationError(f"Invalid input for field/attribute {key}. Value: {value}. "
                          f"{value!r} is not a valid boolean.")
