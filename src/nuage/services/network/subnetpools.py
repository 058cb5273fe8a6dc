"""Subnet pools (Neutron's subnetpools, subnet_allocation and default-subnetpools): create,
show, list, update, delete, and the allocation of a subnet's prefix from a pool.

A pool belongs to a project; a shared one (an admin's choice) is seen and allocated from
by every project, another project's private pool is 404. One pool per IP version may be
the default (`is_default`, an admin's choice), which `use_default_subnetpool` subnets and
the auto-allocated topology take their prefix from.

Allocation runs inside the subnet's own write unit of work, after the pool's row is locked
(`get_for_update`: PostgreSQL queues the pool's other allocations behind it; SQLite's
write lock already does), and reads the prefixes the pool's subnets hold, across projects;
`UNIQUE(subnetpool_id, cidr)` on subnets makes the database refuse a duplicate whatever
happens. A pool with subnets cannot be deleted (Neutron's SubnetPoolDeleteError, 400).
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from typing import Any

from nuage.domain import network_pools as rules
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.network import IPNetwork
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_pools import SubnetPool
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import NetworkPorts, NetworkUseCases, all_or_none
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.quotas import NetworkQuotaService


@dataclass(frozen=True)
class NewSubnetPool:
    name: str
    prefixes: tuple[str, ...]
    description: str = ""
    default_prefixlen: int | None = None
    min_prefixlen: int | None = None
    max_prefixlen: int | None = None
    default_quota: int | None = None
    shared: bool = False
    is_default: bool = False
    # Address scopes are not served: only None passes (another id is 404, as an unknown
    # scope is in Neutron).
    address_scope_id: str | None = None
    project_id: str | None = None
    tags: tuple[str, ...] = ()


UPDATABLE = frozenset({"name", "description", "prefixes", "default_prefixlen",
                       "min_prefixlen", "max_prefixlen", "default_quota", "is_default",
                       "address_scope_id", "tags"})


def pool_target(pool: SubnetPool) -> Target:
    return Target(project_id=pool.project_id, shared=pool.shared)


def pool_visible(ctx: RequestContext, pool: SubnetPool) -> bool:
    return policy.may(ctx, "network:subnetpool:get", pool_target(pool))


def find_pool(uow: UnitOfWork, ctx: RequestContext, pool_id: str,
              for_update: bool = False) -> SubnetPool:
    """The pool, or 404 when absent or another project's private one."""
    pool = (uow.subnetpools.get_for_update(pool_id) if for_update
            else uow.subnetpools.get(pool_id))
    if pool is None or not pool_visible(ctx, pool):
        raise NotFound("subnetpool", pool_id)
    return pool


def _check_quota_value(value: int | None) -> None:
    if value is not None and value < 0:
        raise ValidationError(NetworkFault.QUOTA_INVALID, resource="default_quota",
                              value=value)


def _no_address_scope(scope: str | None) -> None:
    if scope is not None:
        raise NotFound("address_scope", scope)


@dataclass(frozen=True)
class PoolRequest:
    """Where a new subnet's prefix comes from: a pool (by id, or the default of a
    version), and either a cidr inside it or a prefix length (the pool's default when
    None)."""

    subnetpool_id: str | None
    use_default: bool
    ip_version: int | None
    cidr: str | None
    prefixlen: int | None


