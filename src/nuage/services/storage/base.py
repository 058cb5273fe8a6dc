"""What the object storage use cases share: ports, settings, access checks, accounting."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from nuage.domain import bucket_policy
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.storage import Bucket, GarbageBlob, MeteringEvent, ObjectVersion
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.ports.blobs import BlobStore, KeyStore
from nuage.ports.clock import Clock
from nuage.ports.repositories import UnitOfWork, UnitOfWorkFactory
from nuage.services.audit import Auditor


@dataclass(frozen=True)
class StorageConfig:
    region: str = "RegionOne"
    # Defaults for projects without their own quota row; -1 is unlimited.
    max_buckets: int = 100
    max_objects: int = -1
    max_bytes: int = -1
    # Length of a lifecycle "day" in seconds. Shortened only by tests, as Ceph's
    # rgw_lc_debug_interval does, so that expiration can be observed.
    day_seconds: int = 86400


@dataclass(frozen=True)
class StoragePorts:
    uow: UnitOfWorkFactory
    blobs: BlobStore
    keys: KeyStore
    clock: Clock
    auditor: Auditor
    config: StorageConfig


PUBLIC_ACLS = ("public-read", "public-read-write")
# What a public-read ACL grants anyone: READ on a bucket is listing it, READ on an object is
# reading its data (not its ACL, tags or retention).
PUBLIC_BUCKET_READS = ("s3:ListBucket",)
PUBLIC_OBJECT_READS = ("s3:GetObject", "s3:GetObjectVersion")


def denied() -> StorageError:
    return StorageError(Fault.ACCESS_DENIED, StorageReason.ACCESS_DENIED)


def no_such_bucket(name: str) -> StorageError:
    return StorageError(Fault.NO_SUCH_BUCKET, StorageReason.BUCKET_MISSING, resource=name,
                        extra={"BucketName": name}, bucket=name)


class StorageUseCases:
    def __init__(self, ports: StoragePorts) -> None:
        self.p = ports

    def bucket(self, uow: UnitOfWork, name: str) -> Bucket:
        found = uow.buckets.get(name)
        if found is None:
            raise no_such_bucket(name)
        return found

    def may(self, ctx: RequestContext, bucket: Bucket, action: str, key: str | None = None,
            obj: ObjectVersion | None = None) -> bool:
        """Whether `ctx` may do `action` on the bucket (key None) or on one of its objects.

        Canned ACLs grant as in S3: a bucket's ACL grants listing the bucket, never reading
        its objects; an object's reads are granted by the object's own ACL (private unless
        set on it, so `obj` must be the version to be read) or by roles and the policy.
        """
        if key is None:
            public_read = bucket.acl in PUBLIC_ACLS and action in PUBLIC_BUCKET_READS
        else:
            acl = obj.headers.get("x-amz-acl") if obj is not None else None
            public_read = acl in PUBLIC_ACLS and action in PUBLIC_OBJECT_READS
        req = bucket_policy.AccessRequest(
            action=action, resource=bucket_policy.bucket_arn(bucket.name, key),
            source_ip=ctx.source_ip, secure_transport=ctx.secure_transport)
        return bucket_policy.decide(ctx, bucket.project_id, bucket.policy, public_read, req)

    def may_bypass(self, ctx: RequestContext, bucket: Bucket, key: str, asked: bool) -> bool:
        """Whether a request's `x-amz-bypass-governance-retention: true` takes effect.

        Asked by someone without the permission, the header is not refused up front: clients
        send it routinely. It just has no effect, so only a version that is under GOVERNANCE
        retention is refused (by the lock check), version by version.
        """
        return asked and self.may(ctx, bucket, "s3:BypassGovernanceRetention", key)

    def authorize(self, uow: UnitOfWork, ctx: RequestContext, bucket: Bucket, action: str,
                  key: str | None = None, obj: ObjectVersion | None = None,
                  writable: bool = False) -> None:
        """AccessDenied unless `ctx` may; every refusal is recorded (see `record_denial`).
        `writable`: `uow` is a write unit of work, the refusal is recorded in it."""
        if self.may(ctx, bucket, action, key, obj):
            return
        self.record_denial(uow if writable else None, ctx, bucket, action, key)
        raise denied()

    def record_denial(self, uow: UnitOfWork | None, ctx: RequestContext, bucket: Bucket,
                      action: str, key: str | None, commit: bool = True,
                      detail: dict[str, Any] | None = None) -> None:
        """Every refused operation on an existing bucket, read or write, by a tenant or
        anonymous, leaves a `denied` audit event in the bucket owner's project: committed in
        the caller's write unit of work, or in one of its own when the caller only reads
        (SQLite's WAL lets a writer in beside an open reader). `commit=False`: the caller
        goes on and commits its transaction, denial included (DeleteObjects)."""
        def append(into: UnitOfWork) -> None:
            self.p.auditor.record(into, ctx, f"storage.{action.removeprefix('s3:')}",
                                  "object" if key is not None else "bucket",
                                  _target(bucket.name, key), project_id=bucket.project_id,
                                  outcome=Outcome.DENIED, detail=detail)

        if uow is not None:
            append(uow)
            if commit:
                uow.commit()
            return
        with self.p.uow(write=True) as own:
            append(own)
            own.commit()

    def record(self, uow: UnitOfWork, ctx: RequestContext, action: str, bucket: Bucket,
               key: str | None = None, detail: dict[str, Any] | None = None) -> None:
        self.p.auditor.record(uow, ctx, action, "object" if key is not None else "bucket",
                              _target(bucket.name, key), project_id=bucket.project_id,
                              detail=detail)

    def meter(self, uow: UnitOfWork, project_id: str, metric: str, value: int,
              resource: str | None = None) -> None:
        if value == 0:
            return
        uow.metering.append(MeteringEvent(id=uuid.uuid4().hex, at=self.p.clock.now(),
                                          project_id=project_id, metric=metric, value=value,
                                          resource=resource))

    def discard(self, uow: UnitOfWork, version: ObjectVersion) -> None:
        """Queue a version's blobs for deletion once this transaction commits."""
        now = self.p.clock.now()
        for blob_id in version.blob_ids():
            if uow.garbage.get(blob_id) is None:
                uow.garbage.add(GarbageBlob(blob_id, now))

    def collect_garbage(self) -> int:
        """Delete queued blobs. Runs after commits and at start; crash-safe: the queue row
        goes only after the file is gone."""
        removed = 0
        with self.p.uow(write=True) as uow:
            queued = uow.garbage.find()
            for item in queued:
                self.p.blobs.delete(item.blob_id)
                uow.garbage.delete(item)
                removed += 1
            uow.commit()
        return removed


def _target(bucket: str, key: str | None) -> str:
    return bucket if key is None else f"{bucket}/{key}"
