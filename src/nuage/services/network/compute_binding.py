"""The ServerNetworks port compute needs (ports/compute_network.py), answered by the
network service of this deployment, as services/image/compute_source.py answers
ImageSource.

Ports are written in compute's unit of work (the same database): a server and its ports
are stored, or refused, together. Neutron's own refusals (an address taken, a full
subnet, the port quota) are turned into compute's faults here, so that the Nova API says
them in Nova's words.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable

from nuage.domain import policy
from nuage.domain.compute_errors import ComputeFault, OverLimit
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, NuageError, ValidationError
from nuage.domain.network import Network, Port, Subnet
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_security import DEFAULT_GROUP_NAME, SecurityGroup
from nuage.ports.compute_network import (
    DEVICE_OWNER,
    GroupRule,
    NetworkQuotas,
    NetworkRequest,
    NicAddress,
    ServerGroup,
    ServerNic,
)
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.auto_allocation import AutoAllocationService
from nuage.services.network.base import (
    drop_port,
    granted_networks,
    network_visible,
    port_visible,
)
from nuage.services.network.ports import FixedIp, PortService
from nuage.services.network.quotas import used
from nuage.services.network.security_groups import ensure_default_group, group_visible

log = logging.getLogger(__name__)
# In binding:profile (admin-only in Neutron's policy) of the ports compute created, so
# that a server's delete removes those and only unbinds the ports its user passed.
CREATED_MARK = "nuage_created_by"
# Also there: the NIC's position in the server's request (eth0, eth1, ... in the guest
# follow it, as in Nova, whichever port was made first).
NIC_INDEX = "nuage_nic_index"
# Also there: the device tag an os-interface attach gave (2.49).
NIC_TAG = "nuage_tag"
# The audit's actor for a release after the guest is gone (no user request then).
RELEASER = RequestContext(request_id="compute-release", user_id="nuage-compute",
                          system=True, roles=frozenset({"admin", "member", "reader"}))

# Nova's names of the network quotas it shows (before 2.36), and Neutron's resources.
NOVA_QUOTA_NAMES = {"floating_ips": "floatingip", "networks": "network",
                    "security_groups": "security_group",
                    "security_group_rules": "security_group_rule"}

_ADDRESS_FAULTS = {NetworkFault.IP_INVALID_FOR_NETWORK, NetworkFault.IP_INVALID_FOR_SUBNET,
                   NetworkFault.IP_ON_SLAAC_SUBNET}


class ComputeNetworkBinding:
    """ServerNetworks over this deployment's port use cases."""

    def __init__(self, ports: PortService) -> None:
        self._ports = ports
        # The network agents' wake-up (set by the composition root once they exist).
        self.notify: Callable[[str], None] | None = None
        # What "auto" builds when the project has no network (set by build_network).
        self.auto_allocation: AutoAllocationService | None = None

    # -- refusals before anything is stored ---------------------------------------------------
    def check(self, uow: UnitOfWork, ctx: RequestContext,
              requests: tuple[NetworkRequest, ...], count: int) -> None:
        for request in requests:
            if request.port_id is not None:
                if count > 1:
                    raise ValidationError(ComputeFault.SERVER_PORT_WITH_COUNT)
                self._free_port(uow, ctx, request.port_id)
            else:
                if request.fixed_ip is not None and count > 1:
                    raise ValidationError(ComputeFault.SERVER_FIXED_IP_WITH_COUNT)
                self._network(uow, ctx, str(request.network_id))
        named = [r.port_id for r in requests if r.port_id is not None]
        for port_id in named:
            if named.count(port_id) > 1:
                # One port cannot be two NICs (Nova: the second finds it in use).
                raise Conflict(ComputeFault.SERVER_PORT_IN_USE, port_id=port_id)

    def _usable(self, uow: UnitOfWork, ctx: RequestContext) -> list[Network]:
        """Nova's available networks for "auto" (and no networks at all): the project's
        own and the shared ones (with all, or with it by an RBAC policy) together, with a
        subnet (never an external network, nor another project's private network, which a
        cloud administrator also sees). The
        project's admin-down ones are left out as Nova leaves them out for "auto": an
        auto-allocated network is down until its topology is recorded."""
        granted = granted_networks(uow, ctx)
        return [n for n in uow.networks.find()
                if not n.external and network_visible(ctx, n, granted)
                and ((n.project_id == ctx.project_id and n.admin_state_up) or n.shared
                     or n.id in granted)
                and uow.subnets.first(network_id=n.id) is not None]

    def prepare_auto(self, ctx: RequestContext) -> None:
        """Nova's "auto" (2.37): when the project has no network to use, its
        auto-allocated topology, made now (services/network/auto_allocation.py). A cloud
        where auto-allocation is not set up (no default external network, no default
        pool) keeps nuage's answer from before it: no NIC, as "none" (openstacksdk and the
        CLI send "auto" whenever no network is named). A project whose topology cannot be
        made (a quota) gets Nova's 400 UnableToAutoAllocateNetwork."""
        with self._ports.p.uow() as uow:
            if self._usable(uow, ctx):
                return
        if self.auto_allocation is None or not self.auto_allocation.available():
            return
        try:
            self.auto_allocation.get(ctx, ctx.project_id)
        except NuageError as exc:
            log.info("no auto-allocated topology for project %s: %s", ctx.project_id, exc)
            raise ValidationError(ComputeFault.SERVER_NETWORK_AUTO_ALLOCATION_FAILED,
                                  project_id=ctx.project_id) from exc

    def auto(self, uow: UnitOfWork, ctx: RequestContext) -> tuple[NetworkRequest, ...]:
        candidates = self._usable(uow, ctx)
        if len(candidates) > 1:
            # Nova: attaching to several by default makes no sense (the order would be
            # arbitrary and the guest would not know which to configure).
            raise Conflict(ComputeFault.SERVER_NETWORK_AMBIGUOUS)
        return tuple(NetworkRequest(network_id=n.id) for n in candidates)

    # -- allocation ------------------------------------------------------------------------
    def find_groups(self, uow: UnitOfWork, ctx: RequestContext, names: tuple[str, ...]
                    ) -> tuple[str, ...]:
        ids: list[str] = []
        for name in names:
            group = self._group(uow, ctx, name)
            if group is None:
                raise ValidationError(ComputeFault.SERVER_SECURITY_GROUP_NOT_FOUND, group=name)
            if group.id not in ids:
                ids.append(group.id)
        return tuple(ids)

    def _group(self, uow: UnitOfWork, ctx: RequestContext, name: str
               ) -> SecurityGroup | None:
        """A group by name in the caller's project (a name wins over an id, as Nova's
        lookup; two of that name: 409), else by id among the groups the caller may see.
        "default" is the project's default group, made now if it has none yet."""
        project_id = ctx.project_id
        if project_id is not None:
            if name == DEFAULT_GROUP_NAME:
                return ensure_default_group(self._ports.p, uow, ctx, project_id)
            named = uow.security_groups.find(project_id=project_id, name=name)
            if len(named) > 1:
                raise Conflict(ComputeFault.SERVER_GROUP_AMBIGUOUS, group=name)
            if named:
                return named[0]
        group = uow.security_groups.get(name)
        if group is not None and group_visible(ctx, group):
            return group
        return None

    def allocate(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                 project_id: str, host: str, requests: tuple[NetworkRequest, ...],
                 security_groups: tuple[str, ...] | None = None) -> list[ServerNic]:
        created = sum(1 for r in requests if r.port_id is None)
        if created:
            try:
                self._ports.quotas.check(uow, project_id, "port", created)
            except Conflict as exc:
                raise OverLimit(ComputeFault.SERVER_PORT_LIMIT_EXCEEDED) from exc
        ports: list[Port] = []
        for index, request in enumerate(requests):
            if request.port_id is not None:
                port = self._free_port(uow, ctx, request.port_id)
                self._take(uow, ctx, port, server_id, host, index)
            else:
                port = self._create(uow, ctx, server_id, project_id, host, request, index,
                                    security_groups)
            if request.tag is not None:
                port.binding_profile = {**port.binding_profile, NIC_TAG: request.tag}
            ports.append(port)
        return [self._nic(uow, port, {}, {}) for port in ports]

    def _take(self, uow: UnitOfWork, ctx: RequestContext, port: Port, server_id: str,
              host: str, index: int) -> None:
        """The caller's port becomes the server's NIC number `index`, bound to `host`."""
        port.device_id, port.device_owner = server_id, DEVICE_OWNER
        port.binding_host_id = host
        port.binding_profile = {**port.binding_profile, NIC_INDEX: index}
        port.updated_at = self._ports.p.clock.now()
        port.revision_number += 1
        self._ports.record(uow, ctx, "port.update", "port", port.id, port.project_id,
                           {"changed": ["binding_host_id", "device_id", "device_owner"]})

    def _create(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, project_id: str,
                host: str, request: NetworkRequest, index: int,
                security_groups: tuple[str, ...] | None) -> Port:
        net = self._network(uow, ctx, str(request.network_id), for_update=True)
        port_id = str(uuid.uuid4())
        asked = None if request.fixed_ip is None else (FixedIp(ip_address=request.fixed_ip),)
        try:
            mac = self._ports.mac(uow, net, None)
            fixed = self._ports.allocate(uow, net, port_id, mac, DEVICE_OWNER, asked)
        except NuageError as exc:
            raise _compute_fault(exc, net.id, request.fixed_ip) from exc
        now = self._ports.p.clock.now()
        port = Port(id=port_id, project_id=project_id, network_id=net.id, mac_address=mac,
                    created_at=now, updated_at=now, fixed_ips=fixed, device_id=server_id,
                    device_owner=DEVICE_OWNER, port_security_enabled=net.port_security_enabled,
                    binding_host_id=host,
                    binding_profile={CREATED_MARK: "compute", NIC_INDEX: index})
        uow.ports.add(port)
        # The create's groups; else Neutron's choice for a port made without groups: the
        # project's default group (without port security, none).
        if security_groups is not None:
            if security_groups and not port.port_security_enabled:
                raise ValidationError(ComputeFault.SERVER_GROUP_CANNOT_BE_APPLIED)
            groups = list(security_groups)
        elif port.port_security_enabled:
            groups = [ensure_default_group(self._ports.p, uow, ctx, project_id).id]
        else:
            groups = []
        PortService.bind_groups(uow, port, groups)
        self._ports.record(uow, ctx, "port.create", "port", port.id, project_id,
                           {"network_id": net.id, "mac_address": mac,
                            "fixed_ips": [f["ip_address"] for f in fixed],
                            "device_owner": DEVICE_OWNER, "device_id": server_id,
                            "security_groups": groups})
        return port

    # -- reading ---------------------------------------------------------------------------
    def describe(self, uow: UnitOfWork, server_ids: Iterable[str]
                 ) -> dict[str, list[ServerNic]]:
        networks: dict[str, Network | None] = {}
        subnets: dict[str, Subnet | None] = {}
        out: dict[str, list[ServerNic]] = {}
        for server_id in dict.fromkeys(server_ids):
            found = [p for p in uow.ports.find(device_id=server_id)
                     if p.device_owner.startswith("compute:")]
            if found:
                found.sort(key=_position)
                out[server_id] = [self._nic(uow, p, networks, subnets) for p in found]
        return out

    @staticmethod
    def _nic(uow: UnitOfWork, port: Port, networks: dict[str, Network | None],
             subnets: dict[str, Subnet | None]) -> ServerNic:
        if port.network_id not in networks:
            networks[port.network_id] = uow.networks.get(port.network_id)
        net = networks[port.network_id]
        addresses = []
        floating: dict[str, list[str]] = {}
        for fip in sorted(uow.floating_ips.find(port_id=port.id), key=lambda f: f.created_at):
            if fip.fixed_ip_address:
                floating.setdefault(fip.fixed_ip_address, []).append(fip.floating_ip_address)
        for fixed in port.fixed_ips:
            sid = fixed["subnet_id"]
            if sid not in subnets:
                subnets[sid] = uow.subnets.get(sid)
            subnet = subnets[sid]
            if subnet is None:
                continue
            addresses.append(NicAddress(
                address=fixed["ip_address"], version=subnet.ip_version, subnet_id=subnet.id,
                cidr=subnet.cidr, gateway=subnet.gateway_ip,
                dns_nameservers=tuple(subnet.dns_nameservers),
                host_routes=tuple((r["destination"], r["nexthop"])
                                  for r in subnet.host_routes),
                dhcp=subnet.enable_dhcp,
                floating_ips=tuple(floating.get(fixed["ip_address"], ()))))
        return ServerNic(port_id=port.id, mac=port.mac_address, network_id=port.network_id,
                         network_name=net.name if net is not None else "",
                         mtu=net.mtu if net is not None else 1450, status=port.status,
                         addresses=tuple(addresses), tag=_tag(port))

    def _server_ports(self, uow: UnitOfWork, server_id: str) -> list[Port]:
        found = [p for p in uow.ports.find(device_id=server_id)
                 if p.device_owner.startswith("compute:")]
        found.sort(key=_position)
        return found

    # -- security groups -------------------------------------------------------------------
    def groups(self, uow: UnitOfWork, ctx: RequestContext, server_ids: Iterable[str]
               ) -> dict[str, list[ServerGroup]]:
        seen: dict[str, ServerGroup | None] = {}
        out: dict[str, list[ServerGroup]] = {}
        for server_id in dict.fromkeys(server_ids):
            shown: list[ServerGroup] = []
            for port in self._server_ports(uow, server_id):
                for group_id in port.security_groups:
                    if group_id not in seen:
                        seen[group_id] = self._server_group(uow, ctx, group_id)
                    group = seen[group_id]
                    # A group the caller may not see is left out (as Nova does).
                    if group is not None and group not in shown:
                        shown.append(group)
            if shown:
                out[server_id] = shown
        return out

    @staticmethod
    def _server_group(uow: UnitOfWork, ctx: RequestContext, group_id: str
                      ) -> ServerGroup | None:
        group = uow.security_groups.get(group_id)
        if group is None or not group_visible(ctx, group):
            return None
        rules = []
        for rule in sorted(uow.security_group_rules.find(security_group_id=group.id),
                           key=lambda r: (r.created_at, r.id)):
            if rule.direction != "ingress":
                continue
            remote = (uow.security_groups.get(rule.remote_group_id)
                      if rule.remote_group_id else None)
            low, high = rule.port_range_min, rule.port_range_max
            if rule.protocol and low is None and high is None:
                # Nova's rendering of "all ports": 1-65535 for TCP/UDP, else -1.
                low, high = ((1, 65535) if rule.protocol.upper() in ("TCP", "UDP")
                             else (-1, -1))
            rules.append(GroupRule(
                id=rule.id, parent_group_id=group.id, protocol=rule.protocol,
                from_port=low, to_port=high,
                cidr=None if rule.remote_group_id else (rule.remote_ip_prefix or "0.0.0.0/0"),
                remote_group_name=None if remote is None else remote.name,
                remote_group_project_id=None if remote is None else remote.project_id))
        return ServerGroup(id=group.id, name=group.name or group.id,
                           description=group.description, project_id=group.project_id,
                           rules=tuple(rules))

    def add_group(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                  name: str) -> list[str]:
        group, ports = self._group_and_ports(uow, ctx, server_id, name)
        for port in ports:
            # Nova's _has_security_group_requirements: port security and an address.
            if not port.port_security_enabled or not port.fixed_ips:
                raise ValidationError(ComputeFault.SERVER_GROUP_CANNOT_BE_APPLIED)
            if group.id not in port.security_groups:
                self._set_groups(uow, ctx, port, [*port.security_groups, group.id])
        return sorted({p.binding_host_id for p in ports if p.binding_host_id})

    def remove_group(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                     name: str) -> list[str]:
        group, ports = self._group_and_ports(uow, ctx, server_id, name)
        having = [p for p in ports if group.id in p.security_groups]
        if not having:
            raise NotFound("security_group", name, ComputeFault.SERVER_GROUP_NOT_ON_SERVER,
                           group=name, server_id=server_id)
        for port in having:
            self._set_groups(uow, ctx, port, [g for g in port.security_groups
                                              if g != group.id])
        return sorted({p.binding_host_id for p in having if p.binding_host_id})

    def _group_and_ports(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                         name: str) -> tuple[SecurityGroup, list[Port]]:
        group = self._group(uow, ctx, name)
        if group is None:
            raise NotFound("security_group", name, ComputeFault.SERVER_GROUP_UNKNOWN,
                           group=name, project_id=ctx.project_id)
        ports = self._server_ports(uow, server_id)
        if not ports:
            raise NotFound("server", server_id, ComputeFault.SERVER_WITHOUT_PORTS)
        return group, ports

    def _set_groups(self, uow: UnitOfWork, ctx: RequestContext, port: Port,
                    groups: list[str]) -> None:
        PortService.bind_groups(uow, port, groups)
        port.updated_at = self._ports.p.clock.now()
        port.revision_number += 1
        self._ports.record(uow, ctx, "port.update", "port", port.id, port.project_id,
                           {"changed": ["security_groups"], "security_groups": groups})

    def quotas(self, uow: UnitOfWork, project_id: str) -> NetworkQuotas:
        limits = self._ports.quotas.limits_of(uow, project_id)
        in_use = used(uow, project_id)
        return {nova: (limits[neutron], in_use[neutron])
                for nova, neutron in NOVA_QUOTA_NAMES.items()}

    # -- release ---------------------------------------------------------------------------
    def release(self, uow: UnitOfWork, server_id: str) -> list[str]:
        hosts: set[str] = set()
        for port in uow.ports.find(device_id=server_id):
            if not port.device_owner.startswith("compute:"):
                continue
            if port.binding_host_id:
                hosts.add(port.binding_host_id)
            self._let_go(uow, RELEASER, port, server_id)
        return sorted(hosts)

    def _let_go(self, uow: UnitOfWork, ctx: RequestContext, port: Port,
                server_id: str) -> None:
        """The port leaves its server: deleted if compute made it, else unbound."""
        if port.binding_profile.get(CREATED_MARK) == "compute":
            drop_port(uow, port.id)
            self._ports.record(uow, ctx, "port.delete", "port", port.id,
                               port.project_id, {"network_id": port.network_id,
                                                 "mac_address": port.mac_address,
                                                 "device_id": server_id})
            return
        # A port the user passed outlives the server, unbound (Nova's unbind).
        port.device_id = port.device_owner = port.binding_host_id = ""
        port.binding_profile = {}
        port.binding_vif_type, port.binding_vif_details = "unbound", {}
        port.status = "DOWN"
        port.updated_at = self._ports.p.clock.now()
        port.revision_number += 1
        self._ports.record(uow, ctx, "port.update", "port", port.id,
                           port.project_id, {"changed": ["binding_host_id", "device_id",
                                                         "device_owner"]})

    # -- os-interface ----------------------------------------------------------------------
    def attach(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, project_id: str,
               host: str, request: NetworkRequest, tag: str | None = None) -> ServerNic:
        positions = [p.binding_profile.get(NIC_INDEX) for p in self._server_ports(uow, server_id)]
        # After every NIC the server has (one the user bound through Neutron has no index).
        index = max([len(positions)] + [i + 1 for i in positions if isinstance(i, int)])
        if request.port_id is not None:
            port = uow.ports.get(request.port_id)
            if port is None or not port_visible(ctx, port) or not policy.may(
                    ctx, "network:port:update", policy.Target(project_id=port.project_id)):
                raise NotFound("port", request.port_id, ComputeFault.INTERFACE_PORT_NOT_FOUND,
                               port_id=request.port_id)
            if port.device_id or port.device_owner:
                raise Conflict(ComputeFault.SERVER_PORT_IN_USE, port_id=port.id)
            self._take(uow, ctx, port, server_id, host, index)
        else:
            network_id = request.network_id or self._only_network(uow, ctx)
            net = uow.networks.get(network_id)
            if net is None or not network_visible(ctx, net):
                raise NotFound("network", network_id, ComputeFault.INTERFACE_NETWORK_NOT_FOUND,
                               network_id=network_id)
            try:
                self._ports.quotas.check(uow, project_id, "port", 1)
            except Conflict as exc:
                raise OverLimit(ComputeFault.SERVER_PORT_LIMIT_EXCEEDED) from exc
            try:
                port = self._create(uow, ctx, server_id, project_id, host,
                                    NetworkRequest(network_id=net.id, fixed_ip=request.fixed_ip),
                                    index, None)
            except ValidationError as exc:
                if exc.fault == ComputeFault.SERVER_FIXED_IP_IN_USE:
                    # Nova's attach says FixedIpAlreadyInUse with a 409.
                    raise Conflict(ComputeFault.SERVER_FIXED_IP_IN_USE,
                                   address=request.fixed_ip) from exc
                raise
        tag = tag if tag is not None else request.tag
        if tag is not None:
            port.binding_profile = {**port.binding_profile, NIC_TAG: tag}
        return self._nic(uow, port, {}, {})

    def _only_network(self, uow: UnitOfWork, ctx: RequestContext) -> str:
        """Nova's choice for an attach naming nothing: the one network available."""
        usable = [n for n in uow.networks.find() if not n.external and network_visible(ctx, n)
                  and uow.subnets.first(network_id=n.id) is not None]
        own = [n for n in usable if n.project_id == ctx.project_id]
        candidates = own or [n for n in usable if n.shared]
        if not candidates:
            raise ValidationError(ComputeFault.INTERFACE_NO_NETWORK,
                                  project_id=ctx.project_id)
        if len(candidates) > 1:
            raise ValidationError(ComputeFault.INTERFACE_NETWORK_AMBIGUOUS)
        return candidates[0].id

    def add_fixed_ip(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                     network_id: str) -> list[str]:
        port = next((p for p in self._server_ports(uow, server_id)
                     if p.network_id == network_id), None)
        net = uow.networks.get_for_update(network_id) if port is not None else None
        if port is None or net is None:
            raise NotFound("network", network_id, ComputeFault.FIXED_IP_NO_PORT_ON_NETWORK,
                           network_id=network_id, server_id=server_id)
        held = tuple(FixedIp(subnet_id=f["subnet_id"], ip_address=f["ip_address"])
                     for f in port.fixed_ips)
        subnets = sorted(uow.subnets.find(network_id=net.id), key=lambda s: s.created_at)
        if not subnets:
            raise ValidationError(ComputeFault.SERVER_NO_MORE_FIXED_IPS, network_id=net.id)
        try:
            # One more address, on the network's first subnet (Nova's choice).
            fixed = self._ports.allocate_for(uow, net, port,
                                             (*held, FixedIp(subnet_id=subnets[0].id)))
        except NuageError as exc:
            raise _compute_fault(exc, net.id, None) from exc
        self._readdress(uow, ctx, port, fixed)
        return [port.binding_host_id] if port.binding_host_id else []

    def remove_fixed_ip(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                        address: str) -> list[str]:
        port = next((p for p in self._server_ports(uow, server_id)
                     if any(f["ip_address"] == address for f in p.fixed_ips)), None)
        net = uow.networks.get_for_update(port.network_id) if port is not None else None
        if port is None or net is None:
            raise ValidationError(ComputeFault.FIXED_IP_NOT_ON_SERVER, address=address,
                                  server_id=server_id)
        kept = tuple(FixedIp(subnet_id=f["subnet_id"], ip_address=f["ip_address"])
                     for f in port.fixed_ips if f["ip_address"] != address)
        self._readdress(uow, ctx, port, self._ports.allocate_for(uow, net, port, kept))
        return [port.binding_host_id] if port.binding_host_id else []

    def _readdress(self, uow: UnitOfWork, ctx: RequestContext, port: Port,
                   fixed: list[dict[str, str]]) -> None:
        port.fixed_ips = fixed
        port.updated_at = self._ports.p.clock.now()
        port.revision_number += 1
        self._ports.record(uow, ctx, "port.update", "port", port.id, port.project_id,
                           {"changed": ["fixed_ips"],
                            "fixed_ips": [f["ip_address"] for f in fixed]})

    def detach(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
               port_id: str) -> list[str]:
        port = next((p for p in self._server_ports(uow, server_id) if p.id == port_id), None)
        if port is None:
            raise NotFound("port", port_id, ComputeFault.INTERFACE_PORT_NOT_FOUND,
                           port_id=port_id)
        hosts = [port.binding_host_id] if port.binding_host_id else []
        self._let_go(uow, ctx, port, server_id)
        return hosts

    def wake(self, hosts: Iterable[str]) -> None:
        """The network agents of `hosts` (their ports changed): through `notify` when the
        composition root set one, else the network services' own agent channel (no
        network named: only the hosts' ports changed)."""
        for host in sorted(set(hosts)):
            try:
                if self.notify is not None:
                    self.notify(host)
                else:
                    self._ports.p.agents.changed("", [host])
            except Exception:
                log.exception("the network agent of %s was not woken; its next pass acts",
                              host)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _network(uow: UnitOfWork, ctx: RequestContext, network_id: str,
                 for_update: bool = False) -> Network:
        net = (uow.networks.get_for_update(network_id) if for_update
               else uow.networks.get(network_id))
        if net is None or not network_visible(ctx, net, granted_networks(uow, ctx)):
            raise ValidationError(ComputeFault.SERVER_NETWORK_NOT_FOUND, network_id=network_id)
        if uow.subnets.first(network_id=net.id) is None:
            raise ValidationError(ComputeFault.SERVER_NETWORK_REQUIRES_SUBNET,
                                  network_id=network_id)
        return net

    @staticmethod
    def _free_port(uow: UnitOfWork, ctx: RequestContext, port_id: str) -> Port:
        port = uow.ports.get(port_id)
        if port is None or not port_visible(ctx, port):
            raise ValidationError(ComputeFault.SERVER_PORT_NOT_FOUND, port_id=port_id)
        if port.device_id or port.device_owner:
            raise Conflict(ComputeFault.SERVER_PORT_IN_USE, port_id=port_id)
        if not policy.may(ctx, "network:port:update", policy.Target(project_id=port.project_id)):
            raise ValidationError(ComputeFault.SERVER_PORT_NOT_FOUND, port_id=port_id)
        return port


def _tag(port: Port) -> str | None:
    tag = port.binding_profile.get(NIC_TAG)
    return tag if isinstance(tag, str) else None


def _position(port: Port) -> tuple[int, str, str]:
    index = port.binding_profile.get(NIC_INDEX)
    return (index if isinstance(index, int) else 1 << 30, port.created_at.isoformat(), port.id)


def _compute_fault(exc: NuageError, network_id: str, address: str | None) -> NuageError:
    """Neutron's refusal of an address, in compute's terms."""
    if exc.fault in _ADDRESS_FAULTS:
        return ValidationError(ComputeFault.SERVER_FIXED_IP_INVALID, address=address)
    if exc.fault == NetworkFault.IP_TAKEN:
        return ValidationError(ComputeFault.SERVER_FIXED_IP_IN_USE, address=address)
    if exc.fault == NetworkFault.NO_MORE_IPS:
        return ValidationError(ComputeFault.SERVER_NO_MORE_FIXED_IPS, network_id=network_id)
    if isinstance(exc, NotFound):
        return ValidationError(ComputeFault.SERVER_NETWORK_NOT_FOUND, network_id=network_id)
    return exc
