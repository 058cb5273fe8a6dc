"""Objects: put, get, head, delete, copy; tags, retention and legal hold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nuage.domain.context import RequestContext
from nuage.domain.storage import (
    MAX_METADATA_BYTES,
    MAX_SINGLE_PUT,
    NULL_VERSION,
    Bucket,
    GarbageBlob,
    ObjectVersion,
    Versioning,
    locked,
    new_version_id,
    valid_key,
    valid_version_id,
)
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.ports.blobs import BlobStore
from nuage.ports.repositories import UnitOfWork
from nuage.services.storage.base import StorageUseCases
from nuage.services.storage.buckets import check_tags
from nuage.services.storage.incoming import (
    Incoming,
    Integrity,
    Received,
    SseC,
    check_sse_c,
    new_data_key,
    open_data_key,
)
from nuage.services.storage.preconditions import Preconditions, check_read, check_write


@dataclass(frozen=True)
class Retention:
    mode: str
    until: datetime


@dataclass(frozen=True)
class NewObject:
    """Everything a PUT (or the destination of a copy) says about the object to store."""

    bucket: str
    key: str
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)   # standard + x-amz-acl
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    retention: Retention | None = None
    legal_hold: bool = False
    sse_c: SseC | None = None
    conditions: Preconditions = field(default_factory=Preconditions)


@dataclass
class PutSession:
    """An upload in flight: the adapter feeds `incoming` with the body, then finishes."""

    new: NewObject
    project_id: str
    wrapped_key: str
    incoming: Incoming


@dataclass(frozen=True)
class ObjectRead:
    version: ObjectVersion
    start: int
    end: int            # inclusive; end < start for an empty body
    partial: bool
    chunks: Iterator[bytes]


def check_new_object(new: NewObject) -> None:
    if not valid_key(new.key):
        if not new.key:
            raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.KEY_EMPTY)
        raise StorageError(Fault.KEY_TOO_LONG, StorageReason.KEY_TOO_LONG)
    size = sum(len(k) + len(v) for k, v in new.metadata.items())
    if size > MAX_METADATA_BYTES:
        raise StorageError(Fault.METADATA_TOO_LARGE, StorageReason.METADATA_TOO_LARGE,
                           size=size, limit=MAX_METADATA_BYTES)
    check_tags(new.tags, 10)
    check_sse_c(new.sse_c)


def segments_reader(blobs: BlobStore, version: ObjectVersion, key: bytes, start: int,
                    end: int) -> Iterator[bytes]:
    """Plaintext of [start, end] across the version's segments, decrypting only those."""
    offset = 0
    for seg in version.segments:
        size = int(seg["size"])
        seg_start, seg_end = offset, offset + size - 1
        offset += size
        if seg_end < start or seg_start > end:
            continue
        lo = max(start, seg_start) - seg_start
        hi = min(end, seg_end) - seg_start
        yield from blobs.read(str(seg["blob_id"]), key, lo, hi - lo + 1)


