"""Neutron's auto-allocated topology: a project's own network, IPv4 subnet and router (with
its gateway on the cloud's default external network), made the first time the project asks
for it (GET /v2.0/auto-allocated-topology/{project_id}, or Nova's `networks: "auto"`), then
the same one on every later ask.

Built as Neutron's auto_allocate plugin builds it: through the ordinary use cases (their
policy rows, quotas, audit events and agent wake-ups), outside any one transaction, then
recorded in one row keyed by project. Two concurrent first asks may both build; the row's
key lets one record its topology, and the other removes what it built and answers the
recorded one: two calls, one topology. Until it is recorded, the network is admin-down, so
that compute's "auto" never picks a half-built or losing network.

The subnet: Neutron takes it from the cloud's default IPv4 subnet pool, and so does nuage
when the cloud has one (`is_default`, set by an admin or seeded by
NUAGE_NETWORK_DEFAULT_SUBNETPOOL). Without one, NetworkConfig.auto_allocation_pool stands
for that pool (settings: NUAGE_NETWORK_AUTO_ALLOCATION_POOL, "" for none) and each topology
gets a prefix of auto_allocation_prefixlen bits from it: the first that no subnet of the
cloud overlaps (as a pool hands out distinct prefixes), else, the pool being used up, the
first that none of the project's own subnets overlaps (projects' networks are isolated
segments behind their own routers: overlapping ranges across projects are fine, as with
any two tenants' networks).
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Conflict, Forbidden, NuageError, ValidationError
from nuage.domain.network import DEVICE_OWNER_ROUTER_INTF, OWN_PORT_OWNERS, Network
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_l3 import AutoAllocatedTopology
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import NetworkPorts, NetworkUseCases
from nuage.services.network.networks import NetworkService, NewNetwork
from nuage.services.network.routers import GatewayInfo, NewRouter, RouterService
from nuage.services.network.subnets import NewSubnet, SubnetService

# Neutron's names for what it makes.
NETWORK_NAME = "auto_allocated_network"
SUBNET_NAME = "auto_allocated_subnet_v4"
ROUTER_NAME = "auto_allocated_router"

# AutoAllocationFailure's reasons, in Neutron's words.
NO_DEFAULT_EXTERNAL = "No default router:external network"
NO_DEFAULT_POOL = "No default subnetpools defined"
NO_PRIVATE_NETWORK = "Unable to provide tenant private network"
NO_EXTERNAL_CONNECTIVITY = "Unable to provide external connectivity"


@dataclass(frozen=True)
class Topology:
    project_id: str
    network_id: str
    router_id: str


def free_prefix(pool: str, prefixlen: int, taken: Iterable[str]) -> str | None:
    """The first prefix of `prefixlen` bits in `pool` that overlaps none of `taken` (CIDRs of
    any version); None when none is left (or the pool cannot hold one)."""
    net = ipaddress.ip_network(pool, strict=False)
    if prefixlen < net.prefixlen or prefixlen > net.max_prefixlen:
        return None
    used = [c for c in (ipaddress.ip_network(t, strict=False) for t in taken)
            if c.version == net.version and c.overlaps(net)]
    for candidate in net.subnets(new_prefix=prefixlen):
        if not any(candidate.overlaps(c) for c in used):
            return str(candidate)
    return None


class AutoAllocationService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, networks: NetworkService, subnets: SubnetService,
                 routers: RouterService) -> None:
        super().__init__(ports)
        self.networks = networks
        self.subnets = subnets
        self.routers = routers

    # -- who and what -----------------------------------------------------------------------
    def _project(self, ctx: RequestContext, project_id: str | None, action: str) -> str:
        """The project the topology is for: the one named, or the caller's ("None", as some
        clients send when they name none, is the caller's too, as in Neutron). Another
        project's is for an admin only (403, as Neutron's NotAuthorized)."""
        self.require_user(ctx)
        project = project_id if project_id not in (None, "", "None") else ctx.project_id
        if project is None:
            raise Forbidden(CommonFault.POLICY_DENIED, action=action)
        with self.p.uow() as uow:
            self.enforce(uow, ctx, action, Target(project_id=project),
                         "auto_allocated_topology", project)
        return project

    @staticmethod
    def default_external(uow: UnitOfWork) -> Network:
        found = sorted(uow.networks.find(external=True, is_default=True),
                       key=lambda n: (n.created_at, n.id))
        if not found:
            raise Conflict(NetworkFault.AUTO_ALLOCATION_FAILED, reason=NO_DEFAULT_EXTERNAL)
        return found[0]

    def _pool(self) -> str | None:
        """Where the subnet comes from: None for the cloud's default IPv4 subnet pool (as
        in Neutron), else the configured prefix; neither: Neutron's 409."""
        with self.p.uow() as uow:
            if uow.subnetpools.find(is_default=True, ip_version=4):
                return None
        pool = self.p.config.auto_allocation_pool
        if not pool:
            raise Conflict(NetworkFault.AUTO_ALLOCATION_FAILED, reason=NO_DEFAULT_POOL)
        return pool

    @staticmethod
    def _recorded(uow: UnitOfWork, project_id: str) -> Topology | None:
        """The project's recorded topology, while its network is there (a user may have
        deleted it by hand: then it is built again, as if never made)."""
        row = uow.auto_allocated_topologies.get(project_id)
        if row is None or uow.networks.get(row.network_id) is None:
            return None
        return Topology(row.project_id, row.network_id, row.router_id)

    # -- use cases --------------------------------------------------------------------------
    def check(self, ctx: RequestContext, project_id: str | None) -> str:
        """?fields=dry-run: whether a topology can be made (a default external network and
        a default pool), without making one. Returns the project; raises Neutron's 409."""
        project = self._project(ctx, project_id, "network:auto_allocated_topology:get")
        with self.p.uow() as uow:
            self.default_external(uow)
        self._pool()
        return project

    def available(self) -> bool:
        """Whether this cloud is set up for auto-allocation at all (a default external
        network and a default pool), whoever asks."""
        with self.p.uow() as uow:
            pooled = bool(self.p.config.auto_allocation_pool
                          or uow.subnetpools.find(is_default=True, ip_version=4))
            return pooled and bool(uow.networks.find(external=True, is_default=True))

    def reject_fields(self, fields: list[str]) -> None:
        """Neutron answers only dry-run among ?fields= (anything else: 400)."""
        if fields:
            raise ValidationError(NetworkFault.AUTO_ALLOCATION_FIELD_UNKNOWN)

    def get(self, ctx: RequestContext, project_id: str | None) -> Topology:
        """The project's topology, made now if it has none."""
        project = self._project(ctx, project_id, "network:auto_allocated_topology:get")
        with self.p.uow() as uow:
            found = self._recorded(uow, project)
            if found is not None:
                return found
            # Fail fast when there is nothing to connect to.
            external = self.default_external(uow)
        pool = self._pool()
        network_id, router_id = self._build(ctx, project, external, pool)
        return self._save(ctx, project, network_id, router_id)

    def delete(self, ctx: RequestContext, project_id: str | None) -> None:
        """The project's topology torn down: its router's interfaces, the router, the
        network and its subnet. Nothing recorded: nothing to do (204 all the same). A
        network that servers still use is refused whole (409 NetworkInUse), before
        anything is removed."""
        project = self._project(ctx, project_id, "network:auto_allocated_topology:delete")
        with self.p.uow() as uow:
            row = uow.auto_allocated_topologies.get(project)
            if row is None:
                return
            topology = Topology(row.project_id, row.network_id, row.router_id)
            in_use = [p for p in uow.ports.find(network_id=row.network_id)
                      if p.device_owner not in OWN_PORT_OWNERS
                      and not (p.device_owner == DEVICE_OWNER_ROUTER_INTF
                               and p.device_id == row.router_id)]
            if in_use:
                raise Conflict(NetworkFault.NETWORK_IN_USE, network_id=row.network_id)
        self._cleanup(ctx, topology.network_id, topology.router_id)
        with self.p.uow(write=True) as uow:
            uow.auto_allocated_topologies.delete_where(project_id=project,
                                                       network_id=topology.network_id)
            self.record(uow, ctx, "auto_allocated_topology.delete",
                        "auto_allocated_topology", project, project,
                        {"network_id": topology.network_id, "router_id": topology.router_id})
            uow.commit()

    # -- building ---------------------------------------------------------------------------
    def _cidr(self, project: str, pool: str) -> str:
        with self.p.uow() as uow:
            subnets = uow.subnets.find()
        prefixlen = self.p.config.auto_allocation_prefixlen
        chosen = (free_prefix(pool, prefixlen, (s.cidr for s in subnets))
                  or free_prefix(pool, prefixlen,
                                 (s.cidr for s in subnets if s.project_id == project)))
        if chosen is None:
            raise Conflict(NetworkFault.AUTO_ALLOCATION_FAILED, reason=NO_PRIVATE_NETWORK)
        return chosen

    def _build(self, ctx: RequestContext, project: str, external: Network,
               pool: str | None) -> tuple[str, str]:
        """The network, subnet and router, made with the caller's rights; whatever was made
        is removed again when a step is refused (the refusal is raised: a quota's 409 as
        Neutron's OverQuota, a failed step as AutoAllocationFailure)."""
        network_id: str | None = None
        router_id: str | None = None
        try:
            network_id = self.networks.create(ctx, NewNetwork(
                name=NETWORK_NAME, admin_state_up=False, project_id=project)).network.id
            try:
                subnet = self.subnets.create(ctx, NewSubnet.from_default_pool(
                    network_id, 4, project, SUBNET_NAME) if pool is None else NewSubnet(
                    network_id=network_id, cidr=self._cidr(project, pool), name=SUBNET_NAME,
                    project_id=project))
            except NuageError as exc:
                _reword(exc, NO_PRIVATE_NETWORK)
                raise
            try:
                router_id = self.routers.create(ctx, NewRouter(
                    name=ROUTER_NAME, gateway=GatewayInfo(network_id=external.id),
                    project_id=project)).id
                self.routers.add_interface(ctx, router_id, subnet_id=subnet.id)
            except NuageError as exc:
                _reword(exc, NO_EXTERNAL_CONNECTIVITY)
                raise
        except BaseException:
            self._cleanup(ctx, network_id, router_id)
            raise
        return network_id, router_id

    def _save(self, ctx: RequestContext, project: str, network_id: str, router_id: str
              ) -> Topology:
        """Record the topology built, unless a concurrent ask recorded one first: then
        this one is removed and that one answered."""
        with self.p.uow(write=True) as uow:
            # Serialises the project's concurrent saves (PostgreSQL; SQLite's writer lock
            # already does): the second reads the first's row.
            uow.network.lock_project_quota(project)
            winner = self._recorded(uow, project)
            if winner is None:
                uow.auto_allocated_topologies.delete_where(project_id=project)
                uow.auto_allocated_topologies.add(
                    AutoAllocatedTopology(project, network_id, router_id))
                net = uow.networks.get_for_update(network_id)
                if net is not None:
                    net.admin_state_up = True
                    net.updated_at = self.p.clock.now()
                    net.revision_number += 1
                self.record(uow, ctx, "auto_allocated_topology.create",
                            "auto_allocated_topology", project, project,
                            {"network_id": network_id, "router_id": router_id})
                uow.commit()
        if winner is not None:
            self._cleanup(ctx, network_id, router_id)
            return winner
        self.wake(network_id)
        return Topology(project, network_id, router_id)

    def _cleanup(self, ctx: RequestContext, network_id: str | None,
                 router_id: str | None) -> None:
        """Remove what a build made (or a topology): each step may find its part gone
        already (a concurrent teardown), which is no failure."""
        if router_id is not None:
            with self.p.uow() as uow:
                interfaces = [p.id for p in self.routers.interfaces(uow, router_id)
                              if p.network_id == network_id]
            for port_id in interfaces:
                with contextlib.suppress(NuageError):
                    self.routers.remove_interface(ctx, router_id, port_id=port_id)
            with contextlib.suppress(NuageError):
                self.routers.delete(ctx, router_id)
        if network_id is not None:
            with contextlib.suppress(NuageError):
                self.networks.delete(ctx, network_id)


def _reword(exc: NuageError, reason: str) -> None:
    """Neutron's word for a step's refusal: quota stays OverQuota (and policy a 403), the
    caller re-raises those; anything else is the deployment's failure to provide that
    part (AutoAllocationFailure, 409)."""
    if exc.fault in (NetworkFault.OVER_QUOTA, NetworkFault.AUTO_ALLOCATION_FAILED) or \
            isinstance(exc, Forbidden):
        return
    raise Conflict(NetworkFault.AUTO_ALLOCATION_FAILED, reason=reason) from exc
