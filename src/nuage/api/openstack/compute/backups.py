"""The createBackup action's body (Nova's `create_backup` schema, below 2.45: answered with
202 and a Location, no body)."""

from __future__ import annotations

from typing import Any

from nuage.domain import image
from nuage.domain.errors import ValidationError
from nuage.services.compute.server_actions import Backup

KEYS = {"name", "backup_type", "rotation", "metadata"}


def _invalid(field: str, value: Any, why: str) -> ValidationError:
    return ValidationError(f"Invalid input for field/attribute {field}. Value: {value!r}. "
                           f"{why}")


def parse_backup(arg: Any) -> tuple[str, Backup]:
    """(the image name, what to back up); 400 as Nova's schema refuses."""
    if not isinstance(arg, dict):
        raise _invalid("createBackup", arg, "It is not of type 'object'")
    for key in ("name", "backup_type", "rotation"):
        if key not in arg:
            raise _invalid("createBackup", arg, f"'{key}' is a required property")
    unknown = sorted(set(arg) - KEYS)
    if unknown:
        raise _invalid("createBackup", arg, f"Additional properties are not allowed "
                                            f"({', '.join(repr(k) for k in unknown)} "
                                            f"{'was' if len(unknown) == 1 else 'were'} "
                                            f"unexpected)")
    name = arg["name"]
    if (not isinstance(name, str) or not name or len(name) > 255
            or name != name.strip()):
        raise _invalid("name", name, "It is not a valid name.")
    backup_type = arg["backup_type"]
    if not isinstance(backup_type, str):
        raise _invalid("backup_type", backup_type, "It is not of type 'string'")
    rotation = arg["rotation"]
    if isinstance(rotation, str) and rotation.isdigit():
        rotation = int(rotation)
    if isinstance(rotation, bool) or not isinstance(rotation, int) or rotation < 0:
        raise _invalid("rotation", rotation, "It is not a non-negative integer.")
    return name, Backup(backup_type, rotation, image_metadata(arg.get("metadata")))


def image_metadata(metadata: Any) -> dict[str, str]:
    """createBackup's and createImage's `metadata`: image properties, strings of at most
    255 characters (Nova's parameter_types.metadata), never an image's own field."""
    metadata = metadata or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and 0 < len(k) <= 255 and isinstance(v, str) and len(v) <= 255
            for k, v in metadata.items()):
        raise _invalid("metadata", metadata, "It is not a map of strings of at most 255 "
                                             "characters.")
    # The metadata become image properties: never an image's own field (its visibility,
    # owner, id, ...), which the snapshot's owner does not choose this way.
    taken = sorted(k for k in metadata
                   if k in image.CORE or k in image.RESERVED
                   or k.startswith(image.RESERVED_PREFIX))
    if taken:
        raise _invalid("metadata", metadata, f"{', '.join(taken)}: reserved by the image.")
    return dict(metadata)