class ObjectService(StorageUseCases):
    # -- writing ---------------------------------------------------------------------------
    def begin_put(self, ctx: RequestContext, new: NewObject, integrity: Integrity,
                  limit: int = MAX_SINGLE_PUT) -> PutSession:
        check_new_object(new)
        if integrity.content_length is not None and integrity.content_length > limit:
            raise StorageError(Fault.ENTITY_TOO_LARGE, StorageReason.OBJECT_TOO_LARGE,
                               limit=limit)
        with self.p.uow() as uow:
            bucket = self.bucket(uow, new.bucket)
            self.authorize(uow, ctx, bucket, "s3:PutObject", new.key)
            if (new.retention or new.legal_hold) and not bucket.object_lock:
                raise StorageError(Fault.INVALID_REQUEST, StorageReason.LOCK_NOT_CONFIGURED,
                                   bucket=bucket.name)
            current = uow.objects.latest(bucket.name, new.key)
            check_write(new.conditions, current)
            if integrity.content_length is not None:
                self._check_quota(uow, bucket.project_id, integrity.content_length, 1)
        data_key, wrapped = new_data_key(self.p.keys, bucket.project_id, new.sse_c)
        incoming = Incoming(self.p.blobs, data_key, integrity, limit)
        return PutSession(new, bucket.project_id, wrapped, incoming)

    def finish_put(self, ctx: RequestContext, session: PutSession,
                   trailers: dict[str, str] | None = None) -> ObjectVersion:
        received = session.incoming.finish(trailers)
        try:
            return self._store(ctx, session.new, session.wrapped_key, received,
                               [{"blob_id": received.blob.blob_id, "size": received.blob.size}],
                               etag=received.md5_hex, size=received.blob.size)
        except BaseException:
            # The blob was durable but no metadata points at it: remove it now (a crash
            # here instead leaves an orphan that the start-up scan removes).
            self.p.blobs.delete(received.blob.blob_id)
            raise

    def abort_put(self, session: PutSession) -> None:
        session.incoming.abort()

    def _check_quota(self, uow: UnitOfWork, project_id: str, add_bytes: int,
                     add_objects: int) -> None:
        row = uow.quotas.get(project_id)
        max_bytes = row.max_bytes if row else self.p.config.max_bytes
        max_objects = row.max_objects if row else self.p.config.max_objects
        if max_bytes < 0 and max_objects < 0:
            return
        usage = uow.objects.usage(project_id)
        if max_bytes >= 0 and usage.bytes + add_bytes > max_bytes:
            raise StorageError(Fault.QUOTA_EXCEEDED, StorageReason.OBJECT_QUOTA_EXCEEDED,
                               measure="bytes")
        if max_objects >= 0 and usage.objects + add_objects > max_objects:
            raise StorageError(Fault.QUOTA_EXCEEDED, StorageReason.OBJECT_QUOTA_EXCEEDED,
                               measure="objects")

    def _retention_for(self, bucket: Bucket, new: NewObject) -> tuple[str | None,
                                                                     datetime | None]:
        if new.retention is not None:
            return new.retention.mode, new.retention.until
        default = bucket.default_retention
        if bucket.object_lock and default:
            days = int(default.get("days") or 0) + 365 * int(default.get("years") or 0)
            return str(default["mode"]), self.p.clock.now() + timedelta(days=days)
        return None, None

    def _store(self, ctx: RequestContext, new: NewObject, wrapped_key: str,
               received: Received | None, segments: list[dict[str, object]], *, etag: str,
               size: int, parts: list[int] | None = None,
               checksums: dict[str, str] | None = None, upload_id: str | None = None,
               garbage: list[str] | None = None) -> ObjectVersion:
        """Record a new current version of a key whose bytes are already durable."""
        now = self.p.clock.now()
        with self.p.uow(write=True) as uow:
            bucket = self.bucket(uow, new.bucket)
            self.authorize(uow, ctx, bucket, "s3:PutObject", new.key, writable=True)
            # Before any read the quota check (and the replaced version) depends on: writers
            # of one project commit one at a time, each seeing the others' objects.
            uow.objects.lock_usage(bucket.project_id)
            current = uow.objects.latest(bucket.name, new.key)
            check_write(new.conditions, current)
            if upload_id is not None:
                upload = uow.uploads.get(upload_id)
                if upload is None:
                    raise StorageError(Fault.NO_SUCH_UPLOAD, StorageReason.UPLOAD_GONE,
                                       extra={"UploadId": upload_id}, upload_id=upload_id)
                uow.parts.delete_where(upload_id=upload_id)
                uow.uploads.delete(upload)
            for blob_id in garbage or []:
                if uow.garbage.get(blob_id) is None:
                    uow.garbage.add(GarbageBlob(blob_id, now))
            versioned = bucket.versioning == Versioning.ENABLED.value
            freed_bytes, freed_objects = self._replace_null(uow, ctx, bucket, new.key,
                                                            versioned, now)
            self._check_quota(uow, bucket.project_id, size - freed_bytes, 1 - freed_objects)
            if current is not None and current.is_latest:
                current.is_latest = False
            mode, until = self._retention_for(bucket, new)
            version = ObjectVersion(
                id=new_version_id(), bucket=bucket.name, key=new.key,
                version_id=new_version_id() if versioned else NULL_VERSION, is_latest=True,
                created_at=now, size=size, etag=etag, content_type=new.content_type,
                headers=dict(new.headers), metadata=dict(new.metadata),
                checksums=dict(checksums if checksums is not None
                               else (received.checksums if received else {})),
                segments=segments, wrapped_key=wrapped_key,
                sse_c_key_md5=new.sse_c.key_md5 if new.sse_c else None,
                parts_count=len(parts) if parts else None, part_sizes=parts or [],
                tags=dict(new.tags), retention_mode=mode, retain_until=until,
                legal_hold=new.legal_hold, owner_user_id=ctx.user_id)
            uow.object_versions.add(version)
            self.meter(uow, bucket.project_id, "storage.bytes.delta", size - freed_bytes,
                       bucket.name)
            self.meter(uow, bucket.project_id, "storage.objects.delta", 1 - freed_objects,
                       bucket.name)
            self.record(uow, ctx, "storage.object.put", bucket, new.key,
                        detail={"version_id": version.version_id, "size": size})
            uow.commit()
            return version

    def _replace_null(self, uow: UnitOfWork, ctx: RequestContext, bucket: Bucket, key: str,
                      versioned: bool, now: datetime) -> tuple[int, int]:
        """Unversioned and suspended buckets keep one "null" version: a write replaces it."""
        if versioned:
            return 0, 0
        old = uow.objects.version(bucket.name, key, NULL_VERSION)
        if old is None:
            return 0, 0
        why = locked(old, now, bypass_governance=False)
        if why:
            raise StorageError(Fault.ACCESS_DENIED, StorageReason.OBJECT_LOCKED, why=why)
        self.discard(uow, old)
        uow.object_versions.delete(old)
        return (0 if old.delete_marker else old.size), (0 if old.delete_marker else 1)

    # -- reading ---------------------------------------------------------------------------
    def find_readable(self, uow: UnitOfWork, ctx: RequestContext, bucket: Bucket, key: str,
                      version_id: str | None) -> ObjectVersion:
        """The version to read, if `ctx` may read it: every read of object data (GET, HEAD,
        ranged, versioned, copy sources, presigned) goes through here. The version's own ACL
        decides, never the bucket's; whoever may not read learns nothing of what is there
        (AccessDenied, not NoSuchKey)."""
        action = "s3:GetObjectVersion" if version_id else "s3:GetObject"
        try:
            version = self.find(uow, bucket, key, version_id)
        except StorageError:
            self.authorize(uow, ctx, bucket, action, key)
            raise
        self.authorize(uow, ctx, bucket, action, key, version)
        return version

    def find(self, uow: UnitOfWork, bucket: Bucket, key: str, version_id: str | None
             ) -> ObjectVersion:
        if version_id is not None:
            if not valid_version_id(version_id):
                raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.VERSION_ID_INVALID,
                                   extra={"ArgumentName": "versionId",
                                          "ArgumentValue": version_id})
            version = uow.objects.version(bucket.name, key, version_id)
            if version is None:
                raise StorageError(Fault.NO_SUCH_VERSION, StorageReason.VERSION_MISSING,
                                   extra={"Key": key, "VersionId": version_id})
            if version.delete_marker:
                raise StorageError(Fault.METHOD_NOT_ALLOWED,
                                   StorageReason.VERSION_IS_DELETE_MARKER,
                                   extra={"x-amz-delete-marker": "true",
                                          "x-amz-version-id": version.version_id})
            return version
        version = uow.objects.latest(bucket.name, key)
        if version is None or version.delete_marker:
            extra = {"Key": key}
            if version is not None:
                extra.update({"x-amz-delete-marker": "true",
                              "x-amz-version-id": version.version_id})
            raise StorageError(Fault.NO_SUCH_KEY, StorageReason.OBJECT_MISSING, extra=extra)
        return version

    def head(self, ctx: RequestContext, bucket_name: str, key: str, version_id: str | None,
             conditions: Preconditions, sse_c: SseC | None = None) -> ObjectVersion:
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            version = self.find_readable(uow, ctx, bucket, key, version_id)
        check_read(conditions, version)
        open_data_key(self.p.keys, bucket.project_id, version.wrapped_key,
                      version.sse_c_key_md5, sse_c)
        return version

    def get(self, ctx: RequestContext, bucket_name: str, key: str, version_id: str | None,
            conditions: Preconditions, byte_range: tuple[int | None, int | None] | None,
            part_number: int | None = None, sse_c: SseC | None = None) -> ObjectRead:
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            version = self.find_readable(uow, ctx, bucket, key, version_id)
        check_read(conditions, version)
        data_key = open_data_key(self.p.keys, bucket.project_id, version.wrapped_key,
                                 version.sse_c_key_md5, sse_c)
        start, end, partial = resolve_range(version, byte_range, part_number)
        chunks = (segments_reader(self.p.blobs, version, data_key, start, end)
                  if end >= start else iter(()))
        return ObjectRead(version, start, end, partial, chunks)


