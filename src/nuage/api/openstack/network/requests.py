"""Neutron request bodies and list queries, parsed against the attribute maps: unknown or
read-only attributes, wrong types and bad paging parameters are 400s in Neutron's words."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.network.attributes import BY_WIRE, Attr, Kind
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.services.network.listing import ListQuery
from nuage.services.network.ports import FixedIp

# Query parameters that are not filters.
CONTROL = frozenset({"fields", "limit", "marker", "page_reverse", "sort_key", "sort_dir",
                     "tags", "tags-any", "not-tags", "not-tags-any"})


def invalid(wire: str, reason: str) -> ValidationError:
    return ValidationError(f"Invalid input for {wire}. Reason: {reason}.")


def to_bool(wire: str, value: Any) -> bool:
    """Neutron's convert_to_boolean: booleans, 0/1, and their spellings as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise invalid(wire, f"'{value}' cannot be converted to boolean")


def to_int(wire: str, value: Any) -> int:
    if isinstance(value, bool):
        raise invalid(wire, f"'{value}' is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise invalid(wire, f"'{value}' is not an integer")


def _value(a: Attr, value: Any) -> Any:
    if a.kind is Kind.SPECIAL:
        return value
    if value is None and a.kind in (Kind.NULLABLE_STRING, Kind.NULLABLE_INT):
        return None
    if value is None and a.none_is_empty:
        return []
    if a.kind in (Kind.STRING, Kind.NULLABLE_STRING):
        if not isinstance(value, str):
            raise invalid(a.wire, f"'{value}' is not a valid string")
        if len(value) > a.max_len:
            raise invalid(a.wire, f"'{value}' exceeds maximum length of {a.max_len}")
        return value
    if a.kind is Kind.BOOL:
        return to_bool(a.wire, value)
    if a.kind in (Kind.INT, Kind.NULLABLE_INT):
        return to_int(a.wire, value)
    if a.kind is Kind.STRINGS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid(a.wire, f"'{value}' is not a list")
        return list(value)
    if a.kind is Kind.DICTS:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise invalid(a.wire, f"'{value}' is not a list")
        return [dict(v) for v in value]
    if not isinstance(value, dict):
        raise invalid(a.wire, f"'{value}' is not a dictionary")
    return dict(value)


async def resource_body(request: Request, resource: str, post: bool) -> dict[str, Any]:
    """The body's `{resource: {...}}`, each attribute checked against the map (wire names
    kept)."""
    body = await json_object(request)
    if set(body) != {resource} or not isinstance(body[resource], dict):
        raise ValidationError(f"Unable to find '{resource}' in request body")
    return checked(resource, body[resource], post)


async def create_bodies(request: Request, resource: str, plural: str | None = None
                        ) -> tuple[list[dict[str, Any]], bool]:
    """A create's items, checked, and whether it was a bulk create (`{resources: [...]}`,
    answered as a list; `plural` where it is not the resource and an s)."""
    body = await json_object(request)
    plural = plural or f"{resource}s"
    if set(body) == {plural} and isinstance(body[plural], list) and body[plural] and all(
            isinstance(item, dict) for item in body[plural]):
        return [checked(resource, item, post=True) for item in body[plural]], True
    if set(body) != {resource} or not isinstance(body[resource], dict):
        raise ValidationError(f"Unable to find '{resource}' in request body")
    return [checked(resource, body[resource], post=True)], False


def checked(resource: str, given: dict[str, Any], post: bool) -> dict[str, Any]:
    known = BY_WIRE[resource]
    unknown = sorted(k for k in given if k not in known)
    if unknown:
        raise ValidationError(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    out: dict[str, Any] = {}
    for wire, value in given.items():
        a = known[wire]
        if post and not a.post:
            raise ValidationError(f"Attribute '{wire}' not allowed in POST")
        if not post and not a.put:
            raise ValidationError(f"Cannot update read-only attribute {wire}")
        out[wire] = _value(a, value)
    return out


def project_of(values: dict[str, Any]) -> str | None:
    """The project named by project_id or tenant_id (an admin acting for it)."""
    project, tenant = values.get("project_id"), values.get("tenant_id")
    for wire, value in (("project_id", project), ("tenant_id", tenant)):
        if value is not None and not isinstance(value, str):
            raise invalid(wire, f"'{value}' is not a valid string")
    if project and tenant and project != tenant:
        raise ValidationError("'project_id' and 'tenant_id' do not match")
    return project or tenant or None


def fixed_ips(values: dict[str, Any]) -> tuple[FixedIp, ...] | None:
    if "fixed_ips" not in values:
        return None
    given = values["fixed_ips"]
    if not isinstance(given, list):
        raise invalid("fixed_ips", f"Invalid data format for fixed IP: '{given}'")
    out = []
    for item in given:
        if not isinstance(item, dict) or not set(item) <= {"subnet_id", "ip_address"} or not (
                item.get("subnet_id") or item.get("ip_address")):
            raise invalid("fixed_ips", f"Invalid data format for fixed IP: '{item}'")
        for key in ("subnet_id", "ip_address"):
            if key in item and not isinstance(item[key], str):
                raise invalid("fixed_ips", f"Invalid data format for fixed IP: '{item}'")
        out.append(FixedIp(subnet_id=item.get("subnet_id"), ip_address=item.get("ip_address")))
    return tuple(out)


def security_groups(values: dict[str, Any]) -> tuple[str, ...] | None:
    """A port's groups: None when not given, () for null or [] (Neutron's
    convert_none_to_empty_list), else the UUIDs once each, in order."""
    if "security_groups" not in values:
        return None
    given = values["security_groups"]
    if given is None:
        return ()
    if not isinstance(given, list):
        raise invalid("security_groups", f"'{given}' is not a list")
    for item in given:
        if not isinstance(item, str) or not _is_uuid(item):
            raise invalid("security_groups", f"'{item}' is not a valid UUID")
    return tuple(dict.fromkeys(given))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- lists ------------------------------------------------------------------------------------
def _readable(ctx: RequestContext, a: Attr) -> bool:
    return a.read_row is None or policy.may(ctx, a.read_row)


def fields(request: Request) -> list[str]:
    return [f for v in request.query_params.getlist("fields") for f in v.split(",") if f]


def _tags(request: Request, key: str) -> tuple[str, ...]:
    return tuple(t for v in request.query_params.getlist(key) for t in v.split(",") if t)


def list_query(request: Request, resource: str, ctx: RequestContext) -> ListQuery:
    """Filters (each known, readable attribute; several values mean any of them), sort keys
    and directions, and the marker page."""
    known = BY_WIRE[resource]
    params = request.query_params
    filters: dict[str, tuple[str, ...]] = {}
    for key in {k for k in params if k not in CONTROL}:
        values = tuple(params.getlist(key))
        if resource == "port" and key == "fixed_ips":
            # fixed_ips=ip_address=10.0.0.3, fixed_ips=subnet_id=<id> (the CLI's form),
            # fixed_ips=ip_address_substr=10.0. (ip-substring-filtering)
            for v in values:
                inner, _, wanted = v.partition("=")
                if inner in ("ip_address", "subnet_id", "ip_address_substr"):
                    filters.setdefault(f"fixed_ips.{inner}", ())
                    filters[f"fixed_ips.{inner}"] += (wanted,)
            continue
        a = known.get(key)
        if a is None or a.attr is None or not _readable(ctx, a):
            continue                  # Neutron ignores filters on attributes it lacks
        filters[a.attr] = filters.get(a.attr, ()) + values
    keys = params.getlist("sort_key")
    dirs = params.getlist("sort_dir")
    if len(dirs) not in (0, len(keys)):
        raise ValidationError("The number of sort_keys and sort_dirs must be same")
    sorts = []
    for i, key in enumerate(keys):
        a = known.get(key)
        if a is None or a.attr is None or a.kind in (Kind.STRINGS, Kind.DICTS, Kind.OBJECT,
                                                     Kind.SPECIAL) or not _readable(ctx, a):
            raise ValidationError(f"{key} is an invalid attribute for sort_keys")
        direction = dirs[i] if dirs else "asc"
        if direction not in ("asc", "desc"):
            raise ValidationError(f"{direction} is an invalid value for sort_dirs, valid "
                                  "values are 'asc' and 'desc'")
        sorts.append((a.attr, direction == "asc"))
    limit: int | None = None
    if "limit" in params:
        limit = to_int("limit", params["limit"])
        if limit < 0:
            raise ValidationError(f"Limit must be an integer 0 or greater and not '{limit}'")
    page_reverse = to_bool("page_reverse", params.get("page_reverse", "false"))
    return ListQuery(filters=filters, tags_all=_tags(request, "tags"),
                     tags_any=_tags(request, "tags-any"),
                     not_tags_all=_tags(request, "not-tags"),
                     not_tags_any=_tags(request, "not-tags-any"), sorts=tuple(sorts),
                     limit=limit or None, marker=params.get("marker"),
                     page_reverse=page_reverse)
