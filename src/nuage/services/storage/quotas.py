"""Per-project storage quotas: buckets, objects and bytes (-1: unlimited)."""

from __future__ import annotations

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.storage import StorageQuota
from nuage.domain.storage_errors import StorageReason
from nuage.ports.storage import Usage
from nuage.services.storage.base import StorageUseCases


class StorageQuotaService(StorageUseCases):
    def get(self, ctx: RequestContext, project_id: str) -> tuple[StorageQuota, Usage]:
        """The project's limits (its own row, else the cloud's defaults) and its usage."""
        policy.enforce(ctx, "storage:quota:read", policy.Target(project_id=project_id))
        with self.p.uow() as uow:
            row = uow.quotas.get(project_id)
            if row is None and uow.projects.get(project_id) is None:
                # Not the defaults of a project that does not exist (a mistyped id).
                raise NotFound("project", project_id)
            usage = uow.objects.usage(project_id)
        cfg = self.p.config
        quota = row or StorageQuota(project_id, cfg.max_buckets, cfg.max_objects, cfg.max_bytes)
        return quota, usage

    def set(self, ctx: RequestContext, project_id: str, max_buckets: int | None = None,
            max_objects: int | None = None, max_bytes: int | None = None) -> StorageQuota:
        policy.enforce(ctx, "storage:quota:update", policy.Target(project_id=project_id))
        for value in (max_buckets, max_objects, max_bytes):
            if value is not None and value < -1:
                raise ValidationError(StorageReason.QUOTA_VALUE_INVALID, value=value, minimum=-1)
        with self.p.uow(write=True) as uow:
            if uow.projects.get(project_id) is None:
                raise NotFound("project", project_id)
            row = uow.quotas.get(project_id)
            if row is None:
                cfg = self.p.config
                row = StorageQuota(project_id, cfg.max_buckets, cfg.max_objects, cfg.max_bytes)
                uow.quotas.add(row)
            if max_buckets is not None:
                row.max_buckets = max_buckets
            if max_objects is not None:
                row.max_objects = max_objects
            if max_bytes is not None:
                row.max_bytes = max_bytes
            self.p.auditor.record(uow, ctx, "storage.quota.update", "project", project_id,
                                  project_id=project_id,
                                  detail={"max_buckets": row.max_buckets,
                                          "max_objects": row.max_objects,
                                          "max_bytes": row.max_bytes})
            uow.commit()
            return row