def resolve_range(version: ObjectVersion, byte_range: tuple[int | None, int | None] | None,
                  part_number: int | None) -> tuple[int, int, bool]:
    size = version.size
    if part_number is not None:
        sizes = version.part_sizes or [size]
        if part_number < 1 or part_number > len(sizes):
            raise StorageError(Fault.INVALID_PART if part_number > 0 else Fault.INVALID_ARGUMENT,
                               StorageReason.PART_NOT_SATISFIABLE, part_number=part_number)
        start = sum(sizes[: part_number - 1])
        return start, start + sizes[part_number - 1] - 1, version.parts_count is not None
    if byte_range is None:
        return 0, size - 1, False
    first, last = byte_range
    if first is None:            # suffix: the last N bytes
        if last is None or last == 0:
            raise StorageError(Fault.INVALID_RANGE, StorageReason.RANGE_NOT_SATISFIABLE,
                               extra={"RangeRequested": f"bytes=-{last}",
                                      "ActualObjectSize": str(size)})
        return max(0, size - last), size - 1, True
    if first >= size:
        raise StorageError(Fault.INVALID_RANGE, StorageReason.RANGE_NOT_SATISFIABLE,
                           extra={"ActualObjectSize": str(size)})
    end = size - 1 if last is None else min(last, size - 1)
    return first, end, True
