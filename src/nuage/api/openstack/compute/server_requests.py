"""What /servers requests carry, parsed and checked per microversion (Nova's schemas):
create and rebuild bodies, the list's query parameters, and console output as Nova cuts
it. servers.py routes; this module only reads the wire."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace
from typing import Any, NamedTuple

from starlette.datastructures import QueryParams

from nuage.api.openstack.common.body import query_bool, timestamp
from nuage.api.openstack.compute import block_device_mappings
from nuage.api.openstack.compute.backups import image_metadata
from nuage.api.openstack.compute.server_views import Version
from nuage.domain.compute import check_hostname
from nuage.domain.errors import ValidationError
from nuage.services.compute.server_actions import KEEP, RebuildChanges
from nuage.services.compute.server_filters import FIELDS
from nuage.services.compute.servers import NewServer, ServerQuery

CREATE_KEYS = {"name", "imageRef", "flavorRef", "key_name", "user_data", "metadata",
               "availability_zone", "networks", "min_count", "max_count", "accessIPv4",
               "accessIPv6", "block_device_mapping_v2", "block_device_mapping",
               "security_groups", "config_drive",
               "return_reservation_id", "OS-DCF:diskConfig", "adminPass"}
# Nova's server statuses (2.38 refuses any other in the status filter).
SERVER_STATUSES = frozenset({
    "ACTIVE", "BUILD", "DELETED", "ERROR", "HARD_REBOOT", "MIGRATING", "PASSWORD", "PAUSED",
    "REBOOT", "REBUILD", "RESCUE", "RESIZE", "REVERT_RESIZE", "SHELVED",
    "SHELVED_OFFLOADED", "SHUTOFF", "SOFT_DELETED", "SUSPENDED", "UNKNOWN", "VERIFY_RESIZE"})
TRUE_WORDS = frozenset({"1", "t", "true", "on", "y", "yes"})
FALSE_WORDS = frozenset({"0", "f", "false", "off", "n", "no"})


def server_body(body: dict[str, Any]) -> dict[str, Any]:
    server = body.get("server")
    if not isinstance(server, dict):
        raise ValidationError("Invalid input for field/attribute server.")
    return server


def string_field(d: dict[str, Any], key: str, *, required: bool = False, max_len: int = 255,
            allow_empty: bool = False) -> str | None:
    value = d.get(key)
    if value is None:
        if required:
            raise ValidationError(f"Invalid input for field/attribute {key}. Value: None. "
                                  f"'{key}' is a required property")
        return None
    if not isinstance(value, str) or len(value) > max_len or (not allow_empty
                                                              and not value.strip()):
        raise ValidationError(f"Invalid input for field/attribute {key}. Value: {value!r}.")
    return value


def access_ip(d: dict[str, Any], key: str) -> str:
    """accessIPv4/accessIPv6: an address of that family, kept in its canonical form (Nova
    answers "::babe:dc0c:1602" for "0000:...:babe:220.12.22.2"); "" clears it."""
    raw = string_field(d, key, allow_empty=True) or ""
    if not raw:
        return ""
    kind = ipaddress.IPv4Address if key == "accessIPv4" else ipaddress.IPv6Address
    try:
        return str(kind(raw))
    except ValueError as exc:
        raise ValidationError(f"Invalid input for field/attribute {key}. Value: {raw!r}. "
                              f"{raw!r} is not a '{key[-2:].lower()}'") from exc


def description_field(d: dict[str, Any], version: Version) -> Any:
    """`description` (2.19): a string or null; KEEP when absent. Below 2.19 it is an
    unexpected key (400)."""
    if "description" not in d:
        return KEEP
    if version < (2, 19):
        raise ValidationError("Invalid input for field/attribute server. Additional "
                              "properties are not allowed ('description' was unexpected)")
    value = d["description"]
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"Invalid input for field/attribute description. Value: "
                              f"{value!r}. {value!r} is not of type 'string', 'null'")
    return value


def metadata_field(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in value.items()):
        raise ValidationError("Invalid input for field/attribute metadata.")
    return dict(value)


class CreateRequest(NamedTuple):
    new: NewServer
    min_count: int
    max_count: int
    # Answer {"reservation_id": ...} instead of the first server.
    return_reservation_id: bool


def versioned_keys(version: Version) -> set[str]:
    """Create keys later microversions add (each is an unexpected key, 400, below)."""
    return {key for key, since in (("tags", (2, 52)), ("trusted_image_certificates", (2, 63)),
                                   ("host", (2, 74)), ("hypervisor_hostname", (2, 74)),
                                   ("hostname", (2, 90))) if version >= since}


def hostname_field(d: dict[str, Any], version: Version) -> str | None:
    if d.get("hostname") is None:
        return None
    if not isinstance(d["hostname"], str):
        raise ValidationError("Invalid input for field/attribute hostname.")
    return check_hostname(d["hostname"], fqdn=version >= (2, 94))


def tags_field(d: dict[str, Any]) -> tuple[str, ...]:
    raw = d.get("tags", [])
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise ValidationError("Invalid input for field/attribute tags.")
    return tuple(raw)


def security_groups_field(raw: object) -> tuple[str, ...] | None:
    """A create's `security_groups`: Nova's schema is a list of {"name": ...} objects;
    the names given, each once (Nova's set), or None when there are none (the project's
    default group then)."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ValidationError("Invalid input for field/attribute security_groups.")
    names: list[str] = []
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) - {"name"} or not isinstance(
                entry.get("name", ""), str):
            raise ValidationError("Invalid input for field/attribute security_groups.")
        name = str(entry.get("name", "")).strip()
        if name and name not in names:
            names.append(name)
    return tuple(names) or None


