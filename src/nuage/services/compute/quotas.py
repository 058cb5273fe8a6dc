"""Compute quotas and limits: instances, cores, ram and key pairs per project, and the
default quota class (os-quota-class-sets) that projects without their own limits follow.

Usage is counted from the servers and keypairs themselves, in the transaction that would
add to it, so a check and the change it guards commit together (no separate counters to
drift). Concurrent checks of one project must not both pass on what the other is about to
add: SQLite's write lock serialises every writer; on PostgreSQL the callers first take
`uow.compute.lock_project_quota`, which queues them per project until the previous one
commits (its servers are then counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nuage.domain import policy
from nuage.domain.compute import ComputeQuota, QuotaClass
from nuage.domain.compute_errors import ComputeFault, OverLimit
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.ports.compute_network import NetworkQuotas, ServerNetworks
from nuage.ports.repositories import UnitOfWork
from nuage.services.compute.base import ResourcePorts, ResourceUseCases

# Stored and enforced.
ENFORCED = ("instances", "cores", "ram", "key_pairs", "metadata_items")
# Reported with Nova's defaults (nuage has no such resources here, or counts them elsewhere);
# No project has this id: the network service's quotas for it are its defaults.
NO_PROJECT = "-"
# floating_ips and the security group ones are the network service's when there is one
# (QuotaService.networks), as Nova before 2.36 proxies Neutron's.
FIXED: dict[str, int] = {
    "floating_ips": 10, "fixed_ips": -1, "security_groups": 10, "security_group_rules": 20,
    "injected_files": 5, "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255,
    "server_groups": 10, "server_group_members": 10,
}
MAX_QUOTA = 2**31 - 1
# The quota class projects follow when they have no limits of their own.
DEFAULT_CLASS = "default"


@dataclass(frozen=True)
class Usage:
    instances: int = 0
    cores: int = 0
    ram: int = 0
    key_pairs: int = 0


def usage(uow: UnitOfWork, project_id: str, user_id: str | None = None) -> Usage:
    """What a project uses now; key pairs are a user's (Nova counts them per user)."""
    servers = uow.servers.find(project_id=project_id, deleted=False)
    keys = len(uow.keypairs.find(user_id=user_id)) if user_id else 0
    return Usage(instances=len(servers),
                 cores=sum(int(s.flavor.get("vcpus", 0)) for s in servers),
                 ram=sum(int(s.flavor.get("ram", 0)) for s in servers),
                 key_pairs=keys)


