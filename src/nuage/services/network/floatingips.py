"""Floating IPs: an address of an external network, held by a port of that network
(device_owner network:floatingip, no project, as in Neutron), and optionally bound to one
fixed IPv4 address of a project's port.

A binding needs a path: a router with an interface on the fixed address's subnet and its
gateway on the floating network (else 404 ExternalGatewayForFloatingIPNotFound). One
floating IP per fixed address and external network; the table's unique key backs it.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from typing import Any

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.domain.network import Network, Port
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_l3 import DEVICE_OWNER_FLOATINGIP, FloatingIp
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import (
    NetworkPorts,
    NetworkUseCases,
    all_or_none,
    drop_port,
    port_visible,
)
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.ports import FixedIp, PortService
from nuage.services.network.quotas import NetworkQuotaService
from nuage.services.network.routers import RouterService


@dataclass(frozen=True)
class NewFloatingIp:
    floating_network_id: str
    floating_ip_address: str | None = None
    subnet_id: str | None = None
    port_id: str | None = None
    fixed_ip_address: str | None = None
    description: str = ""
    project_id: str | None = None
    tags: tuple[str, ...] = ()


UPDATABLE = frozenset({"port_id", "fixed_ip_address", "description", "tags"})


def floatingip_visible(ctx: RequestContext, fip: FloatingIp) -> bool:
    return policy.may(ctx, "network:floatingip:get", Target(project_id=fip.project_id))


def _bad(reason: str) -> ValidationError:
    return ValidationError(NetworkFault.FLOATINGIP_BAD_REQUEST, reason=reason)


class FloatingIpService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService,
                 port_service: PortService, routers: RouterService) -> None:
        super().__init__(ports)
        self.quotas = quotas
        self.ports = port_service
        self.routers = routers

    @staticmethod
    def find_floatingip(uow: UnitOfWork, ctx: RequestContext, fip_id: str) -> FloatingIp:
        fip = uow.floating_ips.get(fip_id)
        if fip is None or not floatingip_visible(ctx, fip):
            raise NotFound("floatingip", fip_id)
        return fip

    def _address_port(self, uow: UnitOfWork, net: Network, fip_id: str, cmd: NewFloatingIp
                      ) -> Port:
        """The external network's port holding the floating address: the one asked for, or
        the lowest free one of the first IPv4 subnet with room."""
        subnets = sorted((s for s in uow.subnets.find(network_id=net.id) if s.ip_version == 4),
                         key=lambda s: s.created_at)
        if cmd.subnet_id is not None and cmd.subnet_id not in {s.id for s in subnets}:
            raise _bad(f"Subnet {cmd.subnet_id} is not an IPv4 subnet of network {net.id}")
        if cmd.floating_ip_address is not None or cmd.subnet_id is not None:
            asked = (FixedIp(cmd.subnet_id, cmd.floating_ip_address),)
            return self.ports.make_port(uow, net, "", fip_id, DEVICE_OWNER_FLOATINGIP, asked)
        if not subnets:
            raise _bad(f"Network {net.id} does not contain any IPv4 subnet")
        for i, subnet in enumerate(subnets):
            try:
                return self.ports.make_port(uow, net, "", fip_id, DEVICE_OWNER_FLOATINGIP,
                                            (FixedIp(subnet.id),))
            except Conflict as exc:
                if exc.fault != NetworkFault.NO_MORE_IPS or i == len(subnets) - 1:
                    raise
        raise AssertionError("unreachable")

    def _associate(self, uow: UnitOfWork, ctx: RequestContext, fip: FloatingIp, port_id: str,
                   fixed_ip: str | None) -> None:
        # Locked: two floating IPs binding one port's address at once queue here, so the
        # second sees the first (the unique key would otherwise refuse it as a 500).
        port = uow.ports.get_for_update(port_id)
        # Another project's port is absent, even when an admin made the floating IP for
        # this one: a floating IP binds within its project (Neutron).
        if port is None or not port_visible(ctx, port) or (
                port.project_id != fip.project_id and not policy.is_cloud_reader(ctx)):
            raise NotFound("port", port_id)
        v4 = [f for f in port.fixed_ips if ipaddress.ip_address(f["ip_address"]).version == 4]
        if fixed_ip is not None:
            chosen = next((f for f in port.fixed_ips if f["ip_address"] == fixed_ip), None)
            if chosen is None:
                raise _bad(f"Port {port.id} does not have fixed ip {fixed_ip}")
            if chosen not in v4:
                raise _bad(f"Cannot add floating IP to port {port.id} using the IPv6 address "
                           f"{fixed_ip}")
        elif not v4:
            raise _bad(f"Cannot add floating IP to port {port.id} that has no fixed IPv4 "
                       "addresses")
        elif len(v4) > 1:
            raise _bad(f"Port {port.id} has multiple fixed IPv4 addresses. Must provide a "
                       "specific IPv4 address when assigning a floating IP")
        else:
            chosen = v4[0]
        net = uow.networks.get(fip.floating_network_id)
        assert net is not None
        if port.network_id == net.id:
            raise _bad(f"Port {port.id} is on the floating IP's own network {net.id}")
        router = self.routers.router_between(uow, chosen["subnet_id"], net)
        if router is None:
            raise NotFound("external gateway", net.id, NetworkFault.EXTERNAL_GATEWAY_NOT_FOUND,
                           network_id=net.id, subnet_id=chosen["subnet_id"], port_id=port.id)
        holder = uow.floating_ips.first(floating_network_id=net.id, port_id=port.id,
                                        fixed_ip_address=chosen["ip_address"])
        if holder is not None and holder.id != fip.id:
            raise Conflict(NetworkFault.FIXED_IP_ALREADY_ASSOCIATED,
                           floating_ip_address=fip.floating_ip_address, floatingip_id=fip.id,
                           port_id=port.id, fixed_ip=chosen["ip_address"],
                           network_id=net.id)
        fip.port_id, fip.fixed_ip_address = port.id, chosen["ip_address"]
        fip.router_id, fip.status = router.id, "ACTIVE"

    @staticmethod
    def _disassociate(fip: FloatingIp) -> None:
        fip.port_id = fip.fixed_ip_address = fip.router_id = None
        fip.status = "DOWN"

    # -- use cases --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewFloatingIp) -> FloatingIp:
        self.require_user(ctx)
        project = self.owner_project(ctx, cmd.project_id)
        if cmd.fixed_ip_address is not None and cmd.port_id is None:
            raise _bad("fixed_ip_address cannot be specified without a port_id")
        with self.p.uow(write=True) as uow:
            net = self.find_network(uow, ctx, cmd.floating_network_id, for_update=True)
            self.enforce(uow, ctx, "network:floatingip:create", Target(project_id=project),
                         "floatingip", None)
            if cmd.floating_ip_address is not None:
                self.enforce(uow, ctx, "network:floatingip:set_address", Target(),
                             "floatingip", None)
            if not net.external:
                raise ValidationError(NetworkFault.NOT_EXTERNAL, resource="floatingip",
                                      network_id=net.id)
            self.quotas.check(uow, project, "floatingip")
            fip_id = str(uuid.uuid4())
            port = self._address_port(uow, net, fip_id, cmd)
            now = self.p.clock.now()
            fip = FloatingIp(id=fip_id, project_id=project, floating_network_id=net.id,
                             floating_ip_address=port.fixed_ips[0]["ip_address"],
                             floating_port_id=port.id, created_at=now, updated_at=now,
                             description=cmd.description, tags=list(cmd.tags))
            if cmd.port_id is not None:
                self._associate(uow, ctx, fip, cmd.port_id, cmd.fixed_ip_address)
            uow.floating_ips.add(fip)
            self.record(uow, ctx, "floatingip.create", "floatingip", fip.id, project,
                        {"floating_ip_address": fip.floating_ip_address,
                         "port_id": fip.port_id})
            uow.commit()
            self.wake(fip.floating_network_id)   # the router host's datapath follows
            return fip

    def create_many(self, ctx: RequestContext, cmds: list[NewFloatingIp]) -> list[FloatingIp]:
        return all_or_none(lambda c: self.create(ctx, c), lambda f: self.delete(ctx, f.id),
                           cmds)

    def get(self, ctx: RequestContext, fip_id: str) -> FloatingIp:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self.find_floatingip(uow, ctx, fip_id)

    def list_floatingips(self, ctx: RequestContext, q: ListQuery) -> Page[FloatingIp]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            if policy.is_cloud_reader(ctx):
                found = uow.floating_ips.find()
            else:
                found = (uow.floating_ips.find(project_id=ctx.project_id) if ctx.project_id
                         else [])
            return page(found, q, "floatingip", self.p.config.max_page)

    def update(self, ctx: RequestContext, fip_id: str, changes: dict[str, Any]) -> FloatingIp:
        """A port_id binds (or, None, unbinds) the floating IP; a fixed_ip_address picks
        which of the port's addresses."""
        self.require_user(ctx)
        changes = {k: v for k, v in changes.items() if k in UPDATABLE}
        if "fixed_ip_address" in changes and changes["fixed_ip_address"] is not None and (
                changes.get("port_id") is None):
            raise _bad("fixed_ip_address cannot be specified without a port_id")
        with self.p.uow(write=True) as uow:
            fip = self.find_floatingip(uow, ctx, fip_id)
            self.enforce(uow, ctx, "network:floatingip:update",
                         Target(project_id=fip.project_id), "floatingip", fip.id)
            if "port_id" in changes:
                if changes["port_id"] is None:
                    self._disassociate(fip)
                else:
                    self._associate(uow, ctx, fip, str(changes["port_id"]),
                                    changes.get("fixed_ip_address"))
            if "description" in changes:
                fip.description = changes["description"]
            if "tags" in changes:
                fip.tags = list(changes["tags"])
            fip.updated_at = self.p.clock.now()
            fip.revision_number += 1
            self.record(uow, ctx, "floatingip.update", "floatingip", fip.id, fip.project_id,
                        {"changed": sorted(changes), "port_id": fip.port_id})
            uow.commit()
            self.wake(fip.floating_network_id)   # the router host's datapath follows
            return fip

    def delete(self, ctx: RequestContext, fip_id: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            fip = self.find_floatingip(uow, ctx, fip_id)
            self.enforce(uow, ctx, "network:floatingip:delete",
                         Target(project_id=fip.project_id), "floatingip", fip.id)
            drop_port(uow, fip.floating_port_id)
            uow.floating_ips.delete(fip)
            self.record(uow, ctx, "floatingip.delete", "floatingip", fip.id, fip.project_id,
                        {"floating_ip_address": fip.floating_ip_address})
            uow.commit()
            self.wake(fip.floating_network_id)   # the router host's datapath follows