def parse_create(body: dict[str, Any], version: Version = (2, 1)) -> CreateRequest:
    s = server_body(body)
    description = description_field(s, version)
    unknown = set(s) - CREATE_KEYS - {"description"} - versioned_keys(version)
    if unknown:
        raise ValidationError(f"Invalid input for field/attribute server. Additional "
                              f"properties are not allowed ({', '.join(sorted(unknown))} "
                              "were unexpected)")
    # adminPass is accepted as Nova does, but not used: guests take SSH keys, and the
    # create response carries no adminPass (Tempest's enable_instance_password = false).
    string_field(s, "adminPass", allow_empty=True)
    image = s.get("imageRef")
    devices = block_device_mappings.parse(s, version)
    # An image on the local disk is the server's image; "" with a boot volume is none.
    image = image or devices.local_image
    if image is not None and not isinstance(image, str):
        raise ValidationError("Invalid input for field/attribute imageRef.")
    flavor = s.get("flavorRef")
    if isinstance(flavor, int):
        flavor = str(flavor)
    if not isinstance(flavor, str) or not flavor:
        raise ValidationError("Invalid input for field/attribute flavorRef. 'flavorRef' is a "
                              "required property")
    networks = s.get("networks")
    if networks is None and version >= (2, 37):
        # 2.37: the caller says what it wants ("auto", "none" or a list).
        raise ValidationError("Invalid input for field/attribute server. 'networks' is a "
                              "required property")
    if s.get("trusted_image_certificates") is not None:
        # nuage verifies no image signature: accepting certificates would promise a check
        # that is not made.
        raise ValidationError("Image signature certificate validation is not supported by "
                              "this cloud: trusted_image_certificates cannot be honoured.")
    if networks is not None and not (networks in ("none", "auto") or isinstance(networks,
                                                                                 list)):
        raise ValidationError("Invalid input for field/attribute networks.")
    # Device tags on networks: 2.32, dropped by 2.37, back in 2.42.
    tags_taken = (2, 32) <= version < (2, 37) or version >= (2, 42)
    if isinstance(networks, list) and not tags_taken and any(
            isinstance(entry, dict) and "tag" in entry for entry in networks):
        raise ValidationError("Invalid input for field/attribute networks. Additional "
                              "properties are not allowed ('tag' was unexpected)")
    counts: list[int] = []
    for key in ("min_count", "max_count"):
        # max_count defaults to min_count: "min_count": 3 alone asks for three servers.
        raw = s.get(key, counts[0] if counts else 1)
        # Nova's schema: an integer, or a string of digits; 2.5 or true is a 400.
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw)
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValidationError(f"Invalid input for field/attribute {key}.")
        value = raw
        if value < 1:
            raise ValidationError(f"Invalid input for field/attribute {key}.")
        counts.append(value)
    if counts[0] > counts[1]:
        raise ValidationError("min_count must be <= max_count")
    return_reservation = boolean_field(s, "return_reservation_id")
    hostname = hostname_field(s, version)
    if hostname is not None and counts[1] > 1:
        raise ValidationError("Cannot use 'hostname' with multiple instances: each server "
                              "needs its own name.")
    new = NewServer(
        name=string_field(s, "name", required=True) or "",
        image_ref=(image or "").rsplit("/", 1)[-1],
        flavor_ref=flavor, key_name=string_field(s, "key_name"),
        user_data=string_field(s, "user_data", max_len=65535),
        metadata=metadata_field(s.get("metadata")),
        availability_zone=string_field(s, "availability_zone"), networks=networks,
        access_ipv4=access_ip(s, "accessIPv4"), access_ipv6=access_ip(s, "accessIPv6"),
        # Below 2.19 Nova stores the name as the description.
        description=(s.get("name") if description is KEEP and version < (2, 19)
                     else None if description is KEEP else description),
        tags=tags_field(s), hostname=hostname,
        security_groups=security_groups_field(s.get("security_groups")),
        volumes=devices.volumes)
    return CreateRequest(new, counts[0], counts[1], return_reservation)