class SubnetPoolService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    def _check_default_free(self, uow: UnitOfWork, ip_version: int,
                            except_id: str | None = None) -> None:
        for other in uow.subnetpools.find(ip_version=ip_version, is_default=True):
            if other.id != except_id:
                raise ValidationError(NetworkFault.SUBNETPOOL_DEFAULT_EXISTS,
                                      ip_version=ip_version)

    # -- use cases --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewSubnetPool) -> SubnetPool:
        self.require_user(ctx)
        version, prefixes = rules.compact(cmd.prefixes)
        bounds = rules.check_bounds(version, cmd.min_prefixlen, cmd.default_prefixlen,
                                    cmd.max_prefixlen)
        _check_quota_value(cmd.default_quota)
        project = self.owner_project(ctx, cmd.project_id)
        with self.p.uow(write=True) as uow:
            target = Target(project_id=project)
            self.enforce(uow, ctx, "network:subnetpool:create", target, "subnetpool", None)
            if cmd.shared:
                self.enforce(uow, ctx, "network:subnetpool:create_shared", target,
                             "subnetpool", None)
            if cmd.is_default:
                self.enforce(uow, ctx, "network:subnetpool:set_default", target,
                             "subnetpool", None)
            _no_address_scope(cmd.address_scope_id)
            if cmd.is_default:
                # Queues two concurrent "default" creates of one version (PostgreSQL).
                uow.network.lock_default_subnetpool(version)
                self._check_default_free(uow, version)
            self.quotas.check(uow, project, "subnetpool")
            now = self.p.clock.now()
            pool = SubnetPool(
                id=str(uuid.uuid4()), project_id=project, ip_version=version, created_at=now,
                updated_at=now, prefixes=[str(p) for p in prefixes], name=cmd.name,
                description=cmd.description, default_prefixlen=bounds.default_prefixlen,
                min_prefixlen=bounds.min_prefixlen, max_prefixlen=bounds.max_prefixlen,
                default_quota=cmd.default_quota, shared=cmd.shared,
                is_default=cmd.is_default, tags=list(cmd.tags))
            uow.subnetpools.add(pool)
            self.record(uow, ctx, "subnetpool.create", "subnetpool", pool.id, project,
                        {"prefixes": pool.prefixes, "shared": pool.shared,
                         "is_default": pool.is_default})
            uow.commit()
            return pool

    def create_many(self, ctx: RequestContext, cmds: list[NewSubnetPool]) -> list[SubnetPool]:
        return all_or_none(lambda c: self.create(ctx, c), lambda p: self.delete(ctx, p.id),
                           cmds)

    def get(self, ctx: RequestContext, pool_id: str) -> SubnetPool:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return find_pool(uow, ctx, pool_id)

    def list_pools(self, ctx: RequestContext, q: ListQuery) -> Page[SubnetPool]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            pools = [p for p in uow.subnetpools.find() if pool_visible(ctx, p)]
            return page(pools, q, "subnetpool", self.p.config.max_page)

    def update(self, ctx: RequestContext, pool_id: str, changes: dict[str, Any]) -> SubnetPool:
        self.require_user(ctx)
        changes = {k: v for k, v in changes.items() if k in UPDATABLE}
        with self.p.uow(write=True) as uow:
            pool = find_pool(uow, ctx, pool_id, for_update=True)
            self.enforce(uow, ctx, "network:subnetpool:update", pool_target(pool),
                         "subnetpool", pool.id)
            if "is_default" in changes and bool(changes["is_default"]) != pool.is_default:
                self.enforce(uow, ctx, "network:subnetpool:set_default", pool_target(pool),
                             "subnetpool", pool.id)
            if "address_scope_id" in changes:
                _no_address_scope(changes["address_scope_id"])
            prefixes = pool.prefixes
            if "prefixes" in changes:
                version, merged = rules.compact(changes["prefixes"])
                if version != pool.ip_version:
                    raise ValidationError(NetworkFault.SUBNETPOOL_PREFIX_VERSION_MISMATCH)
                rules.check_grows(pool.prefixes, merged)
                prefixes = [str(p) for p in merged]
            bounds = rules.check_bounds(
                pool.ip_version, changes.get("min_prefixlen", pool.min_prefixlen),
                changes.get("default_prefixlen", pool.default_prefixlen),
                changes.get("max_prefixlen", pool.max_prefixlen))
            if "default_quota" in changes:
                _check_quota_value(changes["default_quota"])
                pool.default_quota = changes["default_quota"]
            if changes.get("is_default") and not pool.is_default:
                uow.network.lock_default_subnetpool(pool.ip_version)
                self._check_default_free(uow, pool.ip_version, pool.id)
            if "is_default" in changes:
                pool.is_default = bool(changes["is_default"])
            pool.prefixes = prefixes
            pool.min_prefixlen = bounds.min_prefixlen
            pool.default_prefixlen = bounds.default_prefixlen
            pool.max_prefixlen = bounds.max_prefixlen
            for key in ("name", "description"):
                if key in changes:
                    setattr(pool, key, changes[key])
            if "tags" in changes:
                pool.tags = list(changes["tags"])
            pool.updated_at = self.p.clock.now()
            pool.revision_number += 1
            self.record(uow, ctx, "subnetpool.update", "subnetpool", pool.id, pool.project_id,
                        {"changed": sorted(changes)})
            uow.commit()
            return pool

    def delete(self, ctx: RequestContext, pool_id: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            pool = find_pool(uow, ctx, pool_id, for_update=True)
            self.enforce(uow, ctx, "network:subnetpool:delete", pool_target(pool),
                         "subnetpool", pool.id)
            if uow.subnets.first(subnetpool_id=pool.id) is not None:
                raise ValidationError(NetworkFault.SUBNETPOOL_IN_USE, subnetpool_id=pool.id)
            uow.subnetpools.delete(pool)
            self.record(uow, ctx, "subnetpool.delete", "subnetpool", pool.id, pool.project_id,
                        {"prefixes": pool.prefixes})
            uow.commit()

    def ensure_default(self, admin: RequestContext, prefix: str, prefixlen: int
                       ) -> SubnetPool | None:
        """The cloud's shared default pool of `prefix`'s version, made by `admin` at setup
        (through `create`: its checks and audit event) while the cloud has no default pool
        of that version; None when it has one."""
        version, _ = rules.compact([prefix])
        with self.p.uow() as uow:
            if uow.subnetpools.first(ip_version=version, is_default=True) is not None:
                return None
        try:
            return self.create(admin, NewSubnetPool(
                name=f"shared-default-subnetpool-v{version}", prefixes=(prefix,),
                default_prefixlen=prefixlen, shared=True, is_default=True,
                description="The cloud's default pool: use_default_subnetpool, the "
                            "auto-allocated topology"))
        except ValidationError as exc:
            if exc.fault is NetworkFault.SUBNETPOOL_DEFAULT_EXISTS:
                return None                   # another process made it meanwhile
            raise

    # -- what subnets call ------------------------------------------------------------------
    @staticmethod
    def resolve(uow: UnitOfWork, ctx: RequestContext, req: PoolRequest) -> SubnetPool | None:
        """The pool a subnet request names (locked for the allocation), or None when it
        names none. Neutron's _get_subnetpool_id: not both an id and the default; the
        default of the cidr's version, else of ip_version; none visible: 400."""
        if req.subnetpool_id is not None and req.use_default:
            raise ValidationError(NetworkFault.SUBNET_POOL_REQUEST_INVALID,
                                  reason="subnetpool_id and use_default_subnetpool cannot "
                                         "both be specified")
        if req.subnetpool_id is not None:
            return find_pool(uow, ctx, req.subnetpool_id, for_update=True)
        if not req.use_default:
            return None
        version = req.ip_version
        if req.cidr is not None:
            try:
                version = ipaddress.ip_network(req.cidr, strict=False).version
            except ValueError as exc:
                raise ValidationError(NetworkFault.CIDR_INVALID, cidr=req.cidr) from exc
        if version is None:
            raise ValidationError(NetworkFault.SUBNET_POOL_REQUEST_INVALID,
                                  reason="ip_version must be specified in the absence of "
                                         "cidr and subnetpool_id")
        for pool in uow.subnetpools.find(ip_version=version, is_default=True):
            if pool_visible(ctx, pool):
                locked = uow.subnetpools.get_for_update(pool.id)
                if locked is not None:
                    return locked
        raise ValidationError(NetworkFault.NO_DEFAULT_SUBNETPOOL, ip_version=version)

    @staticmethod
    def allocate(uow: UnitOfWork, pool: SubnetPool, project_id: str, req: PoolRequest
                 ) -> IPNetwork:
        """The prefix the new subnet of `project_id` gets from `pool` (locked by
        `resolve`): `req.cidr` if free inside it, else the first free prefix of
        `req.prefixlen` (the pool's default_prefixlen when None); checked against the
        pool's per-project quota. Call it in the unit of work that adds the subnet."""
        if req.ip_version is not None and req.ip_version != pool.ip_version:
            raise ValidationError(NetworkFault.SUBNETPOOL_VERSION_MISMATCH,
                                  ip_version=req.ip_version, pool_version=pool.ip_version)
        taken = uow.subnets.find(subnetpool_id=pool.id)
        used = [s.cidr for s in taken]
        mine = [s.cidr for s in taken if s.project_id == project_id]
        if req.cidr is not None:
            try:
                cidr = ipaddress.ip_network(req.cidr, strict=False)
            except ValueError as exc:
                raise ValidationError(NetworkFault.CIDR_INVALID, cidr=req.cidr) from exc
            if cidr.version != pool.ip_version:
                raise ValidationError(NetworkFault.SUBNETPOOL_VERSION_MISMATCH,
                                      ip_version=cidr.version, pool_version=pool.ip_version)
            rules.check_quota(pool, cidr.prefixlen, mine)
            return rules.allocate_specific(pool, cidr, used)
        prefixlen = pool.default_prefixlen if req.prefixlen is None else req.prefixlen
        rules.check_prefixlen(pool, prefixlen)
        rules.check_quota(pool, prefixlen, mine)
        return rules.allocate_any(pool, prefixlen, used)
