"""Host aggregates (os-aggregates, administrators only), and the availability zones they
define.

An aggregate whose metadata has `availability_zone` puts its hosts in that zone, as in
Nova. A host's zone is kept in `ComputeHost.availability_zone`, rewritten here, in the
transaction that changes an aggregate, from the zones of the aggregates that hold the
host (`nova` when none has one). So everything that reads a host's zone (the scheduler,
`os-availability-zone`, `os-services`, `os-hosts`, the zone check of a server create)
sees the aggregates' zones without knowing about aggregates.

Nova's rules, kept here: a host is in one zone only, so adding it to an aggregate whose
zone differs from that of another aggregate holding it is a 409, and giving an aggregate
a zone that one of its hosts already has elsewhere is a 400; an empty zone name is a 400;
an aggregate's zone cannot change while its hosts run servers (they would change zone
under their owners: 400); an aggregate that still has hosts cannot be deleted (400).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nuage.domain import policy
from nuage.domain.compute import AZ_KEY, DEFAULT_ZONE, Aggregate
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.ports.repositories import UnitOfWork
from nuage.services.compute.base import ResourceUseCases
from nuage.services.compute.hosts import INTERNAL_ZONE

# Update leaves the zone alone unless the body names one.
KEEP: Any = object()
MAX_NAME = 255


def check_name(name: object, what: str = "name") -> str:
    """Nova's schema: a string of 1 to 255 characters, no leading or trailing blanks."""
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME or name != name.strip():
        raise ValidationError(ComputeFault.AGGREGATE_FIELD_INVALID, field=what, value=name)
    return name


def check_zone(zone: object) -> str:
    """A zone name: 1 to 255 characters, no ':' (Nova's az_name), not the control plane's
    own `internal` zone."""
    if not isinstance(zone, str) or not zone.strip():
        raise ValidationError(ComputeFault.AGGREGATE_ZONE_EMPTY)
    check_name(zone, "availability_zone")
    if ":" in zone:
        raise ValidationError(ComputeFault.AGGREGATE_ZONE_COLON)
    if zone == INTERNAL_ZONE:
        raise ValidationError(ComputeFault.AGGREGATE_ZONE_INTERNAL, zone=zone)
    return zone


def _aggregate_id(raw: str) -> int | None:
    """The id in the path; None when it cannot name an aggregate (Nova: 404, even for
    -1 or a word)."""
    return int(raw) if raw.isdigit() else None