REBUILD_KEYS = {"imageRef", "name", "description", "adminPass", "metadata", "accessIPv4",
                "accessIPv6", "OS-DCF:diskConfig", "preserve_ephemeral"}


def parse_rebuild(arg: dict[str, Any], version: Version) -> RebuildChanges:
    """What a rebuild changes beside the image: `key_name` (2.54), `user_data` (2.57,
    when `personality` goes), `hostname` (2.90); each an unexpected key (400) below."""
    allowed = REBUILD_KEYS | {key for key, since in (
        ("key_name", (2, 54)), ("user_data", (2, 57)), ("trusted_image_certificates", (2, 63)),
        ("hostname", (2, 90))) if version >= since}
    unknown = set(arg) - allowed
    if unknown:
        raise ValidationError(f"Invalid input for field/attribute rebuild. Additional "
                              f"properties are not allowed ({', '.join(sorted(unknown))} "
                              "were unexpected)")
    if arg.get("trusted_image_certificates") is not None:
        raise ValidationError("Image signature certificate validation is not supported by "
                              "this cloud: trusted_image_certificates cannot be honoured.")
    changes = RebuildChanges()
    if "key_name" in arg:
        key = arg["key_name"]
        if key is not None and (not isinstance(key, str) or not key):
            raise ValidationError("Invalid input for field/attribute key_name.")
        changes = replace(changes, key_name=key)
    if "user_data" in arg:
        data = arg["user_data"]
        if data is not None and not isinstance(data, str):
            raise ValidationError("Invalid input for field/attribute user_data.")
        changes = replace(changes, user_data=data)
    return replace(changes, hostname=hostname_field(arg, version))


