"""Deleting objects and versions: delete markers, object lock, DeleteObjects."""

from __future__ import annotations

from dataclasses import dataclass

from nuage.domain.context import RequestContext
from nuage.domain.storage import (
    NULL_VERSION,
    Bucket,
    ObjectVersion,
    Versioning,
    locked,
    new_version_id,
)
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.ports.repositories import UnitOfWork
from nuage.services.storage.base import StorageUseCases


@dataclass(frozen=True)
class Deleted:
    key: str
    version_id: str | None       # the version removed, or the delete marker created
    delete_marker: bool


class DeletionService(StorageUseCases):
    def delete(self, ctx: RequestContext, bucket_name: str, key: str, version_id: str | None,
               bypass_governance: bool = False) -> Deleted:
        with self.p.uow(write=True) as uow:
            bucket = self.bucket(uow, bucket_name)
            action = "s3:DeleteObjectVersion" if version_id else "s3:DeleteObject"
            self.authorize(uow, ctx, bucket, action, key, writable=True)
            try:
                result = self._delete(uow, ctx, bucket, key, version_id,
                                      self.may_bypass(ctx, bucket, key, bypass_governance))
            except StorageError:
                # Refused by object lock before anything changed: keep only its audit event.
                uow.commit()
                raise
            uow.commit()
        return result

    def delete_many(self, ctx: RequestContext, bucket_name: str,
                    targets: list[tuple[str, str | None]], bypass_governance: bool = False
                    ) -> list[Deleted | StorageError]:
        """DeleteObjects: each key succeeds or fails on its own, in one transaction."""
        out: list[Deleted | StorageError] = []
        with self.p.uow(write=True) as uow:
            bucket = self.bucket(uow, bucket_name)
            for key, version_id in targets:
                action = "s3:DeleteObjectVersion" if version_id else "s3:DeleteObject"
                if not self.may(ctx, bucket, action, key):
                    self.record_denial(uow, ctx, bucket, action, key, commit=False)
                    out.append(StorageError(Fault.ACCESS_DENIED, StorageReason.ACCESS_DENIED,
                                            extra={"Key": key}))
                    continue
                try:
                    out.append(self._delete(uow, ctx, bucket, key, version_id,
                                            self.may_bypass(ctx, bucket, key,
                                                            bypass_governance)))
                except StorageError as exc:
                    exc.extra.setdefault("Key", key)
                    out.append(exc)
            uow.commit()
        return out

    def _delete(self, uow: UnitOfWork, ctx: RequestContext, bucket: Bucket, key: str,
                version_id: str | None, bypass: bool) -> Deleted:
        if version_id is not None:
            version = uow.objects.version(bucket.name, key, version_id)
            if version is None:
                # Deleting a version that is not there succeeds, as in S3.
                return Deleted(key, version_id, False)
            self._check_lock(uow, ctx, bucket, version, bypass)
            self._remove(uow, ctx, bucket, version)
            return Deleted(key, version_id, version.delete_marker)
        if bucket.versioning == Versioning.ENABLED.value:
            return self._add_marker(uow, ctx, bucket, key, version_id=None)
        null = uow.objects.version(bucket.name, key, NULL_VERSION)
        if null is not None:
            self._check_lock(uow, ctx, bucket, null, bypass)
            self._remove(uow, ctx, bucket, null)
        if bucket.versioning == Versioning.SUSPENDED.value:
            return self._add_marker(uow, ctx, bucket, key, version_id=NULL_VERSION)
        return Deleted(key, None, False)

    def _check_lock(self, uow: UnitOfWork, ctx: RequestContext, bucket: Bucket,
                    version: ObjectVersion, bypass: bool) -> None:
        """AccessDenied (audited, uncommitted) if object lock protects this version."""
        why = locked(version, self.p.clock.now(), bypass_governance=bypass)
        if why:
            self.record_denial(uow, ctx, bucket, "s3:DeleteObjectVersion", version.key,
                               commit=False, detail={"version_id": version.version_id,
                                                     "reason": why})
            raise StorageError(Fault.ACCESS_DENIED, StorageReason.OBJECT_LOCKED, why=why)

    def _remove(self, uow: UnitOfWork, ctx: RequestContext, bucket: Bucket,
                version: ObjectVersion) -> None:
        was_latest = version.is_latest
        self.discard(uow, version)
        uow.object_versions.delete(version)
        if not version.delete_marker:
            self.meter(uow, bucket.project_id, "storage.bytes.delta", -version.size, bucket.name)
            self.meter(uow, bucket.project_id, "storage.objects.delta", -1, bucket.name)
        if was_latest:
            remaining = uow.objects.versions_of(bucket.name, version.key)
            if remaining:
                remaining[0].is_latest = True
        self.record(uow, ctx, "storage.object.delete", bucket, version.key,
                    detail={"version_id": version.version_id,
                            "delete_marker": version.delete_marker})

    def _add_marker(self, uow: UnitOfWork, ctx: RequestContext, bucket: Bucket, key: str,
                    version_id: str | None) -> Deleted:
        current = uow.objects.latest(bucket.name, key)
        if current is not None:
            current.is_latest = False
        marker = ObjectVersion(
            id=new_version_id(), bucket=bucket.name, key=key,
            version_id=version_id or new_version_id(), is_latest=True,
            created_at=self.p.clock.now(), delete_marker=True, owner_user_id=ctx.user_id)
        uow.object_versions.add(marker)
        self.record(uow, ctx, "storage.object.delete_marker", bucket, key,
                    detail={"version_id": marker.version_id})
        return Deleted(key, marker.version_id, True)