class QuotaService(ResourceUseCases):
    def __init__(self, ports: ResourcePorts, networks: ServerNetworks | None = None) -> None:
        super().__init__(ports)
        # Where a project's network quotas are (Nova before 2.36 shows Neutron's limits
        # and usage for floating IPs and security groups); None: Nova's fixed defaults.
        self.networks = networks

    def _network(self, uow: UnitOfWork, project_id: str) -> NetworkQuotas:
        return {} if self.networks is None else self.networks.quotas(uow, project_id)

    def class_limits(self, uow: UnitOfWork, name: str = DEFAULT_CLASS) -> dict[str, int]:
        """A quota class: nuage's built-in defaults (settings, then Nova's values for the
        keys nuage does not enforce) overlaid with what an administrator stored."""
        d = self.p.config.quotas
        limits = {**{k: int(getattr(d, k)) for k in ENFORCED}, **FIXED}
        row = uow.quota_classes.get(name)
        if row is not None:
            limits.update({k: int(v) for k, v in row.limits.items() if k in limits})
        return limits

    def limits_of(self, uow: UnitOfWork, project_id: str) -> ComputeQuota:
        """The project's quota: its own row, else the default quota class."""
        row = uow.compute_quotas.get(project_id)
        if row is not None:
            return row
        d = self.class_limits(uow)
        return ComputeQuota(project_id=project_id, **{k: d[k] for k in ENFORCED})

    def check(self, uow: UnitOfWork, project_id: str, *, instances: int = 0, cores: int = 0,
              ram: int = 0) -> None:
        """Raise OverLimit if adding this much would pass the project's quota (-1: none).

        Call it inside the unit of work that makes the change, after
        `uow.compute.lock_project_quota(project_id)`."""
        quota = self.limits_of(uow, project_id)
        used = usage(uow, project_id)
        for name, requested, in_use, limit in (
                ("instances", instances, used.instances, quota.instances),
                ("cores", cores, used.cores, quota.cores),
                ("ram", ram, used.ram, quota.ram)):
            if requested > 0 and limit >= 0 and in_use + requested > limit:
                raise OverLimit(ComputeFault.QUOTA_RESOURCE_EXCEEDED, resource=name,
                                requested=requested, used=in_use, limit=limit)

    def check_key_pairs(self, uow: UnitOfWork, project_id: str | None, user_id: str) -> None:
        limit = (self.limits_of(uow, project_id).key_pairs if project_id
                 else self.class_limits(uow)["key_pairs"])
        if limit >= 0 and len(uow.keypairs.find(user_id=user_id)) + 1 > limit:
            raise OverLimit(ComputeFault.KEYPAIR_QUOTA_EXCEEDED)

    # -- os-quota-sets -----------------------------------------------------------------------
    @staticmethod
    def _may_read(ctx: RequestContext, project_id: str) -> None:
        policy.enforce(ctx, "compute:quota:show", policy.Target(project_id=project_id))

    def as_dict(self, uow: UnitOfWork, quota: ComputeQuota) -> dict[str, int]:
        """The enforced limits from `quota`; the network ones are the network service's;
        the others follow the default class."""
        limits = {**self.class_limits(uow), **{k: int(getattr(quota, k)) for k in ENFORCED}}
        network = self._network(uow, quota.project_id)
        return {**limits, **{k: limit for k, (limit, _) in network.items() if k in limits}}

    def defaults(self, ctx: RequestContext) -> dict[str, int]:
        """The default class, with the network service's defaults for the network keys:
        what a project without quotas of its own is shown (Tempest compares the two)."""
        self.require_user(ctx)
        with self.p.uow() as uow:
            limits = self.class_limits(uow)
            network = self._network(uow, NO_PROJECT)
            return {**limits, **{k: limit for k, (limit, _) in network.items()
                                 if k in limits}}

    def show(self, ctx: RequestContext, project_id: str) -> dict[str, int]:
        self.require_user(ctx)
        self._may_read(ctx, project_id)
        with self.p.uow() as uow:
            return self.as_dict(uow, self.limits_of(uow, project_id))

    def detail(self, ctx: RequestContext, project_id: str) -> dict[str, dict[str, int]]:
        """limit, in_use and reserved (always 0: nuage claims at once) per quota."""
        self.require_user(ctx)
        self._may_read(ctx, project_id)
        with self.p.uow() as uow:
            limits = self.as_dict(uow, self.limits_of(uow, project_id))
            used = usage(uow, project_id, ctx.user_id if ctx.project_id == project_id
                         else None)
            network = self._network(uow, project_id)
        in_use = {"instances": used.instances, "cores": used.cores, "ram": used.ram,
                  "key_pairs": used.key_pairs}
        for key, (_, count) in network.items():
            if key in limits:
                in_use[key] = count
        return {k: {"limit": v, "in_use": in_use.get(k, 0), "reserved": 0}
                for k, v in limits.items()}

    def update(self, ctx: RequestContext, project_id: str, values: dict[str, Any],
               force: bool = False) -> dict[str, int]:
        """Set some of the enforced quotas; other known keys are accepted and ignored
        (nuage does not limit them here). A limit below current usage is refused unless
        `force`, as in Nova."""
        changes: dict[str, int] = {}
        for key, raw in values.items():
            if key not in ENFORCED and key not in FIXED:
                raise ValidationError(ComputeFault.QUOTA_KEY_UNKNOWN, key=key)
            value = _quota_int(key, raw)
            if key in ENFORCED:
                changes[key] = value
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:quota:update", "compute.quota.update", "project",
                         project_id, project_id=project_id)
            # A create counting usage at the same time would not see the new limit.
            uow.compute.lock_project_quota(project_id)
            current = self.limits_of(uow, project_id)
            if not force:
                used = usage(uow, project_id)
                in_use = {"instances": used.instances, "cores": used.cores, "ram": used.ram}
                for key, value in changes.items():
                    if key in in_use and 0 <= value < in_use[key]:
                        raise ValidationError(ComputeFault.QUOTA_BELOW_USAGE, key=key,
                                              limit=value, in_use=in_use[key])
            row = uow.compute_quotas.get(project_id)
            if row is None:
                row = ComputeQuota(project_id=project_id, **{
                    k: getattr(current, k) for k in ENFORCED})
                uow.compute_quotas.add(row)
            for key, value in changes.items():
                setattr(row, key, value)
            self.record(uow, ctx, "compute.quota.update", "project", project_id,
                        project_id=project_id, detail=changes)
            shown = self.as_dict(uow, row)
            uow.commit()
            return shown

    def reset(self, ctx: RequestContext, project_id: str) -> None:
        """Back to the defaults (DELETE os-quota-sets/{project})."""
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:quota:delete", "compute.quota.delete", "project",
                         project_id, project_id=project_id)
            uow.compute_quotas.delete_where(project_id=project_id)
            self.record(uow, ctx, "compute.quota.delete", "project", project_id,
                        project_id=project_id)
            uow.commit()

    # -- os-quota-class-sets -----------------------------------------------------------------
    @staticmethod
    def _class_name(name: str) -> None:
        if not 1 <= len(name) <= 255:
            raise ValidationError(ComputeFault.QUOTA_CLASS_NAME_INVALID)

    def show_class(self, ctx: RequestContext, name: str) -> dict[str, int]:
        """A quota class as Nova's v2.1 shows it (administrators)."""
        self.require_user(ctx)
        policy.enforce(ctx, "compute:quota_class:show")
        self._class_name(name)
        with self.p.uow() as uow:
            limits = self.class_limits(uow, name)
        return dict(limits)

    def update_class(self, ctx: RequestContext, name: str, values: dict[str, Any]
                     ) -> dict[str, int]:
        """Store some limits of a quota class. Changing `default` changes the quota of
        every project that has no limits of its own, at once (the next create checks
        against it); usage is not checked, as in Nova."""
        self._class_name(name)
        changes: dict[str, int] = {}
        for key, raw in values.items():
            if key not in ENFORCED and key not in FIXED:
                raise ValidationError(ComputeFault.QUOTA_KEY_UNKNOWN, key=key)
            changes[key] = _quota_int(key, raw)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:quota_class:update", "compute.quota_class.update",
                         "quota_class", name)
            row = uow.quota_classes.get_for_update(name)
            if row is None:
                row = QuotaClass(name=name, limits={})
                uow.quota_classes.add(row)
            # A new dict: the JSON column is only written when the value is replaced.
            row.limits = {**row.limits, **changes}
            self.record(uow, ctx, "compute.quota_class.update", "quota_class", name,
                        detail=changes)
            limits = self.class_limits(uow, name)
            uow.commit()
        return dict(limits)

    # -- /limits -------------------------------------------------------------------------------
    def absolute_limits(self, ctx: RequestContext, project_id: str | None = None
                        ) -> dict[str, int]:
        """Nova's `limits.absolute` for the caller's project (or, for admins, another)."""
        self.require_user(ctx)
        target = project_id or ctx.project_id
        if target is None:
            raise ValidationError(ComputeFault.LIMITS_PROJECT_REQUIRED)
        policy.enforce(ctx, "compute:limits:show", policy.Target(project_id=target))
        with self.p.uow() as uow:
            q = self.limits_of(uow, target)
            f = self.class_limits(uow)
            used = usage(uow, target)
            network = self._network(uow, target)
        for key in ("floating_ips", "security_groups", "security_group_rules"):
            if key in network:
                f = {**f, key: network[key][0]}
        floating_used = network.get("floating_ips", (0, 0))[1]
        groups_used = network.get("security_groups", (0, 0))[1]
        return {
            "maxImageMeta": q.metadata_items, "maxPersonality": f["injected_files"],
            "maxPersonalitySize": f["injected_file_content_bytes"],
            "maxSecurityGroupRules": f["security_group_rules"],
            "maxSecurityGroups": f["security_groups"], "maxServerMeta": q.metadata_items,
            "maxTotalCores": q.cores, "maxTotalFloatingIps": f["floating_ips"],
            "maxTotalInstances": q.instances, "maxTotalKeypairs": q.key_pairs,
            "maxTotalRAMSize": q.ram, "maxServerGroups": f["server_groups"],
            "maxServerGroupMembers": f["server_group_members"],
            "totalCoresUsed": used.cores, "totalFloatingIpsUsed": floating_used,
            "totalInstancesUsed": used.instances, "totalRAMUsed": used.ram,
            "totalSecurityGroupsUsed": groups_used, "totalServerGroupsUsed": 0,
        }


def _quota_int(key: str, raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValidationError(ComputeFault.QUOTA_VALUE_NOT_INTEGER, key=key, value=raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw)
    if not isinstance(raw, int):
        raise ValidationError(ComputeFault.QUOTA_VALUE_NOT_INTEGER, key=key, value=raw)
    if raw < -1 or raw > MAX_QUOTA:
        raise ValidationError(ComputeFault.QUOTA_VALUE_OUT_OF_RANGE, key=key, value=raw)
    return raw