# Nova's query parameters for GET /servers (its schema's list; 2.75 refuses any other).
SERVER_QUERY_KEYS = frozenset({
    "user_id", "project_id", "tenant_id", "launch_index", "image_ref", "image", "kernel_id",
    "ramdisk_id", "hostname", "key_name", "power_state", "vm_state", "task_state", "host",
    "node", "flavor", "reservation_id", "launched_at", "terminated_at", "availability_zone",
    "name", "display_name", "description", "display_description", "locked_by", "uuid",
    "root_device_name", "config_drive", "access_ip_v4", "access_ip_v6", "auto_disk_config",
    "progress", "sort_key", "sort_dir", "all_tenants", "soft_deleted", "deleted", "status",
    "changes-since", "ip", "ip6", "created_at", "block_device_mapping", "services",
    "metadata", "system_metadata", "info_cache", "security_groups", "pci_devices", "limit",
    "marker", "tags", "tags-any", "not-tags", "not-tags-any",
    # nuage's own spelling of all_tenants, taken at every version
    "all_projects"})


def check_query_keys(keys: set[str], version: Version) -> None:
    """2.75: an unknown query parameter is 400 (2.66 adds changes-before, 2.73 locked)."""
    known = SERVER_QUERY_KEYS | ({"changes-before"} if version >= (2, 66) else set()) | (
        {"locked"} if version >= (2, 73) else set())
    unknown = sorted(keys - known)
    if unknown:
        raise ValidationError(f"Invalid input for query parameters: Additional properties "
                              f"are not allowed ({', '.join(unknown)} were unexpected)")


def parse_server_query(q: QueryParams, version: Version) -> ServerQuery:
    """GET /servers and /servers/detail: the filters, paging and tag filters per
    microversion."""
    limit = None
    if "limit" in q:
        try:
            limit = int(q["limit"])
        except ValueError as exc:
            raise ValidationError("limit param must be an integer") from exc
        if limit < 0:
            raise ValidationError("limit param must be positive")
    all_projects = bool(query_bool(q.get("all_tenants") or q.get("all_projects")
                                   or ("true" if "all_tenants" in q else "false")))
    tags: dict[str, Any] = {}
    status = q.get("status")
    if status and version >= (2, 38) and status.upper() not in SERVER_STATUSES:
        # 2.38: an unknown status is an error, not an empty list.
        raise ValidationError(f"Invalid status value: {status}")
    changes_before = None
    if version >= (2, 66):
        changes_before = timestamp(dict(q), "changes-before")
        since = timestamp(dict(q), "changes-since")
        if changes_before and since and since > changes_before:
            raise ValidationError("The value of changes-since must be less than or "
                                  "equal to changes-before.")
    if version >= (2, 26):
        tags = {field: tag_list(q.getlist(param)) for param, field in (
            ("tags", "tags"), ("tags-any", "tags_any"), ("not-tags", "not_tags"),
            ("not-tags-any", "not_tags_any"))}
    if version >= (2, 75):
        check_query_keys(set(q), version)
    exact = tuple((k, q[k]) for k in sorted(FIELDS) if k in q
                  and (k != "locked" or version >= (2, 73)))
    return ServerQuery(**tags, exact=exact, extended_filters=version >= (2, 83),
        name=q.get("name"), status=q.get("status"),
        changes_since=timestamp(dict(q), "changes-since"), changes_before=changes_before,
        image=q.get("image"),
        flavor=q.get("flavor"), all_projects=all_projects,
        project_id=q.get("project_id") or q.get("tenant_id"), marker=q.get("marker"),
        limit=limit, ip=q.get("ip"), ip6=q.get("ip6"))


def boolean_field(d: dict[str, Any], key: str) -> bool:
    """Nova's parameter_types.boolean: a JSON boolean or one of its accepted strings."""
    raw = d.get(key, False)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.lower() in TRUE_WORDS
    raise ValidationError(f"Invalid input for field/attribute {key}. Value: {raw!r}. "
                          f"{raw!r} is not of type 'boolean'")


def tag_list(raw: list[str]) -> tuple[str, ...]:
    """A tag filter's values: comma-separated, and the parameter may repeat."""
    return tuple(t for value in raw for t in value.split(",") if t)


