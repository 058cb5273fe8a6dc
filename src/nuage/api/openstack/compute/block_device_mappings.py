"""A create's block devices, as Nova's schemas and BlockDeviceDict.from_api check them:
`block_device_mapping_v2` (source and destination types, boot_index, volume_size, uuid,
delete_on_termination, `tag` at 2.32 and from 2.42, `volume_type` from 2.67) and the
legacy `block_device_mapping` (volume_id or snapshot_id, device_name). An image on the
local disk is the server's image (its imageRef); every mapping whose destination is a
volume becomes a `VolumeRequest` for the volume service. Shape errors are 400 in Nova's
words ("Block Device Mapping is Invalid: ...")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from nuage.api.openstack.compute.server_views import Version
from nuage.domain.errors import ValidationError
from nuage.ports.compute_volumes import VolumeRequest

SOURCES = frozenset({"blank", "volume", "image", "snapshot"})
DESTINATIONS = frozenset({"local", "volume"})
V2_KEYS = frozenset({"virtual_name", "volume_id", "snapshot_id", "source_type", "uuid",
                     "image_id", "destination_type", "guest_format", "device_type",
                     "disk_bus", "boot_index", "device_name", "delete_on_termination",
                     "no_device", "connection_info", "volume_size"})
LEGACY_KEYS = frozenset({"virtual_name", "volume_id", "snapshot_id", "device_name",
                         "volume_size", "delete_on_termination", "no_device",
                         "connection_info"})
TRUE_WORDS = frozenset({"1", "t", "true", "on", "y", "yes"})
FALSE_WORDS = frozenset({"0", "f", "false", "off", "n", "no"})


@dataclass(frozen=True)
class BlockDevices:
    # The image a mapping puts on the local disk (the server's image), if one does.
    local_image: str | None
    volumes: tuple[VolumeRequest, ...]


def invalid(problem: str) -> ValidationError:
    return ValidationError(f"Block Device Mapping is Invalid: {problem}")


def _schema(field: str, value: object, problem: str) -> ValidationError:
    return ValidationError(f"Invalid input for field/attribute {field}. Value: {value!r}. "
                           f"{problem}")


def _int(bdm: dict[str, Any], key: str) -> int | None:
    raw = bdm.get(key)
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise _schema(key, raw, "is not of type 'integer'")
    return raw


def _bool(bdm: dict[str, Any], key: str) -> bool:
    raw = bdm.get(key, False)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.lower() in TRUE_WORDS
    raise _schema(key, raw, "is not of type 'boolean'")


def _uuid(bdm: dict[str, Any], key: str = "uuid") -> str | None:
    raw = bdm.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _schema(key, raw, "is not of type 'string'")
    try:
        uuid.UUID(raw)
    except ValueError as exc:
        raise _schema(key, raw, "is not a 'uuid'") from exc
    return raw


def _string(bdm: dict[str, Any], key: str, max_len: int = 255) -> str | None:
    raw = bdm.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw or len(raw) > max_len:
        raise _schema(key, raw, "is not a valid string")
    return raw


def tags_allowed(version: Version) -> bool:
    # Device tags on mappings: 2.32, lost in 2.33 to 2.41, back in 2.42.
    return version == (2, 32) or version >= (2, 42)


def parse(server: dict[str, Any], version: Version) -> BlockDevices:
    v2 = server.get("block_device_mapping_v2")
    legacy = server.get("block_device_mapping")
    if v2 is not None and legacy is not None:
        raise ValidationError("Using different block_device_mapping syntaxes is not "
                              "allowed in the same request.")
    if legacy is not None:
        return BlockDevices(None, tuple(_legacy(item) for item in _items(
            legacy, "block_device_mapping")))
    if v2 is None:
        return BlockDevices(None, ())
    local_image = None
    volumes: list[VolumeRequest] = []
    for item in _items(v2, "block_device_mapping_v2"):
        image, request = _v2(item, version)
        if image is not None:
            local_image = local_image or image
        if request is not None:
            volumes.append(request)
    boots = sorted(i for i in (r.boot_index for r in volumes) if i is not None and i >= 0)
    if local_image is not None:
        boots = sorted([0, *boots])
    if boots and boots != list(range(len(boots))):
        raise invalid("Boot sequence for the instance and image/block device mapping "
                      "combination is not valid.")
    return BlockDevices(local_image, tuple(volumes))


def _items(raw: object, field: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise _schema(field, raw, "is not of type 'array'")
    for item in raw:
        if not isinstance(item, dict):
            raise _schema(field, item, "is not of type 'object'")
    return raw


def _v2(bdm: dict[str, Any], version: Version) -> tuple[str | None, VolumeRequest | None]:
    allowed = set(V2_KEYS)
    if tags_allowed(version):
        allowed.add("tag")
    if version >= (2, 67):
        allowed.add("volume_type")
    extra = sorted(set(bdm) - allowed)
    if extra:
        raise ValidationError(f"Invalid input for field/attribute block_device_mapping_v2. "
                              f"Additional properties are not allowed ({extra[0]!r} was "
                              "unexpected)")
    source = bdm.get("source_type")
    if source not in SOURCES:
        raise _schema("source_type", source, f"is not one of {sorted(SOURCES)}")
    destination = bdm.get("destination_type") or (
        "volume" if source in ("volume", "snapshot") else "local")
    if destination not in DESTINATIONS:
        raise _schema("destination_type", destination,
                      f"is not one of {sorted(DESTINATIONS)}")
    ident = _uuid(bdm)
    if source != "blank" and ident is None:
        raise invalid("Missing device UUID.")
    size = _int(bdm, "volume_size")
    if size is not None and size < 1:
        raise _schema("volume_size", size, "is less than the minimum of 1")
    boot_index = _int(bdm, "boot_index")
    tag = _string(bdm, "tag", 60)
    if tag is not None and ("/" in tag or "," in tag):
        raise _schema("tag", tag, "does not match '^[^,/]*$'")
    volume_type = _string(bdm, "volume_type")
    delete = _bool(bdm, "delete_on_termination")
    device = _string(bdm, "device_name")
    if destination == "local":
        if source == "image":
            if boot_index not in (None, 0):
                raise invalid("Boot sequence for the instance and image/block device "
                              "mapping combination is not valid.")
            return ident, None
        if source in ("volume", "snapshot"):
            raise invalid(f"Mapping image to local is not supported; a {source} must have "
                          "destination_type 'volume'.")
        # blank -> local: an ephemeral or swap disk, which flavors here do not have.
        raise invalid("Ephemeral and swap disks are not supported by this cloud.")
    if volume_type is not None and destination != "volume":
        raise invalid("volume_type requires destination_type 'volume'.")
    if source in ("image", "blank") and not size:
        kind = "Images" if source == "image" else "Blank volumes"
        raise invalid(f"{kind} with destination_type 'volume' need to have a non-zero "
                      "size specified")
    return None, VolumeRequest(source=source, uuid=ident, volume_size=size,
                               boot_index=boot_index, device_name=device,
                               delete_on_termination=delete, tag=tag,
                               volume_type=volume_type)


def _legacy(bdm: dict[str, Any]) -> VolumeRequest:
    extra = sorted(set(bdm) - LEGACY_KEYS)
    if extra:
        raise ValidationError(f"Invalid input for field/attribute block_device_mapping. "
                              f"Additional properties are not allowed ({extra[0]!r} was "
                              "unexpected)")
    device = _string(bdm, "device_name")
    if device is None:
        raise _schema("device_name", None, "'device_name' is a required property")
    volume_id = _uuid(bdm, "volume_id")
    snapshot_id = _uuid(bdm, "snapshot_id")
    if (volume_id is None) == (snapshot_id is None):
        raise invalid("Missing device UUID.")
    size = _int(bdm, "volume_size")
    # The legacy syntax boots from the volume mapped to the root device.
    root = device.removeprefix("/dev/") in ("vda", "sda", "xvda", "hda")
    return VolumeRequest(source="volume" if volume_id else "snapshot",
                         uuid=volume_id or snapshot_id, volume_size=size,
                         boot_index=0 if root else None, device_name=device,
                         delete_on_termination=_bool(bdm, "delete_on_termination"))