class AggregateService(ResourceUseCases):
    # -- guards --------------------------------------------------------------------------------
    @staticmethod
    def _may_read(ctx: RequestContext, row: str) -> None:
        """As HostService._admin_only: the 403 for an unauthenticated caller, then `row`."""
        if not ctx.authenticated:
            raise Forbidden(ComputeFault.HOST_AUTHENTICATION_REQUIRED)
        policy.enforce(ctx, row)

    @staticmethod
    def _find(uow: UnitOfWork, raw_id: str, for_update: bool = False) -> Aggregate:
        ident = _aggregate_id(raw_id)
        found = (None if ident is None else uow.aggregates.get_for_update(ident)
                 if for_update else uow.aggregates.get(ident))
        if found is None:
            raise NotFound("aggregate", raw_id)
        return found

    # -- zones -----------------------------------------------------------------------------
    @staticmethod
    def _zones_elsewhere(uow: UnitOfWork, hosts: list[str], aggregate: Aggregate
                         ) -> set[str]:
        """The zones the hosts have through aggregates other than this one."""
        return {a.availability_zone for a in uow.aggregates.find()
                if a.id != aggregate.id and a.availability_zone
                and set(a.hosts) & set(hosts)}

    def _check_zone_change(self, uow: UnitOfWork, aggregate: Aggregate, zone: str) -> None:
        """Before the aggregate takes `zone`: its hosts have no other zone, and none of
        them runs servers if the zone changes (Nova's is_safe_to_update_az)."""
        others = self._zones_elsewhere(uow, aggregate.hosts, aggregate) - {zone}
        if others:
            raise ValidationError(ComputeFault.AGGREGATE_HOSTS_IN_OTHER_ZONE,
                                  aggregate_id=aggregate.id, zones=sorted(others))
        if zone != aggregate.availability_zone and any(
                uow.servers.find(host=h, deleted=False) for h in aggregate.hosts):
            raise ValidationError(ComputeFault.AGGREGATE_HOSTS_HAVE_SERVERS,
                                  aggregate_id=aggregate.id)

    @staticmethod
    def refresh_zones(uow: UnitOfWork, hostnames: list[str]) -> None:
        """Rewrite each host's zone from the aggregates that hold it."""
        aggregates = uow.aggregates.find()
        for name in hostnames:
            host = uow.compute_hosts.first(hostname=name)
            if host is None:
                continue
            zones = sorted(a.availability_zone for a in aggregates
                           if name in a.hosts and a.availability_zone)
            host.availability_zone = zones[0] if zones else DEFAULT_ZONE

    # -- reading -----------------------------------------------------------------------------
    def list(self, ctx: RequestContext) -> list[Aggregate]:
        self._may_read(ctx, "compute:aggregate:list")
        with self.p.uow() as uow:
            return sorted(uow.aggregates.find(), key=lambda a: a.id or 0)

    def get(self, ctx: RequestContext, aggregate_id: str) -> Aggregate:
        self._may_read(ctx, "compute:aggregate:show")
        with self.p.uow() as uow:
            return self._find(uow, aggregate_id)

    # -- changes -----------------------------------------------------------------------------
    def create(self, ctx: RequestContext, name: object, zone: object = None) -> Aggregate:
        check_name(name)
        assert isinstance(name, str)
        if zone is not None:
            check_zone(zone)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:aggregate:create", "compute.aggregate.create",
                         "aggregate", None)
            if uow.aggregates.first(name=name) is not None:
                raise Conflict(ComputeFault.AGGREGATE_NAME_TAKEN, name=name)
            now = self.p.clock.now()
            aggregate = Aggregate(name=name, created_at=now,
                                  metadata={AZ_KEY: zone} if isinstance(zone, str) else {})
            uow.aggregates.add(aggregate)   # flushed: the id is known
            self.record(uow, ctx, "compute.aggregate.create", "aggregate",
                        str(aggregate.id), detail={"name": name, AZ_KEY: zone})
            uow.commit()
            return aggregate

    def update(self, ctx: RequestContext, aggregate_id: str, name: object = KEEP,
               zone: object = KEEP) -> Aggregate:
        if name is KEEP and zone is KEEP:
            raise ValidationError(ComputeFault.AGGREGATE_UPDATE_EMPTY)
        if name is not KEEP:
            check_name(name)
        if zone is not KEEP:
            check_zone(zone)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:aggregate:update", "compute.aggregate.update",
                         "aggregate", aggregate_id)
            uow.compute.lock_hosts()
            aggregate = self._find(uow, aggregate_id, for_update=True)
            if isinstance(name, str) and name != aggregate.name:
                if uow.aggregates.first(name=name) is not None:
                    raise Conflict(ComputeFault.AGGREGATE_NAME_TAKEN, name=name)
                aggregate.name = name
            if isinstance(zone, str):
                self._check_zone_change(uow, aggregate, zone)
                aggregate.metadata = {**aggregate.metadata, AZ_KEY: zone}
                self.refresh_zones(uow, aggregate.hosts)
            aggregate.updated_at = self.p.clock.now()
            self.record(uow, ctx, "compute.aggregate.update", "aggregate", str(aggregate.id),
                        detail={k: v for k, v in (("name", name), (AZ_KEY, zone))
                                if v is not KEEP})
            uow.commit()
            return aggregate

    def delete(self, ctx: RequestContext, aggregate_id: str) -> None:
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:aggregate:delete", "compute.aggregate.delete",
                         "aggregate", aggregate_id)
            aggregate = self._find(uow, aggregate_id, for_update=True)
            if aggregate.hosts:
                raise ValidationError(ComputeFault.AGGREGATE_NOT_EMPTY,
                                      aggregate_id=aggregate.id)
            uow.aggregates.delete(aggregate)
            self.record(uow, ctx, "compute.aggregate.delete", "aggregate", aggregate_id)
            uow.commit()

    def add_host(self, ctx: RequestContext, aggregate_id: str, host: object) -> Aggregate:
        def add(uow: UnitOfWork, aggregate: Aggregate, host: str) -> None:
            if host in aggregate.hosts:
                raise Conflict(ComputeFault.AGGREGATE_HOST_EXISTS, aggregate_id=aggregate.id,
                               host=host)
            zone = aggregate.availability_zone
            others = self._zones_elsewhere(uow, [host], aggregate) - {zone}
            if zone and others:
                raise Conflict(ComputeFault.AGGREGATE_HOST_IN_OTHER_ZONE,
                               aggregate_id=aggregate.id, zones=sorted(others))
            aggregate.hosts = sorted([*aggregate.hosts, host])

        return self._change_hosts(ctx, aggregate_id, host, "add_host", add)

    def remove_host(self, ctx: RequestContext, aggregate_id: str, host: object
                    ) -> Aggregate:
        def remove(uow: UnitOfWork, aggregate: Aggregate, host: str) -> None:
            if host not in aggregate.hosts:
                raise NotFound("aggregate host", host, ComputeFault.AGGREGATE_HOST_NOT_FOUND,
                               aggregate_id=aggregate.id)
            aggregate.hosts = [h for h in aggregate.hosts if h != host]

        return self._change_hosts(ctx, aggregate_id, host, "remove_host", remove)

    def _change_hosts(self, ctx: RequestContext, aggregate_id: str, host: object,
                      action: str, change: Callable[[UnitOfWork, Aggregate, str], None]
                      ) -> Aggregate:
        """add_host / remove_host: the same checks, locks, zone refresh and audit around
        `change`, which validates and edits the aggregate's host list."""
        check_name(host, "host")
        assert isinstance(host, str)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, f"compute:aggregate:{action}", f"compute.aggregate.{action}",
                         "aggregate", aggregate_id)
            uow.compute.lock_hosts()
            aggregate = self._find(uow, aggregate_id, for_update=True)
            if uow.compute_hosts.first(hostname=host) is None:
                raise NotFound("compute host", host)
            change(uow, aggregate, host)
            aggregate.updated_at = self.p.clock.now()
            self.refresh_zones(uow, [host])
            self.record(uow, ctx, f"compute.aggregate.{action}", "aggregate",
                        str(aggregate.id), detail={"host": host})
            uow.commit()
            return aggregate

    def set_metadata(self, ctx: RequestContext, aggregate_id: str,
                     metadata: dict[str, Any]) -> Aggregate:
        """Merge `metadata` into the aggregate's; a null value removes the key. Removing
        `availability_zone` puts the hosts back in the default zone."""
        for key, value in metadata.items():
            check_name(key, "metadata key")
            if value is not None and (not isinstance(value, str) or len(value) > MAX_NAME):
                raise ValidationError(ComputeFault.AGGREGATE_FIELD_INVALID, field="metadata",
                                      value=value)
        if metadata.get(AZ_KEY) is not None:
            check_zone(metadata[AZ_KEY])
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:aggregate:set_metadata",
                         "compute.aggregate.set_metadata", "aggregate", aggregate_id)
            uow.compute.lock_hosts()
            aggregate = self._find(uow, aggregate_id, for_update=True)
            zone = metadata.get(AZ_KEY, KEEP)
            if isinstance(zone, str):
                self._check_zone_change(uow, aggregate, zone)
            elif zone is None and aggregate.availability_zone and any(
                    uow.servers.find(host=h, deleted=False) for h in aggregate.hosts):
                raise ValidationError(ComputeFault.AGGREGATE_HOSTS_HAVE_SERVERS,
                                      aggregate_id=aggregate.id)
            merged = {**aggregate.metadata, **metadata}
            aggregate.metadata = {k: v for k, v in merged.items() if v is not None}
            aggregate.updated_at = self.p.clock.now()
            if zone is not KEEP:
                self.refresh_zones(uow, aggregate.hosts)
            self.record(uow, ctx, "compute.aggregate.set_metadata", "aggregate",
                        str(aggregate.id), detail={"metadata": metadata})
            uow.commit()
            return aggregate
