"""Ports: a MAC and fixed IPs on a network, for a device (a server's NIC, a router's
interface, the network's DHCP server).

Addresses are allocated in the transaction that creates the port, with the network's row
locked (PostgreSQL queues the network's other allocations behind it); the allocations'
key (subnet, address) lets the database itself refuse a second holder. A MAC is
fa:16:3e plus 24 random bits, drawn again while the network already has it.
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from nuage.domain import network as rules
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.domain.network import (
    DEVICE_OWNER_ROUTER_INTF,
    NETWORK_DEVICE_PREFIX,
    ROUTER_OWNERS,
    VNIC_TYPES,
    IpAllocation,
    Network,
    Port,
    Subnet,
)
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_l3 import DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_GW
from nuage.domain.network_security import PortSecurityGroup
from nuage.domain.policy import Target
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import (
    NetworkPorts,
    NetworkUseCases,
    all_or_none,
    drop_port,
)
from nuage.services.network.listing import ListQuery, Page, page
from nuage.services.network.quotas import NetworkQuotaService
from nuage.services.network.security_groups import ensure_default_group

MAC_ATTEMPTS = 32


@dataclass(frozen=True)
class FixedIp:
    """One asked-for address: a subnet, an address, or both."""

    subnet_id: str | None = None
    ip_address: str | None = None


@dataclass(frozen=True)
class NewPort:
    network_id: str
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    mac_address: str | None = None
    # None: one address from the network's subnets, chosen by the cloud.
    fixed_ips: tuple[FixedIp, ...] | None = None
    device_id: str = ""
    device_owner: str = ""
    # None: the network's setting.
    port_security_enabled: bool | None = None
    allowed_address_pairs: list[dict[str, str]] = field(default_factory=list)
    binding_host_id: str | None = None
    binding_vnic_type: str | None = None
    binding_profile: dict[str, Any] | None = None
    project_id: str | None = None
    tags: tuple[str, ...] = ()
    # None: the project's default group (with port security, on a port that is not the
    # network's own); () for none.
    security_groups: tuple[str, ...] | None = None


UPDATABLE = frozenset({"name", "description", "admin_state_up", "device_id", "device_owner",
                       "mac_address", "fixed_ips", "port_security_enabled",
                       "allowed_address_pairs", "binding_host_id", "binding_vnic_type",
                       "binding_profile", "tags", "security_groups"})


# Ports whose owner (a router, a floating IP) deletes them.
L3_OWNERS = frozenset({DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_ROUTER_GW,
                       DEVICE_OWNER_FLOATINGIP})


class PortService(NetworkUseCases):
    def __init__(self, ports: NetworkPorts, quotas: NetworkQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    # -- MAC and addresses ------------------------------------------------------------------
    @staticmethod
    def _mac(uow: UnitOfWork, net: Network, asked: str | None) -> str:
        if asked is not None:
            mac = rules.normalise_mac(asked)
            if uow.ports.first(network_id=net.id, mac_address=mac) is not None:
                raise Conflict(NetworkFault.MAC_TAKEN, mac_address=mac, network_id=net.id)
            return mac
        for _ in range(MAC_ATTEMPTS):
            mac = rules.mac_from(secrets.randbits(24))
            if uow.ports.first(network_id=net.id, mac_address=mac) is None:
                return mac
        # 32 draws all taken: the network holds millions of ports; the MAC space is full.
        raise Conflict(NetworkFault.MAC_TAKEN, mac_address=rules.MAC_PREFIX + ":*",
                       network_id=net.id)

    @staticmethod
    def _taken(uow: UnitOfWork, subnet: Subnet, port_id: str | None) -> set[str]:
        return {a.ip_address for a in uow.ip_allocations.find(subnet_id=subnet.id)
                if a.port_id != port_id}

    def _allocate(self, uow: UnitOfWork, net: Network, port_id: str, mac: str,
                  device_owner: str, asked: tuple[FixedIp, ...] | None,
                  keep: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
        """The port's fixed IPs, recorded as allocations; `keep` are addresses it holds
        already (an update keeps those it asks for again)."""
        subnets = sorted(uow.subnets.find(network_id=net.id), key=lambda s: s.created_at)
        by_id = {s.id: s for s in subnets}
        router = device_owner in ROUTER_OWNERS
        held = {(f["subnet_id"], f["ip_address"]) for f in keep or []}
        chosen: list[tuple[Subnet, str]] = []
        pending: dict[str, set[str]] = {}

        def take(subnet: Subnet, ip: str | None) -> None:
            taken = self._taken(uow, subnet, port_id) | pending.setdefault(subnet.id, set())
            if ip is None:
                if subnet.auto_address and not router:
                    ip = rules.eui64_address(subnet.cidr, mac)
                else:
                    ip = rules.first_free_address(subnet, taken)
                    if ip is None:
                        raise Conflict(NetworkFault.NO_MORE_IPS, network_id=net.id)
            else:
                address = str(rules.check_fixed_ip(subnet, ip))
                if subnet.auto_address and not router and (subnet.id, address) not in held:
                    raise ValidationError(NetworkFault.IP_ON_SLAAC_SUBNET, ip_address=ip,
                                          subnet_id=subnet.id)
                if address in taken or (address == subnet.gateway_ip and not router):
                    raise Conflict(NetworkFault.IP_TAKEN, ip_address=address,
                                   network_id=net.id)
                ip = address
            pending[subnet.id].add(ip)
            chosen.append((subnet, ip))

        if asked is None:
            # Neutron's choice: one address of the first IPv4 subnet with room, one of the
            # first stateful IPv6 subnet, and every auto-address IPv6 subnet's.
            for version in (4, 6):
                fixed = [s for s in subnets if s.ip_version == version and not s.auto_address]
                for i, subnet in enumerate(fixed):
                    try:
                        take(subnet, None)
                        break
                    except Conflict:
                        if i == len(fixed) - 1:
                            raise
            for subnet in subnets:
                if subnet.auto_address and not router:
                    take(subnet, None)
        else:
            for item in asked:
                if item.subnet_id is not None:
                    named = by_id.get(item.subnet_id)
                    if named is None:
                        raise ValidationError(NetworkFault.SUBNET_NOT_ON_NETWORK,
                                              subnet_id=item.subnet_id, network_id=net.id)
                    take(named, item.ip_address)
                elif item.ip_address is not None:
                    subnet = self._subnet_holding(subnets, item.ip_address)
                    take(subnet, item.ip_address)
        uow.ip_allocations.delete_where(port_id=port_id)
        for subnet, ip in chosen:
            uow.ip_allocations.add(IpAllocation(subnet.id, ip, port_id, net.id))
        return [{"subnet_id": s.id, "ip_address": ip} for s, ip in chosen]

    def _readdress(self, uow: UnitOfWork, net: Network, port: Port) -> None:
        """A new MAC moves the port's EUI-64 addresses with it; the others stay."""
        auto = {s.id for s in uow.subnets.find(network_id=net.id) if s.auto_address}
        if not any(f["subnet_id"] in auto for f in port.fixed_ips):
            return
        again = tuple(FixedIp(subnet_id=f["subnet_id"],
                              ip_address=None if f["subnet_id"] in auto else f["ip_address"])
                      for f in port.fixed_ips)
        port.fixed_ips = self._allocate(uow, net, port.id, port.mac_address, port.device_owner,
                                        again, port.fixed_ips)

    @staticmethod
    def _subnet_holding(subnets: list[Subnet], ip_address: str) -> Subnet:
        try:
            address = ipaddress.ip_address(ip_address)
        except ValueError as exc:
            raise ValidationError(NetworkFault.IP_INVALID_FOR_NETWORK,
                                  ip_address=ip_address) from exc
        for subnet in subnets:
            if address in ipaddress.ip_network(subnet.cidr):
                return subnet
        raise ValidationError(NetworkFault.IP_INVALID_FOR_NETWORK, ip_address=ip_address)

    # What compute_binding.py allocates a server's port with, in compute's unit of work.
    def mac(self, uow: UnitOfWork, net: Network, asked: str | None) -> str:
        return self._mac(uow, net, asked)

    def allocate(self, uow: UnitOfWork, net: Network, port_id: str, mac: str,
                 device_owner: str, asked: tuple[FixedIp, ...] | None) -> list[dict[str, str]]:
        return self._allocate(uow, net, port_id, mac, device_owner, asked)

    # -- who may set what -------------------------------------------------------------------
    def _check_rows(self, uow: UnitOfWork, ctx: RequestContext, net: Network, port_id: str | None,
                    values: dict[str, Any]) -> None:
        """The network owner's rows for what touches the network's plumbing, the admin's
        for the binding."""
        owner = Target(project_id=net.project_id)
        rows = []
        if str(values.get("device_owner") or "").startswith(NETWORK_DEVICE_PREFIX):
            rows.append("network:port:set_network_device_owner")
        if values.get("mac_address") is not None:
            rows.append("network:port:set_mac_address")
        if any(f.ip_address is not None for f in values.get("fixed_ips") or ()):
            rows.append("network:port:set_fixed_ip_address")
        if values.get("port_security_enabled") is not None:
            rows.append("network:port:set_port_security")
        if values.get("allowed_address_pairs"):
            rows.append("network:port:set_allowed_address_pairs")
        for row in rows:
            self.enforce(uow, ctx, row, owner, "port", port_id)
        if values.get("binding_host_id") is not None or values.get("binding_profile") is not None:
            self.enforce(uow, ctx, "network:port:update_binding", Target(), "port", port_id)

    @staticmethod
    def _check_router_device(uow: UnitOfWork, ctx: RequestContext, project_id: str,
                             device_owner: str, device_id: str) -> None:
        """A port may serve a router only of its own project (Neutron's
        _enforce_device_owner_not_router_intf_or_device_id): otherwise a project could
        make another's router appear attached to its network, and services that trust a
        router's ports (the metadata service's router path, the datapath's router legs)
        would follow it."""
        if not device_id or policy.may(ctx, "network:port:serve_any_router"):
            return
        router = uow.routers.get(device_id)
        if router is None and device_owner not in ROUTER_OWNERS:
            return
        if router is None or router.project_id != project_id:
            raise Conflict(NetworkFault.DEVICE_ID_NOT_OWNED, device_id=device_id)

    @staticmethod
    def _check_pairs(port_id: str, security: bool, pairs: list[dict[str, str]]
                     ) -> list[dict[str, str]]:
        if pairs and not security:
            raise Conflict(NetworkFault.ADDRESS_PAIRS_NEED_PORT_SECURITY, port_id=port_id)
        out = []
        for pair in pairs:
            rules.check_address_pair(pair)
            entry = {"ip_address": str(pair["ip_address"])}
            if pair.get("mac_address"):
                entry["mac_address"] = rules.normalise_mac(str(pair["mac_address"]))
            out.append(entry)
        return out

    # -- security groups --------------------------------------------------------------------
    @staticmethod
    def _checked_groups(uow: UnitOfWork, ctx: RequestContext, project_id: str,
                        asked: tuple[str, ...] | list[str]) -> list[str]:
        """Each group exists and is the port's project's (an admin may name anyone's, as
        Neutron lets it); otherwise 404 SecurityGroupNotFound naming the missing ones."""
        wanted = list(dict.fromkeys(asked))
        found = {g.id: g for g in uow.security_groups.find(id=wanted)} if wanted else {}
        missing = [i for i in wanted if i not in found or not (
            found[i].project_id == project_id or policy.may(
                ctx, "network:security_group:get", Target(project_id=found[i].project_id)))]
        if missing:
            raise NotFound("security_group", ", ".join(missing))
        return wanted

    def _groups_of_new_port(self, uow: UnitOfWork, ctx: RequestContext, project: str,
                            security: bool, cmd: NewPort) -> list[str]:
        """Neutron's choice: the named groups (only with port security); none named, the
        project's default group, except on the network's own ports or without port
        security."""
        if cmd.security_groups is None:
            if not security or cmd.device_owner.startswith(NETWORK_DEVICE_PREFIX):
                return []
            return [ensure_default_group(self.p, uow, ctx, project).id]
        if cmd.security_groups and not security:
            raise ValidationError(NetworkFault.PORT_SECURITY_REQUIRED_FOR_GROUPS, port_id=None)
        return self._checked_groups(uow, ctx, project, cmd.security_groups)

    @staticmethod
    def bind_groups(uow: UnitOfWork, port: Port, groups: list[str]) -> None:
        uow.port_security_groups.delete_where(port_id=port.id)
        for group_id in groups:
            uow.port_security_groups.add(PortSecurityGroup(port.id, group_id))
        port.security_groups = list(groups)

    @staticmethod
    def _vnic(value: str | None) -> str:
        if value is None:
            return "normal"
        if value not in VNIC_TYPES:
            raise ValidationError(NetworkFault.ADDRESS_INVALID, attribute="binding:vnic_type",
                                  value=value)
        return value

    def allocate_for(self, uow: UnitOfWork, net: Network, port: Port,
                     asked: tuple[FixedIp, ...]) -> list[dict[str, str]]:
        """New fixed IPs for a port of the cloud's own (it keeps those asked again)."""
        return self._allocate(uow, net, port.id, port.mac_address, port.device_owner, asked,
                              port.fixed_ips)

    def make_port(self, uow: UnitOfWork, net: Network, project: str, device_id: str,
                  device_owner: str, asked: tuple[FixedIp, ...] | None) -> Port:
        """A port of the cloud's own plumbing (a router's interface or gateway, a floating
        IP's), made by the use case that needs it, in its unit of work: no policy row or
        quota of its own (Neutron's internal create_port), the same MAC and address
        allocation as any port."""
        port_id = str(uuid.uuid4())
        mac = self._mac(uow, net, None)
        fixed = self._allocate(uow, net, port_id, mac, device_owner, asked)
        now = self.p.clock.now()
        port = Port(id=port_id, project_id=project, network_id=net.id, mac_address=mac,
                    created_at=now, updated_at=now, fixed_ips=fixed, device_id=device_id,
                    device_owner=device_owner, port_security_enabled=False)
        uow.ports.add(port)
        return port

    # -- use cases --------------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewPort) -> Port:
        self.require_user(ctx)
        project = self.owner_project(ctx, cmd.project_id)
        port_id = str(uuid.uuid4())
        with self.p.uow(write=True) as uow:
            # Another project's network that is not shared is invisible: 404, as Neutron.
            net = self.find_network(uow, ctx, cmd.network_id, for_update=True)
            self.enforce(uow, ctx, "network:port:create", Target(project_id=project), "port",
                         None)
            self._check_rows(uow, ctx, net, None, cmd.__dict__)
            self._check_router_device(uow, ctx, project, cmd.device_owner, cmd.device_id)
            self.quotas.check(uow, project, "port")
            mac = self._mac(uow, net, cmd.mac_address)
            security = (net.port_security_enabled if cmd.port_security_enabled is None
                        else cmd.port_security_enabled)
            pairs = self._check_pairs(port_id, security, cmd.allowed_address_pairs)
            groups = self._groups_of_new_port(uow, ctx, project, security, cmd)
            fixed = self._allocate(uow, net, port_id, mac, cmd.device_owner, cmd.fixed_ips)
            now = self.p.clock.now()
            port = Port(
                id=port_id, project_id=project, network_id=net.id, mac_address=mac,
                created_at=now, updated_at=now, name=cmd.name, description=cmd.description,
                admin_state_up=cmd.admin_state_up, fixed_ips=fixed, device_id=cmd.device_id,
                device_owner=cmd.device_owner, port_security_enabled=security,
                allowed_address_pairs=pairs, binding_host_id=cmd.binding_host_id or "",
                binding_vnic_type=self._vnic(cmd.binding_vnic_type),
                binding_profile=dict(cmd.binding_profile or {}), tags=list(cmd.tags))
            uow.ports.add(port)
            self.bind_groups(uow, port, groups)
            self.record(uow, ctx, "port.create", "port", port.id, project,
                        {"network_id": net.id, "mac_address": mac,
                         "fixed_ips": [f["ip_address"] for f in fixed],
                         "device_owner": cmd.device_owner, "security_groups": groups})
            uow.commit()
            self.wake(net.id, [port.binding_host_id])
            return port

    def create_many(self, ctx: RequestContext, cmds: list[NewPort]) -> list[Port]:
        return all_or_none(lambda c: self.create(ctx, c), lambda p: self.delete(ctx, p.id),
                           cmds)

    def get(self, ctx: RequestContext, port_id: str) -> Port:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self.find_port(uow, ctx, port_id)

    def list_ports(self, ctx: RequestContext, q: ListQuery) -> Page[Port]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            if policy.is_cloud_reader(ctx):
                found = uow.ports.find()
            else:
                found = uow.ports.find(project_id=ctx.project_id) if ctx.project_id else []
            return page(found, q, "port", self.p.config.max_page)

    def update(self, ctx: RequestContext, port_id: str, changes: dict[str, Any]) -> Port:
        self.require_user(ctx)
        changes = {k: v for k, v in changes.items() if k in UPDATABLE}
        with self.p.uow(write=True) as uow:
            port = self.find_port(uow, ctx, port_id)
            net = self.find_network(uow, ctx, port.network_id, for_update=True)
            self.enforce(uow, ctx, "network:port:update", Target(project_id=port.project_id),
                         "port", port.id)
            self._check_rows(uow, ctx, net, port.id, changes)
            if "device_owner" in changes or "device_id" in changes:
                self._check_router_device(
                    uow, ctx, port.project_id,
                    str(changes.get("device_owner", port.device_owner) or ""),
                    str(changes.get("device_id", port.device_id) or ""))
            if "mac_address" in changes:
                mac = rules.normalise_mac(str(changes["mac_address"]))
                if mac != port.mac_address:
                    port.mac_address = self._mac(uow, net, mac)
                    if "fixed_ips" not in changes:
                        self._readdress(uow, net, port)
            security = changes.get("port_security_enabled", port.port_security_enabled)
            pairs = changes.get("allowed_address_pairs", port.allowed_address_pairs)
            port.allowed_address_pairs = self._check_pairs(port.id, security, pairs)
            port.port_security_enabled = security
            if "security_groups" in changes:
                asked = list(changes["security_groups"] or [])
                if asked and not security:
                    raise ValidationError(NetworkFault.PORT_SECURITY_REQUIRED_FOR_GROUPS,
                                          port_id=port.id)
                self.bind_groups(uow, port, self._checked_groups(uow, ctx, port.project_id,
                                                                  asked))
            elif port.security_groups and not security:
                raise Conflict(NetworkFault.PORT_HAS_SECURITY_GROUPS, port_id=port.id)
            if "fixed_ips" in changes:
                port.fixed_ips = self._allocate(uow, net, port.id, port.mac_address,
                                                changes.get("device_owner", port.device_owner),
                                                tuple(changes["fixed_ips"]), port.fixed_ips)
            if "binding_vnic_type" in changes:
                port.binding_vnic_type = self._vnic(changes["binding_vnic_type"])
            bound_to = port.binding_host_id
            for key in ("name", "description", "admin_state_up", "device_id", "device_owner",
                        "binding_host_id"):
                if key in changes:
                    setattr(port, key, changes[key] if changes[key] is not None else "")
            if "binding_profile" in changes:
                port.binding_profile = dict(changes["binding_profile"] or {})
            if "tags" in changes:
                port.tags = list(changes["tags"])
            port.updated_at = self.p.clock.now()
            port.revision_number += 1
            self.record(uow, ctx, "port.update", "port", port.id, port.project_id,
                        {"changed": sorted(changes)})
            if port.binding_host_id != bound_to:
                # Plugged nowhere yet: the new host's agent reports it ACTIVE once plugged.
                port.status = "DOWN"
                port.binding_vif_type = "unbound"
            uow.commit()
            self.wake(net.id, [bound_to, port.binding_host_id])
            return port

    @staticmethod
    def _l3_owner_exists(uow: UnitOfWork, port: Port) -> bool:
        if port.device_owner == DEVICE_OWNER_FLOATINGIP:
            return uow.floating_ips.first(floating_port_id=port.id) is not None
        return uow.routers.get(port.device_id) is not None

    def delete(self, ctx: RequestContext, port_id: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            port = self.find_port(uow, ctx, port_id)
            self.enforce(uow, ctx, "network:port:delete", Target(project_id=port.project_id),
                         "port", port.id)
            # A router's or a floating IP's port goes through its owner (Neutron's
            # prevent_l3_port_deletion), so the router never loses an interface unseen.
            if port.device_owner in L3_OWNERS and self._l3_owner_exists(uow, port):
                raise Conflict(NetworkFault.L3_PORT_IN_USE, port_id=port.id,
                               device_owner=port.device_owner)
            # Floating IPs on it let go (Neutron disassociates them).
            for fip in uow.floating_ips.find(port_id=port.id):
                fip.port_id = fip.fixed_ip_address = fip.router_id = None
                fip.status = "DOWN"
                fip.revision_number += 1
            drop_port(uow, port.id)
            self.record(uow, ctx, "port.delete", "port", port.id, port.project_id,
                        {"network_id": port.network_id, "mac_address": port.mac_address})
            uow.commit()
            self.wake(port.network_id, [port.binding_host_id])
