"""Network quotas: networks, subnets, ports, security groups and their rules, routers and
floating IPs per project (Neutron's defaults 100, 100, 500, 10, 100, 10, 50; -1 means no
limit).

Usage is counted from the rows themselves in the transaction that adds to them, after
`uow.network.lock_project_quota` (PostgreSQL queues concurrent writers of one project
there; SQLite's write lock already does), so a check and the change it guards commit
together and no counter can drift.
"""

from __future__ import annotations

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, ValidationError
from nuage.domain.network import QUOTA_RESOURCES, NetworkQuota
from nuage.domain.network_errors import NetworkFault
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import NetworkUseCases

MAX_QUOTA = 2**31 - 1


def used(uow: UnitOfWork, project_id: str) -> dict[str, int]:
    return {"network": len(uow.networks.find(project_id=project_id)),
            "subnet": len(uow.subnets.find(project_id=project_id)),
            "port": len(uow.ports.find(project_id=project_id)),
            "security_group": len(uow.security_groups.find(project_id=project_id)),
            "security_group_rule": len(uow.security_group_rules.find(project_id=project_id)),
            "router": len(uow.routers.find(project_id=project_id)),
            "floatingip": len(uow.floating_ips.find(project_id=project_id)),
            "subnetpool": len(uow.subnetpools.find(project_id=project_id))}


def _limits(row: NetworkQuota) -> dict[str, int]:
    return {k: int(getattr(row, k)) for k in QUOTA_RESOURCES}


class NetworkQuotaService(NetworkUseCases):
    def defaults(self) -> dict[str, int]:
        d = self.p.config.quotas
        return {k: int(getattr(d, k)) for k in QUOTA_RESOURCES}

    def limits_of(self, uow: UnitOfWork, project_id: str) -> dict[str, int]:
        row = uow.network_quotas.get(project_id)
        if row is None:
            return self.defaults()
        return _limits(row)

    def check(self, uow: UnitOfWork, project_id: str, resource: str, adding: int = 1) -> None:
        """OverQuota (409) if `adding` more of `resource` would pass the project's limit.
        Call it in the unit of work that adds them."""
        uow.network.lock_project_quota(project_id)
        limit = self.limits_of(uow, project_id)[resource]
        if limit >= 0 and used(uow, project_id)[resource] + adding > limit:
            raise Conflict(NetworkFault.OVER_QUOTA, resources=[resource])

    # -- the quotas API -----------------------------------------------------------------------
    def show(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.require_user(ctx)
        policy.enforce(ctx, "network:quota:get", Target(project_id=project_id))
        with self.p.uow() as uow:
            return self.limits_of(uow, project_id)

    def default_of(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.require_user(ctx)
        policy.enforce(ctx, "network:quota:get", Target(project_id=project_id))
        return self.defaults()

    def details(self, ctx: RequestContext, project_id: str) -> dict[str, dict[str, int]]:
        """limit, used and reserved (always 0: nuage takes at once) per resource."""
        self.require_user(ctx)
        policy.enforce(ctx, "network:quota:get", Target(project_id=project_id))
        with self.p.uow() as uow:
            limits = self.limits_of(uow, project_id)
            in_use = used(uow, project_id)
        return {k: {"limit": limits[k], "used": in_use[k], "reserved": 0}
                for k in QUOTA_RESOURCES}

    def list_quotas(self, ctx: RequestContext) -> list[tuple[str, dict[str, int]]]:
        """The projects with limits of their own (Neutron lists only those)."""
        self.require_user(ctx)
        policy.enforce(ctx, "network:quota:list")
        with self.p.uow() as uow:
            rows = uow.network_quotas.find()
        return [(r.project_id, _limits(r)) for r in sorted(rows, key=lambda r: r.project_id)]

    def update(self, ctx: RequestContext, project_id: str, limits: dict[str, int],
               check_limit: bool = False) -> dict[str, int]:
        """Set some limits; with `check_limit` (Neutron's quota-check-limit), none may fall
        below what the project uses already."""
        self.require_user(ctx)
        for key, value in limits.items():
            if key not in QUOTA_RESOURCES:
                raise ValidationError(NetworkFault.QUOTA_UNKNOWN, resource=key)
            if isinstance(value, bool) or not isinstance(value, int) or not (
                    -1 <= value <= MAX_QUOTA):
                raise ValidationError(NetworkFault.QUOTA_INVALID, resource=key, value=value)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "network:quota:update", Target(project_id=project_id),
                         "quota", project_id)
            if check_limit:
                uow.network.lock_project_quota(project_id)
                in_use = used(uow, project_id)
                under = sorted(k for k, v in limits.items() if 0 <= v < in_use[k])
                if under:
                    raise Conflict(NetworkFault.QUOTA_BELOW_USAGE, resources=under)
            current = self.limits_of(uow, project_id)
            current.update(limits)
            row = uow.network_quotas.get(project_id)
            if row is None:
                uow.network_quotas.add(NetworkQuota(project_id=project_id, **current))
            else:
                for key, value in current.items():
                    setattr(row, key, value)
            self.record(uow, ctx, "quota.update", "quota", project_id, project_id,
                        {"limits": dict(limits)})
            uow.commit()
            return current

    def reset(self, ctx: RequestContext, project_id: str) -> None:
        """Back to the defaults (DELETE /quotas/{project_id})."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "network:quota:delete", Target(project_id=project_id),
                         "quota", project_id)
            uow.network_quotas.delete_where(project_id=project_id)
            self.record(uow, ctx, "quota.delete", "quota", project_id, project_id)
            uow.commit()
