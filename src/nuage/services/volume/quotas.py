"""Volume quotas (Cinder's): volumes, gigabytes, snapshots, backups, backup_gigabytes,
per_volume_gigabytes, groups, and volumes/gigabytes/snapshots per volume type
(`volumes_<type>`, ...). -1 means no limit.

Usage is counted from the rows in the transaction that adds to them, after
`uow.volume.lock_project_quota` (PostgreSQL queues the project's writers there; SQLite's
write lock already does), so a check and the change it guards commit together and no
counter drifts. Snapshots count in gigabytes, as in
Cinder's default (no_snapshot_gb_quota false).
"""

from __future__ import annotations

from collections import Counter

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.domain.policy import Target
from nuage.domain.volume import (
    PER_TYPE_RESOURCES,
    QUOTA_RESOURCES,
    VolumeQuota,
    type_quota_keys,
)
from nuage.domain.volume_errors import OverLimit, VolumeFault
from nuage.ports.repositories import UnitOfWork
from nuage.services.volume.base import VolumeUseCases

MAX_QUOTA = 2**31 - 1


def used(uow: UnitOfWork, project_id: str) -> dict[str, int]:
    """What the project holds now, per Cinder quota key (the per-type keys included)."""
    names = {t.id: t.name for t in uow.volume_types.find()}
    counts: Counter[str] = Counter({k: 0 for k in QUOTA_RESOURCES})
    for name in names.values():
        counts.update({k: 0 for k in type_quota_keys(name)})
    sizes: dict[str, tuple[int, str]] = {}
    for v in uow.volumes.find(project_id=project_id):
        kind = names.get(v.volume_type_id, "")
        sizes[v.id] = (v.size, kind)
        counts["volumes"] += 1
        counts["gigabytes"] += v.size
        counts[f"volumes_{kind}"] += 1
        counts[f"gigabytes_{kind}"] += v.size
    for s in uow.volume_snapshots.find(project_id=project_id):
        kind = sizes.get(s.volume_id, (0, ""))[1]
        counts["snapshots"] += 1
        counts["gigabytes"] += s.size
        counts[f"snapshots_{kind}"] += 1
        counts[f"gigabytes_{kind}"] += s.size
    for b in uow.volume_backups.find(project_id=project_id):
        counts["backups"] += 1
        counts["backup_gigabytes"] += b.size
    # A volume whose type is gone counts in the totals only.
    orphans = set(type_quota_keys(""))
    return {k: v for k, v in counts.items() if k not in orphans}


class VolumeQuotaService(VolumeUseCases):
    def defaults(self, uow: UnitOfWork) -> dict[str, int]:
        d = self.p.config.quotas
        limits = {k: int(getattr(d, k)) for k in QUOTA_RESOURCES}
        for vtype in uow.volume_types.find():
            limits.update(dict.fromkeys(type_quota_keys(vtype.name), -1))
        return limits

    def limits_of(self, uow: UnitOfWork, project_id: str) -> dict[str, int]:
        limits = self.defaults(uow)
        for row in uow.volume_quotas.find(project_id=project_id):
            if row.resource in limits:
                limits[row.resource] = row.hard_limit
        return limits

    def check(self, uow: UnitOfWork, project_id: str, type_name: str, *, volumes: int = 0,
              gigabytes: int = 0, snapshots: int = 0, backups: int = 0,
              backup_gigabytes: int = 0) -> None:
        """OverLimit (Cinder's 413) if adding these would pass one of the project's
        limits, the volume type's own included. Call it in the unit of work that adds."""
        # Queue the project's writers (PostgreSQL) before counting.
        uow.volume.lock_project_quota(project_id)
        limits = self.limits_of(uow, project_id)
        if gigabytes and volumes:
            per_volume = limits["per_volume_gigabytes"]
            if 0 <= per_volume < gigabytes:
                raise OverLimit(VolumeFault.OVER_PER_VOLUME_LIMIT, size=gigabytes,
                                limit=per_volume)
        in_use = used(uow, project_id)
        asked = {"volumes": volumes, "gigabytes": gigabytes, "snapshots": snapshots,
                 "backups": backups, "backup_gigabytes": backup_gigabytes}
        for key in PER_TYPE_RESOURCES:
            asked[f"{key}_{type_name}"] = asked[key]
        for key, adding in asked.items():
            limit = limits.get(key, -1)
            if adding > 0 and limit >= 0 and in_use.get(key, 0) + adding > limit:
                raise OverLimit(VolumeFault.OVER_QUOTA, resource=key, limit=limit,
                                used=in_use.get(key, 0), asked=adding)

    # -- os-quota-sets ------------------------------------------------------------------
    def show(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.require_user(ctx)
        policy.enforce(ctx, "volume:quota:get", Target(project_id=project_id))
        with self.p.uow() as uow:
            return self.limits_of(uow, project_id)

    def default_of(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.require_user(ctx)
        policy.enforce(ctx, "volume:quota:get", Target(project_id=project_id))
        with self.p.uow() as uow:
            return self.defaults(uow)

    def usage(self, ctx: RequestContext, project_id: str) -> dict[str, dict[str, int]]:
        """limit, in_use and reserved (always 0: nuage takes at once) per key."""
        self.require_user(ctx)
        policy.enforce(ctx, "volume:quota:get", Target(project_id=project_id))
        with self.p.uow() as uow:
            limits = self.limits_of(uow, project_id)
            in_use = used(uow, project_id)
        return {k: {"limit": v, "in_use": in_use.get(k, 0), "reserved": 0}
                for k, v in limits.items()}

    def update(self, ctx: RequestContext, project_id: str, limits: dict[str, int]
               ) -> dict[str, int]:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:quota:update", Target(project_id=project_id),
                         "quota", project_id)
            known = self.limits_of(uow, project_id)
            for key, value in limits.items():
                if key not in known:
                    raise ValidationError(VolumeFault.QUOTA_UNKNOWN, resource=key)
                if isinstance(value, bool) or not isinstance(value, int) or not (
                        -1 <= value <= MAX_QUOTA):
                    raise ValidationError(VolumeFault.QUOTA_INVALID, resource=key,
                                          value=value)
            for key, value in limits.items():
                row = uow.volume_quotas.get((project_id, key))
                if row is None:
                    uow.volume_quotas.add(VolumeQuota(project_id=project_id, resource=key,
                                                      hard_limit=value))
                else:
                    row.hard_limit = value
                known[key] = value
            self.audit(uow, ctx, "quota.update", "quota", project_id, project_id,
                        {"limits": dict(limits)})
            uow.commit()
            return known

    def reset(self, ctx: RequestContext, project_id: str) -> None:
        """Back to the defaults (DELETE os-quota-sets/{project_id})."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:quota:update", Target(project_id=project_id),
                         "quota", project_id)
            uow.volume_quotas.delete_where(project_id=project_id)
            self.audit(uow, ctx, "quota.delete", "quota", project_id, project_id)
            uow.commit()
