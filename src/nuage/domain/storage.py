"""Object storage: buckets, object versions, multipart uploads. Pure rules, no I/O."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
MAX_SINGLE_PUT = 5 * 1024**3
NULL_VERSION = "null"

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def valid_bucket_name(name: str) -> bool:
    """S3's rules for new buckets (general purpose, no legacy names)."""
    return bool(
        _BUCKET_RE.match(name) and ".." not in name and ".-" not in name and "-." not in name
        and not _IP_RE.match(name) and not name.startswith(("xn--", "sthree-"))
        and not name.endswith(("-s3alias", "--ol-s3"))
    )


def valid_key(key: str) -> bool:
    return 0 < len(key.encode("utf-8")) <= MAX_KEY_BYTES


def new_version_id() -> str:
    return uuid.uuid4().hex


def valid_version_id(version_id: str) -> bool:
    """The forms nuage ever hands out: "null" or 32 hex digits (S3 refuses others: 400)."""
    return version_id == NULL_VERSION or (
        len(version_id) == 32 and all(c in "0123456789abcdef" for c in version_id))


class Versioning(StrEnum):
    UNVERSIONED = ""
    ENABLED = "Enabled"
    SUSPENDED = "Suspended"


class RetentionMode(StrEnum):
    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


@dataclass
class Bucket:
    name: str
    project_id: str
    owner_user_id: str
    created_at: datetime
    region: str
    versioning: str = Versioning.UNVERSIONED.value
    object_lock: bool = False
    acl: str = "private"
    policy: dict[str, Any] | None = None
    cors: list[dict[str, Any]] | None = None
    lifecycle: list[dict[str, Any]] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # {"mode": "GOVERNANCE"|"COMPLIANCE", "days": n} or {"mode", "years": n}
    default_retention: dict[str, Any] | None = None


@dataclass
class Segment:
    blob_id: str
    size: int


@dataclass
class ObjectVersion:
    """One version of one key. Unversioned buckets keep one version, id "null"."""

    id: str
    bucket: str
    key: str
    version_id: str
    is_latest: bool
    created_at: datetime
    delete_marker: bool = False
    size: int = 0
    etag: str = ""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    # The bytes: one segment for a simple upload, one per part after multipart.
    segments: list[dict[str, Any]] = field(default_factory=list)
    # The object's data key, wrapped by the project's key or, with SSE-C, the customer's.
    wrapped_key: str = ""
    sse_c_key_md5: str | None = None
    parts_count: int | None = None
    part_sizes: list[int] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    retention_mode: str | None = None
    retain_until: datetime | None = None
    legal_hold: bool = False
    owner_user_id: str | None = None

    def blob_ids(self) -> list[str]:
        return [str(s["blob_id"]) for s in self.segments]


@dataclass
class MultipartUpload:
    upload_id: str
    bucket: str
    key: str
    project_id: str
    initiated_at: datetime
    wrapped_key: str
    owner_user_id: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    sse_c_key_md5: str | None = None
    checksum_algorithm: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    retention_mode: str | None = None
    retain_until: datetime | None = None
    legal_hold: bool = False


@dataclass
class Part:
    upload_id: str
    part_number: int
    blob_id: str
    size: int
    etag: str
    created_at: datetime
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass
class StorageQuota:
    project_id: str
    max_buckets: int = -1
    max_objects: int = -1
    max_bytes: int = -1


@dataclass
class MeteringEvent:
    """Usage the billing side adds up: written in the same transaction as the change."""

    id: str
    at: datetime
    project_id: str
    metric: str          # storage.bytes.delta, storage.objects.delta, storage.requests, ...
    value: int
    resource: str | None = None
    seq: int | None = None


def multipart_etag(part_md5_hexes: list[str]) -> str:
    digest = hashlib.md5(b"".join(bytes.fromhex(h) for h in part_md5_hexes)).hexdigest()
    return f"{digest}-{len(part_md5_hexes)}"


def locked(version: ObjectVersion, now: datetime, bypass_governance: bool) -> str | None:
    """Why this version cannot be deleted or overwritten now, or None."""
    if version.legal_hold:
        return "legal hold"
    if version.retain_until is not None and version.retain_until > now:
        if version.retention_mode == RetentionMode.COMPLIANCE.value:
            return "compliance retention"
        if not bypass_governance:
            return "governance retention"
    return None


@dataclass
class GarbageBlob:
    """A blob no metadata points at any more, queued for deletion after commit."""

    blob_id: str
    queued_at: datetime