# Nova strips these from console output (all control characters but \t and \n).
CONSOLE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")


def nova_console_text(lines: str, length: int | None) -> str:
    """The last `length` lines as Nova cuts them: it splits the log on "\n" and keeps the
    last `length` pieces, so a log ending in a newline gives length - 1 lines and "\n"."""
    if length and lines.endswith("\n"):
        lines = lines.split("\n", 1)[1] if lines.count("\n") >= length else lines
    return CONSOLE_CONTROL.sub("", lines)


# --- Server action bodies: each parser reads the value under the action's key (`arg`)
# at the request's microversion; server_actions.py maps each action name to one of them.


def no_argument(arg: object, version: Version) -> None:
    """The start/stop/pause family and the actions nuage refuses: the body is not read."""


def console_length(arg: object, version: Version) -> int | None:
    """os-getConsoleOutput's `length`: a count of lines, -1 or absent for the whole log."""
    if not isinstance(arg, dict) or arg.get("length") is None:
        return None
    try:
        length = int(arg["length"])
    except (TypeError, ValueError) as exc:
        raise ValidationError("Invalid input for field/attribute length.") from exc
    if length < -1:
        raise ValidationError("Invalid input for field/attribute length.")
    return None if length == -1 else length


def lock_reason(arg: object, version: Version) -> str | None:
    """Nova 2.73 adds a reason to lock; otherwise the body is null (Tempest sends {})."""
    if version >= (2, 73) and isinstance(arg, dict) and set(arg) == {"locked_reason"}:
        reason = arg["locked_reason"]
        if not isinstance(reason, str):
            raise ValidationError("Invalid input for field/attribute locked_reason.")
        return reason
    if arg not in (None, {}):
        raise ValidationError("Invalid input for field/attribute lock.")
    return None


def unlock_body(arg: object, version: Version) -> None:
    if arg not in (None, {}):
        raise ValidationError("Invalid input for field/attribute unlock.")


def reset_state(arg: object, version: Version) -> str:
    """os-resetState: {"state": "active" | "error"} (the service checks the value)."""
    if not isinstance(arg, dict) or set(arg) != {"state"} or not isinstance(arg["state"], str):
        raise ValidationError("Invalid input for field/attribute os-resetState: "
                              "{'state': 'active' | 'error'} is expected.")
    state: str = arg["state"]
    return state


def crash_dump_body(arg: object, version: Version) -> None:
    if arg is not None:
        raise ValidationError("Invalid input for field/attribute trigger_crash_dump.")


def reboot_type(arg: object, version: Version) -> str | None:
    """SOFT or HARD, in any case; the service refuses anything else."""
    kind = arg.get("type") if isinstance(arg, dict) else None
    return kind.upper() if isinstance(kind, str) else None


class RebuildRequest(NamedTuple):
    image_ref: str
    name: str | None
    # KEEP, None or a string (2.19)
    description: Any
    changes: RebuildChanges


def parse_rebuild_action(arg: object, version: Version) -> RebuildRequest:
    if not isinstance(arg, dict) or not isinstance(arg.get("imageRef"), str):
        raise ValidationError("Invalid input for field/attribute imageRef.")
    name: str | None = arg.get("name")
    description = description_field(arg, version)
    return RebuildRequest(arg["imageRef"].rsplit("/", 1)[-1], name, description,
                          parse_rebuild(arg, version))


class SnapshotRequest(NamedTuple):
    name: str | None
    # Properties of the new image (they override what the snapshot would inherit).
    metadata: dict[str, str]


def parse_create_image(arg: object, version: Version) -> SnapshotRequest:
    """createImage: the new image's name and `metadata`."""
    if not isinstance(arg, dict):
        raise ValidationError("Invalid input for field/attribute createImage.")
    name: str | None = arg.get("name")
    return SnapshotRequest(name, image_metadata(arg.get("metadata")))
