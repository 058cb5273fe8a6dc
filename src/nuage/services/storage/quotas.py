"""Per-project storage quotas: buckets, objects and bytes (-1: unlimited)."""

from __future__ import annotations

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Forbidden, NotFound, ValidationError
from nuage.domain.storage import StorageQuota
from nuage.ports.storage import Usage
from nuage.services.storage.base import StorageUseCases


class StorageQuotaService(StorageUseCases):
    def get(self, ctx: RequestContext, project_id: str) -> tuple[StorageQuota, Usage]:
        """The project's limits (its own row, else the cloud's defaults) and its usage."""
        if not (policy.is_cloud_reader(ctx) or ctx.project_id == project_id):
            raise Forbidden("Only the project or a cloud reader may see its storage quota.")
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
        if not policy.is_cloud_admin(ctx):
            raise Forbidden("Only a cloud administrator may change storage quotas.")
        for value in (max_buckets, max_objects, max_bytes):
            if value is not None and value < -1:
                raise ValidationError("A quota is a number of at least -1 (unlimited).")
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
