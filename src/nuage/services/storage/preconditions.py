"""Conditional requests (RFC 7232 as S3 applies it) for reads, writes and copy sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nuage.domain.storage import ObjectVersion
from nuage.domain.storage_errors import Fault, StorageError, StorageReason


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None


def _matches(header: str, etag: str) -> bool:
    wanted = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return "*" in wanted or etag in wanted


def _failed() -> StorageError:
    return StorageError(Fault.PRECONDITION_FAILED, StorageReason.PRECONDITION_FAILED,
                        extra={"Condition": "If-Match"})


def check_read(c: Preconditions, version: ObjectVersion, *, copy_source: bool = False) -> None:
    """If-Match/If-Unmodified-Since fail with 412; If-None-Match/If-Modified-Since give 304
    (412 for a copy source). A true etag condition makes S3 skip the date beside it."""
    modified = version.created_at.replace(microsecond=0)
    if c.if_match is not None and not _matches(c.if_match, version.etag):
        raise _failed()
    if c.if_match is None and c.if_unmodified_since is not None and (
            modified > c.if_unmodified_since):
        raise _failed()
    not_modified = (c.if_none_match is not None and _matches(c.if_none_match, version.etag)) or (
        c.if_none_match is None and c.if_modified_since is not None
        and modified <= c.if_modified_since)
    if not_modified:
        if copy_source:
            raise _failed()
        raise StorageError(Fault.NOT_MODIFIED, StorageReason.NOT_MODIFIED)


def check_write(c: Preconditions, current: ObjectVersion | None) -> None:
    """Conditional writes: `If-None-Match: *` (create only) and `If-Match: <etag>`."""
    exists = current is not None and not current.delete_marker
    if c.if_none_match is not None:
        if c.if_none_match.strip() != "*":
            raise StorageError(Fault.NOT_IMPLEMENTED, StorageReason.HEADER_NOT_IMPLEMENTED,
                               extra={"Header": "If-None-Match"}, header="If-None-Match")
        if exists:
            raise _failed()
    if c.if_match is not None:
        if not exists or current is None:
            raise StorageError(Fault.NO_SUCH_KEY, StorageReason.OBJECT_MISSING)
        if not _matches(c.if_match, current.etag):
            raise _failed()
