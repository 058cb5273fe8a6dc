"""Networks: create (with its segment), show, list, update, delete.

A project network gets the tenant type (VXLAN) and the lowest free segment id of the
tenant range, allocated in the transaction that creates it; the segments table's key is
(type, physical network, id), so two networks never hold one segment whoever allocates.
Provider attributes, `shared` and `router:external` are the cloud administrator's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from nuage.domain import network as rules
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, ValidationError
from nuage.domain.network import OWN_PORT_OWNERS, Network, NetworkType, Segment
from nuage.domain.network_errors import NetworkFault, Unavailable
from nuage.domain.network_rbac import WILDCARD
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network import rbac
from nuage.services.network.base import (
    NetworkPorts,
    NetworkUseCases,
    all_or_none,
    drop_port,
    granted_networks,
    network_target,
    shared_with_project,
)
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.quotas import NetworkQuotaService

MIN_MTU = 68


@dataclass(frozen=True)
class NewNetwork:
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    shared: bool = False
    external: bool = False
    # The cloud's default external network (stored on external networks only).
    is_default: bool = False
    mtu: int | None = None
    port_security_enabled: bool = True
    # provider:* (admins only); None lets the cloud choose.
    network_type: str | None = None
    physical_network: str | None = None
    segmentation_id: int | None = None
    # Another project's, for an admin acting for it.
    project_id: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkInfo:
    """A network and the ids of its subnets (Neutron shows them on the network)."""

    network: Network
    subnet_ids: list[str] = field(default_factory=list)
    # An RBAC policy shares it with the caller's project by name: Neutron shows `shared`
    # true to that project (services/network/rbac.py).
    shared_with_caller: bool = False

    @property
    def shared(self) -> bool:
        return self.network.shared or self.shared_with_caller


# Attributes an update may change, and the policy row each needs beyond "update".
UPDATABLE: dict[str, str | None] = {
    "name": None, "description": None, "admin_state_up": None, "mtu": None,
    "port_security_enabled": None, "shared": "network:network:update_shared",
    "external": "network:network:update_external",
    "is_default": "network:network:set_default",
    "network_type": "network:network:update_provider",
    "physical_network": "network:network:update_provider",
    "segmentation_id": "network:network:update_provider",
    "tags": None,
}


class NetworkService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    # -- segments ---------------------------------------------------------------------------
    def _segment(self, uow: UnitOfWork, cmd: NewNetwork) -> tuple[str, str | None, int | None]:
        """The segment (type, physical network, id) the new network gets."""
        cfg = self.p.config
        network_type = cmd.network_type or cfg.tenant_network_type
        rules.check_provider(network_type, cmd.physical_network, cmd.segmentation_id)
        if network_type == NetworkType.LOCAL:
            return network_type, None, None
        physnet = cmd.physical_network or ""
        uow.network.lock_segment_pool(network_type)
        if network_type == NetworkType.FLAT:
            # One flat network per physical network: id 0 stands for "the untagged one".
            if uow.segments.get((network_type, physnet, 0)) is not None:
                raise Conflict(NetworkFault.SEGMENT_TAKEN, network_type=network_type,
                               segmentation_id=physnet)
            return network_type, physnet, None
        if cmd.segmentation_id is not None:
            if uow.segments.get((network_type, physnet, cmd.segmentation_id)) is not None:
                raise Conflict(NetworkFault.SEGMENT_TAKEN, network_type=network_type,
                               segmentation_id=cmd.segmentation_id)
            return network_type, cmd.physical_network, cmd.segmentation_id
        low, high = rules.SEGMENT_RANGES[network_type]
        if network_type == cfg.tenant_network_type:
            low, high = max(low, cfg.segment_min), min(high, cfg.segment_max)
        free = rules.first_free_segment(uow.network.segment_ids(network_type, physnet),
                                        low, high)
        if free is None:
            raise Unavailable(NetworkFault.NO_SEGMENT_AVAILABLE, network_type=network_type)
        return network_type, cmd.physical_network, free

    def _mtu(self, network_type: str, asked: int | None) -> int:
        cfg = self.p.config
        maximum = cfg.overlay_mtu if network_type == NetworkType.VXLAN else cfg.physical_mtu
        if asked is None:
            return maximum
        if not MIN_MTU <= asked <= maximum:
            raise ValidationError(NetworkFault.MTU_INVALID, mtu=asked, maximum=maximum)
        return asked

    @staticmethod
    def _check_one_default(uow: UnitOfWork, network_id: str | None) -> None:
        """One default external network at a time (Neutron's DefaultExternalNetworkExists);
        `network_id` is the one becoming it."""
        for other in uow.networks.find(external=True, is_default=True):
            if other.id != network_id:
                raise Conflict(NetworkFault.DEFAULT_EXTERNAL_NETWORK_EXISTS,
                               network_id=other.id)

    # -- use cases --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewNetwork) -> NetworkInfo:
        self.require_user(ctx)
        project = self.owner_project(ctx, cmd.project_id)
        target = Target(project_id=project)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "network:network:create", target, "network", None)
            if cmd.shared:
                self.enforce(uow, ctx, "network:network:create_shared", target, "network",
                             None)
            if cmd.external:
                self.enforce(uow, ctx, "network:network:create_external", target,
                             "network", None)
            if cmd.is_default:
                self.enforce(uow, ctx, "network:network:set_default", target, "network",
                             None)
                if cmd.external:
                    self._check_one_default(uow, None)
            if (cmd.network_type, cmd.physical_network, cmd.segmentation_id) != (
                    None, None, None):
                self.enforce(uow, ctx, "network:network:create_provider", target,
                             "network", None)
            self.quotas.check(uow, project, "network")
            network_type, physnet, seg_id = self._segment(uow, cmd)
            now = self.p.clock.now()
            net = Network(
                id=str(uuid.uuid4()), project_id=project, created_at=now, updated_at=now,
                name=cmd.name, description=cmd.description,
                admin_state_up=cmd.admin_state_up, shared=cmd.shared, external=cmd.external,
                is_default=cmd.is_default and cmd.external,
                mtu=self._mtu(network_type, cmd.mtu),
                port_security_enabled=cmd.port_security_enabled, network_type=network_type,
                physical_network=physnet, segmentation_id=seg_id, tags=list(cmd.tags))
            uow.networks.add(net)
            if net.shared:
                rbac.share_with_all(self.p, uow, net)
            if net.external:
                rbac.external_for_all(self.p, uow, net)
            if network_type != NetworkType.LOCAL:
                uow.segments.add(Segment(network_type, physnet or "", seg_id or 0, net.id))
            self.record(uow, ctx, "network.create", "network", net.id, project,
                        {"name": net.name, "network_type": network_type,
                         "segmentation_id": seg_id, "shared": net.shared,
                         "external": net.external})
            uow.commit()
            self.wake(net.id)
            return NetworkInfo(net, [])

    def create_many(self, ctx: RequestContext, cmds: list[NewNetwork]) -> list[NetworkInfo]:
        return all_or_none(lambda c: self.create(ctx, c),
                           lambda i: self.delete(ctx, i.network.id), cmds)

    def get(self, ctx: RequestContext, network_id: str) -> NetworkInfo:
        self.require_user(ctx)
        with self.p.uow() as uow:
            net = self.find_network(uow, ctx, network_id)
            return NetworkInfo(net, self._subnet_ids(uow, [net.id]).get(net.id, []),
                               net.id in shared_with_project(uow, ctx))

    @staticmethod
    def _subnet_ids(uow: UnitOfWork, network_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for s in sorted(uow.subnets.find(network_id=network_ids), key=lambda s: s.created_at):
            found.setdefault(s.network_id, []).append(s.id)
        return found

    @staticmethod
    def visible_networks(uow: UnitOfWork, ctx: RequestContext) -> list[Network]:
        if policy.is_cloud_reader(ctx):
            return uow.networks.find()
        seen: dict[str, Network] = {}
        own = uow.networks.find(project_id=ctx.project_id) if ctx.project_id else []
        granted = list(granted_networks(uow, ctx))
        for net in [*own, *uow.networks.find(shared=True),
                    *(uow.networks.find(id=granted) if granted else [])]:
            seen[net.id] = net
        return list(seen.values())

    def list_networks(self, ctx: RequestContext, q: ListQuery) -> Page[NetworkInfo]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            nets = self.visible_networks(uow, ctx)
            granted = shared_with_project(uow, ctx)
            if "shared" in q.filters:
                # `shared` as the caller reads it: a policy naming its project counts.
                wanted_shared = {v.lower() for v in q.filters["shared"]}
                nets = [n for n in nets if ("true" if n.shared or n.id in granted
                                            else "false") in wanted_shared]
                q = ListQuery(**{**q.__dict__,
                                 "filters": {k: v for k, v in q.filters.items()
                                             if k != "shared"}})
            if "subnets" in q.filters:
                wanted = set(q.filters["subnets"])
                holders = {s.network_id for s in uow.subnets.find(id=list(wanted))}
                nets = [n for n in nets if n.id in holders]
                q = ListQuery(**{**q.__dict__,
                                 "filters": {k: v for k, v in q.filters.items()
                                             if k != "subnets"}})
            chosen = page(nets, q, "network", self.p.config.max_page)
            ids = self._subnet_ids(uow, [n.id for n in chosen.items])
        return Page([NetworkInfo(n, ids.get(n.id, []), n.id in granted)
                     for n in chosen.items], chosen.has_next, chosen.has_previous)

    def update(self, ctx: RequestContext, network_id: str, changes: dict[str, Any]
               ) -> NetworkInfo:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            net = self.find_network(uow, ctx, network_id, for_update=True)
            target = network_target(net)
            self.enforce(uow, ctx, "network:network:update", target, "network", net.id)
            for key in changes:
                row = UPDATABLE[key]
                if row is not None:
                    self.enforce(uow, ctx, row, target, "network", net.id)
            if any(k in changes for k in ("network_type", "physical_network",
                                          "segmentation_id")):
                # Moving a network to another segment would move its ports' traffic: Neutron
                # refuses it too.
                raise ValidationError(NetworkFault.PROVIDER_INVALID,
                                      reason="updating provider attributes is not supported")
            if changes.get("shared") is False and net.shared and rbac.ports_losing_access(
                    uow, net, rbac.wildcard_of(uow, net.id), WILDCARD):
                raise Conflict(NetworkFault.NETWORK_SHARED_IN_USE, network_id=net.id)
            if "mtu" in changes:
                changes = {**changes, "mtu": self._mtu(net.network_type, changes["mtu"])}
            if changes.get("shared") is True:
                # The wildcard policy is the truth; the column follows it (rbac.py).
                rbac.share_with_all(self.p, uow, net)
            elif changes.get("shared") is False:
                rbac.unshare_with_all(uow, net)
            if "external" in changes and changes["external"] != net.external:
                (rbac.external_for_all(self.p, uow, net) if changes["external"]
                 else rbac.not_external(uow, net))
            for key, value in changes.items():
                setattr(net, key, list(value) if key == "tags" else value)
            if net.is_default and net.external and changes.get("is_default"):
                self._check_one_default(uow, net.id)
            # Only an external network is a default one (Neutron keeps is_default on the
            # external network's row, which goes with router:external).
            net.is_default = net.is_default and net.external
            net.updated_at = self.p.clock.now()
            net.revision_number += 1
            self.record(uow, ctx, "network.update", "network", net.id, net.project_id,
                        {"changed": sorted(changes)})
            uow.commit()
            self.wake(net.id)
            return NetworkInfo(net, self._subnet_ids(uow, [net.id]).get(net.id, []),
                               net.id in shared_with_project(uow, ctx))

    def delete(self, ctx: RequestContext, network_id: str) -> None:
        """Refused (409 NetworkInUse) while ports other than the network's own DHCP ports
        remain; those, the subnets and the segment go with it."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            net = self.find_network(uow, ctx, network_id, for_update=True)
            self.enforce(uow, ctx, "network:network:delete", network_target(net), "network",
                         net.id)
            if net.external:
                # Unbound floating IPs go with their external network (Neutron's
                # delete_disassociated_floatingips); bound ones and gateways keep it.
                for fip in uow.floating_ips.find(floating_network_id=net.id, port_id=None):
                    drop_port(uow, fip.floating_port_id)
                    uow.floating_ips.delete(fip)
                    self.record(uow, ctx, "floatingip.delete", "floatingip", fip.id,
                                fip.project_id, {"floating_ip_address":
                                                 fip.floating_ip_address})
            ports = uow.ports.find(network_id=net.id)
            if any(p.device_owner not in OWN_PORT_OWNERS for p in ports):
                raise Conflict(NetworkFault.NETWORK_IN_USE, network_id=net.id)
            uow.ip_allocations.delete_where(network_id=net.id)
            if ports:
                uow.port_security_groups.delete_where(port_id=[p.id for p in ports])
            for port in ports:
                uow.ports.delete(port)
            uow.subnets.delete_where(network_id=net.id)
            uow.segments.delete_where(network_id=net.id)
            rbac.drop_network_policies(uow, net.id)
            uow.networks.delete(net)
            self.record(uow, ctx, "network.delete", "network", net.id, net.project_id,
                        {"name": net.name, "segmentation_id": net.segmentation_id})
            uow.commit()
            self.wake(net.id)
