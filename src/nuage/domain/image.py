"""Images (Glance v2): the entity, its members, its state machine and its update rules.

Pure Python: the JSON-patch operations are applied here, so both wire dialects (and any
other adapter) share one set of rules on what may change and how.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from nuage.domain.errors import Conflict, Forbidden, NuageError, ValidationError
from nuage.domain.image_errors import ImageFault

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
MEMBER_STATUSES = ("pending", "accepted", "rejected")
MAX_TAGS = 128
MAX_PROPERTY_VALUE = 65535
RESERVED_PREFIX = "os_glance"


class ImageStatus(StrEnum):
    QUEUED = "queued"
    SAVING = "saving"
    ACTIVE = "active"
    KILLED = "killed"
    DEACTIVATED = "deactivated"


class Visibility(StrEnum):
    PUBLIC = "public"
    COMMUNITY = "community"
    SHARED = "shared"
    PRIVATE = "private"


class TooLarge(NuageError):
    """More than the cloud accepts (413): image data, tags, members."""


# Fields the server computes: never set by a client (403 as Glance does).
READ_ONLY = frozenset({
    "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
    "created_at", "updated_at", "self", "file", "schema", "direct_url", "locations",
    "stores",
})
# Names Glance keeps for itself: a property may not be called this.
RESERVED = frozenset({"deleted", "deleted_at"})
# Core fields a client may set on create or patch (owner: admins only).
WRITABLE = frozenset({"name", "visibility", "protected", "os_hidden", "disk_format",
                      "container_format", "min_ram", "min_disk", "tags", "owner"})
# Core fields that may not be removed by a patch (Glance: 403).
CORE = READ_ONLY | WRITABLE


def new_image_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Image:
    id: str
    owner: str
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    status: str = ImageStatus.QUEUED.value
    visibility: str = Visibility.SHARED.value
    protected: bool = False
    os_hidden: bool = False
    disk_format: str | None = None
    container_format: str | None = None
    min_ram: int = 0
    min_disk: int = 0
    size: int | None = None
    virtual_size: int | None = None
    checksum: str | None = None
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    tags: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    # Where the bytes are: a blob sealed with a data key wrapped under the owner's key.
    blob_id: str | None = None
    wrapped_key: str | None = None

    @property
    def has_data(self) -> bool:
        return self.blob_id is not None and self.status in (
            ImageStatus.ACTIVE, ImageStatus.DEACTIVATED)


@dataclass
class ImageMember:
    image_id: str
    member_id: str
    status: str
    created_at: datetime
    updated_at: datetime


# -- checking values ------------------------------------------------------------------------
def check_property_name(key: str) -> None:
    if key.startswith(RESERVED_PREFIX):
        raise Forbidden(ImageFault.ATTRIBUTE_RESERVED, name=key)
    if key in READ_ONLY:
        raise Forbidden(ImageFault.ATTRIBUTE_READ_ONLY, name=key)
    if key in RESERVED:
        raise Forbidden(ImageFault.ATTRIBUTE_RESERVED, name=key)
    if not key or len(key) > 255:
        raise ValidationError(ImageFault.PROPERTY_NAME_INVALID, name=key)


def _string_or_null(key: str, value: Any, choices: tuple[str, ...] | None = None,
                    max_len: int = 255) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ValidationError(ImageFault.VALUE_INVALID, name=key, value=value)
    if choices is not None and value not in choices:
        raise ValidationError(ImageFault.VALUE_NOT_A_CHOICE, name=key, value=value,
                              choices=choices)
    return value


def _non_negative(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(ImageFault.VALUE_NOT_NON_NEGATIVE, name=key, value=value)
    return value


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(ImageFault.VALUE_NOT_BOOLEAN, name=key, value=value)
    return value


def check_tag(tag: Any) -> str:
    if not isinstance(tag, str) or not tag or len(tag) > 255:
        raise ValidationError(ImageFault.TAG_INVALID, tag=tag)
    return tag


def check_tags(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValidationError(ImageFault.TAGS_NOT_A_LIST)
    tags: list[str] = []
    for tag in value:
        if check_tag(tag) not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise TooLarge(ImageFault.TAGS_TOO_MANY, limit=MAX_TAGS)
    return tags


@dataclass(frozen=True)
class Rights:
    """What a caller who may write an image may also do to it. The service reads them from
    the policy rows "image:image:publicize" and "image:image:set_owner"."""

    publicize: bool = False
    set_owner: bool = False


def set_field(image: Image, key: str, value: Any, rights: Rights) -> None:
    """Set one core field or property, checked. The caller has checked it may write."""
    check_property_name(key)
    if key == "name":
        image.name = _string_or_null(key, value)
    elif key == "visibility":
        vis = _string_or_null(key, value, tuple(v.value for v in Visibility))
        if vis is None:
            raise ValidationError(ImageFault.VALUE_NULL, name=key)
        if vis == Visibility.PUBLIC and not rights.publicize and image.visibility != vis:
            raise Forbidden(ImageFault.PUBLICIZE_DENIED)
        image.visibility = vis
    elif key in ("protected", "os_hidden"):
        setattr(image, key, _boolean(key, value))
    elif key in ("disk_format", "container_format"):
        choices = DISK_FORMATS if key == "disk_format" else CONTAINER_FORMATS
        new = _string_or_null(key, value, choices)
        if new != getattr(image, key) and image.status != ImageStatus.QUEUED:
            raise Forbidden(ImageFault.FORMAT_LOCKED, name=key)
        setattr(image, key, new)
    elif key in ("min_ram", "min_disk"):
        setattr(image, key, _non_negative(key, value))
    elif key == "tags":
        image.tags = check_tags(value)
    elif key == "owner":
        owner = _string_or_null(key, value)
        if owner != image.owner and not rights.set_owner:
            raise Forbidden(ImageFault.OWNER_CHANGE_DENIED)
        if not owner:
            raise ValidationError(ImageFault.VALUE_EMPTY, name=key)
        image.owner = owner
    else:
        if not isinstance(value, str):
            raise ValidationError(ImageFault.PROPERTY_NOT_STRING, name=key)
        if len(value) > MAX_PROPERTY_VALUE:
            raise ValidationError(ImageFault.PROPERTY_TOO_LONG, name=key)
        image.properties = {**image.properties, key: value}


# -- JSON patch ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatchOp:
    op: str       # add | remove | replace
    path: str     # the attribute name (the pointer, decoded)
    value: Any = None


def decode_path(pointer: Any) -> str:
    """A JSON pointer naming one top-level attribute ("/name" -> "name")."""
    if not isinstance(pointer, str) or not pointer.startswith("/") or pointer == "/":
        raise ValidationError(ImageFault.PATCH_POINTER_INVALID, pointer=pointer)
    parts = pointer[1:].split("/")
    if len(parts) != 1:
        raise ValidationError(ImageFault.PATCH_PATH_NESTED, pointer=pointer)
    return parts[0].replace("~1", "/").replace("~0", "~")


def apply_patch(image: Image, ops: list[PatchOp], rights: Rights) -> list[str]:
    """Apply the operations in order (all or nothing: the caller discards on error).

    Returns the attribute names changed. Glance's rules: read-only fields 403, removing a
    core field 403, replacing or removing a property that does not exist 409.
    """
    changed: list[str] = []
    for op in ops:
        key = op.path
        if op.op == "remove":
            check_property_name(key)
            if key in CORE:
                raise Forbidden(ImageFault.CORE_NOT_REMOVABLE, name=key)
            if key not in image.properties:
                raise Conflict(ImageFault.PROPERTY_MISSING, name=key)
            image.properties = {k: v for k, v in image.properties.items() if k != key}
        elif op.op == "replace" and key not in CORE and key not in image.properties:
            check_property_name(key)
            raise Conflict(ImageFault.PROPERTY_MISSING, name=key)
        elif op.op in ("add", "replace"):
            if key == "locations":
                raise Forbidden(ImageFault.LOCATIONS_MANAGED)
            set_field(image, key, op.value, rights)
        else:
            raise ValidationError(ImageFault.PATCH_OP_UNKNOWN, op=op.op)
        changed.append(key)
    return changed


# -- the state machine -----------------------------------------------------------------------
def start_upload(image: Image) -> None:
    if image.status != ImageStatus.QUEUED:
        raise Conflict(ImageFault.TRANSITION_NOT_ALLOWED, status=image.status,
                       to=ImageStatus.SAVING.value)
    if not image.disk_format or not image.container_format:
        raise ValidationError(ImageFault.FORMATS_REQUIRED)
    image.status = ImageStatus.SAVING.value


def deactivate(image: Image) -> bool:
    """True if the status changed; deactivating a deactivated image is a no-op."""
    if image.status == ImageStatus.DEACTIVATED:
        return False
    if image.status != ImageStatus.ACTIVE:
        raise ValidationError(ImageFault.STATUS_CHANGE_NOT_ALLOWED, verb="deactivate",
                              status=image.status)
    image.status = ImageStatus.DEACTIVATED.value
    return True


def reactivate(image: Image) -> bool:
    if image.status == ImageStatus.ACTIVE:
        return False
    if image.status != ImageStatus.DEACTIVATED:
        raise ValidationError(ImageFault.STATUS_CHANGE_NOT_ALLOWED, verb="reactivate",
                              status=image.status)
    image.status = ImageStatus.ACTIVE.value
    return True
