"""What the network use cases share: ports, settings, who sees which network, subnet and
port, and the audit record."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nuage.domain import policy
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Forbidden, NotFound, NuageError
from nuage.domain.network import Network, NetworkType, Port, Subnet
from nuage.domain.network_rbac import WILDCARD, RbacAction, RbacObjectType
from nuage.domain.policy import Target
from nuage.ports.clock import Clock
from nuage.ports.network_agent import NetworkAgentChannel, NoNetworkAgents
from nuage.ports.repositories import UnitOfWork, UnitOfWorkFactory
from nuage.services.audit import Auditor

log = logging.getLogger(__name__)

C = TypeVar("C")
E = TypeVar("E")


def all_or_none(make: Callable[[C], E], undo: Callable[[E], None], commands: Sequence[C]
                ) -> list[E]:
    """Neutron's bulk create: every item or none. Each item is its own use case (its own
    transaction, policy check and audit event); when one is refused, those made before it
    are deleted again (on the audit trail too), and the refusal is raised."""
    made: list[E] = []
    try:
        for command in commands:
            made.append(make(command))
    except NuageError:
        for item in reversed(made):
            # Already gone (a concurrent delete): nothing left to undo.
            with contextlib.suppress(NuageError):
                undo(item)
        raise
    return made


@dataclass(frozen=True)
class QuotaDefaults:
    """Neutron's default quotas (quota_network, quota_subnet, quota_port,
    quota_security_group, quota_security_group_rule, quota_router, quota_floatingip, and
    quota_default for subnetpool); -1: none."""

    network: int = 100
    subnet: int = 100
    port: int = 500
    security_group: int = 10
    security_group_rule: int = 100
    router: int = 10
    floatingip: int = 50
    # Neutron registers subnetpool without a quota_ option: quota_default, -1.
    subnetpool: int = -1


@dataclass(frozen=True)
class NetworkConfig:
    # The type of a project network when the caller names none: VXLAN, so a network's
    # segment id already means something when several hosts join (VNIs, 24 bits).
    tenant_network_type: str = NetworkType.VXLAN.value
    # The segment ids tenant networks get (ml2_type_vxlan's vni_ranges).
    segment_min: int = 1
    segment_max: int = (1 << 24) - 1
    # A 1500-byte underlay less VXLAN's 50 bytes of headers, as Neutron computes it.
    overlay_mtu: int = 1450
    # The MTU of flat and VLAN networks (global_physnet_mtu).
    physical_mtu: int = 1500
    quotas: QuotaDefaults = QuotaDefaults()
    # Neutron's pagination_max_limit: a list never returns more than this at once.
    max_page: int = 1000
    # Where auto-allocated topologies take their IPv4 subnet from (nuage has no subnet
    # pools yet: this prefix stands for Neutron's default IPv4 subnet pool; "" is no
    # default pool) and the size of each (services/network/auto_allocation.py).
    auto_allocation_pool: str = "10.128.0.0/12"
    auto_allocation_prefixlen: int = 24


@dataclass(frozen=True)
class NetworkPorts:
    uow: UnitOfWorkFactory
    clock: Clock
    auditor: Auditor
    config: NetworkConfig
    # Wakes the network agents a change concerns (ports/network_agent.py).
    agents: NetworkAgentChannel = field(default_factory=NoNetworkAgents)


def granted_networks(uow: UnitOfWork, ctx: RequestContext) -> frozenset[str]:
    """The networks an RBAC policy opens to the caller besides those shared with all (the
    network's `shared`, seen without a lookup): every project's external networks (a
    wildcard access_as_external), and those shared or made external for the caller's
    project by name."""
    network = RbacObjectType.NETWORK.value
    ids = {p.object_id for p in uow.rbac_policies.find(
        object_type=network, action=RbacAction.ACCESS_AS_EXTERNAL.value,
        target_tenant=WILDCARD)}
    if ctx.project_id is not None:
        ids.update(p.object_id for p in uow.rbac_policies.find(
            object_type=network, target_tenant=ctx.project_id))
    return frozenset(ids)


def shared_with_project(uow: UnitOfWork, ctx: RequestContext) -> frozenset[str]:
    """The networks an access_as_shared policy names the caller's project for: Neutron
    shows them `shared` to it."""
    if ctx.project_id is None:
        return frozenset()
    return frozenset(p.object_id for p in uow.rbac_policies.find(
        object_type=RbacObjectType.NETWORK.value, action=RbacAction.ACCESS_AS_SHARED.value,
        target_tenant=ctx.project_id))


def network_target(net: Network, granted: Collection[str] = ()) -> Target:
    """`granted`: the networks RBAC opens to the caller (`granted_networks`)."""
    return Target(project_id=net.project_id, shared=net.shared or net.id in granted)


def network_visible(ctx: RequestContext, net: Network, granted: Collection[str] = ()) -> bool:
    return policy.may(ctx, "network:network:get", network_target(net, granted))


def subnet_visible(ctx: RequestContext, subnet: Subnet, net: Network | None,
                   granted: Collection[str] = ()) -> bool:
    """The subnet's own project sees it, and so does whoever sees its network (its owner
    included, when an admin made the subnet in another project): lists show the subnets of
    the networks the caller sees, and a show agrees."""
    shared = net is not None and (net.shared or net.id in granted)
    if policy.may(ctx, "network:subnet:get", Target(project_id=subnet.project_id,
                                                    shared=shared)):
        return True
    return net is not None and policy.may(ctx, "network:subnet:get",
                                          Target(project_id=net.project_id, shared=shared))


def port_visible(ctx: RequestContext, port: Port) -> bool:
    return policy.may(ctx, "network:port:get", Target(project_id=port.project_id))


class NetworkUseCases:
    def __init__(self, ports: NetworkPorts) -> None:
        self.p = ports

    @staticmethod
    def require_user(ctx: RequestContext) -> None:
        if not ctx.authenticated:
            raise Forbidden(CommonFault.AUTHENTICATION_REQUIRED)

    @staticmethod
    def owner_project(ctx: RequestContext, asked: str | None) -> str:
        """The project a new resource belongs to: the caller's, or the one an admin names
        (project_id or tenant_id in the body; the row decides who may name another)."""
        project = asked or ctx.project_id
        if project is None:
            raise Forbidden(CommonFault.POLICY_DENIED, action="network:network:create")
        return project

    def enforce(self, uow: UnitOfWork, ctx: RequestContext, action: str, target: Target,
                target_type: str, target_id: str | None) -> None:
        """`policy.enforce`, with the refusal on the audit trail (committed before the
        403, as the other areas do)."""
        if policy.may(ctx, action, target):
            return
        self.p.auditor.record(uow, ctx, action.replace(":", "."), target_type, target_id,
                              project_id=target.project_id, outcome=Outcome.DENIED)
        uow.commit()
        raise Forbidden(CommonFault.POLICY_DENIED, action=action)

    @staticmethod
    def find_network(uow: UnitOfWork, ctx: RequestContext, network_id: str,
                     for_update: bool = False) -> Network:
        """The network, or 404 when absent or invisible to the caller."""
        net = (uow.networks.get_for_update(network_id) if for_update
               else uow.networks.get(network_id))
        if net is None or not network_visible(ctx, net, granted_networks(uow, ctx)):
            raise NotFound("network", network_id)
        return net

    @staticmethod
    def find_subnet(uow: UnitOfWork, ctx: RequestContext, subnet_id: str) -> Subnet:
        subnet = uow.subnets.get(subnet_id)
        if subnet is None or not subnet_visible(ctx, subnet, uow.networks.get(subnet.network_id),
                                                granted_networks(uow, ctx)):
            raise NotFound("subnet", subnet_id)
        return subnet

    @staticmethod
    def find_port(uow: UnitOfWork, ctx: RequestContext, port_id: str) -> Port:
        port = uow.ports.get(port_id)
        if port is None or not port_visible(ctx, port):
            raise NotFound("port", port_id)
        return port

    def wake(self, network_id: str, hosts: Iterable[str] = ()) -> None:
        """Tell the agents concerned that intent changed on the network (and for the ports
        bound to `hosts`). Called after the commit, so that the pass it wakes reads the
        change; a failure to send is logged, never the failure of a change already made:
        the agents' periodic pass catches up."""
        try:
            self.p.agents.changed(network_id, [h for h in hosts if h])
        except Exception:
            log.exception("the network agents were not woken for network %s; their next "
                          "pass will act", network_id)

    def record(self, uow: UnitOfWork, ctx: RequestContext, action: str, target_type: str,
               target_id: str, project_id: str, detail: dict[str, Any] | None = None) -> None:
        self.p.auditor.record(uow, ctx, f"network.{action}", target_type, target_id,
                              project_id=project_id, detail=detail)


def drop_port(uow: UnitOfWork, port_id: str) -> None:
    """A port and what is recorded against it: its addresses and its security groups, so
    that no group stays "in use" by a port that is gone (every path that deletes a port
    goes through here: the port API, networks, routers, floating IPs, compute)."""
    uow.ip_allocations.delete_where(port_id=port_id)
    uow.port_security_groups.delete_where(port_id=port_id)
    uow.ports.delete_where(id=port_id)
