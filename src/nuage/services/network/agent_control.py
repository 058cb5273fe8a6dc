"""The control plane's side of the network agent's port (ports/network_agent.py).

It reads networks, subnets and ports through the unit of work and hands the agent the
fabric's value objects (`DesiredState`), never a record; the statuses of ports, routers and
floating IPs come back as reports, which this module alone turns into column changes.
`for_host` serves the port in-process, bound to one host, as a message-bus subscriber
bound to an authenticated agent's host will serve it later.

Which host carries what (single node today, every network on the DHCP host):
- the DHCP host (`dhcp_host`, this machine in `nuage up`) carries every network with a
  segment, and runs the DHCP server of each network that has a DHCP-enabled subnet; it
  owns the network's `network:dhcp` port, which this module makes (or readdresses) when
  the agent asks, as Neutron's DHCP agent asks for its port;
- any host carries the networks of the ports bound to it (`binding:host_id`), and plugs
  those ports (not the networks' own `network:*` ports: DHCP is above, router legs are
  the routers' part);
- the DHCP host is also the router host: it carries every router that is up, its
  interfaces on the networks it carries, its gateway and its floating IPs (see
  `_routers`).

The external network is no NetworkSpec: the fabric models the external side as one
bridge, `<prefix>-ext`, onto which router gateways are plugged (and, later, an uplink to
the physical network). The external network that bridge stands for is the seeded one's
kind: flat on the physical network "public" (services/network/external.py). A router
whose gateway is on another external network (a VLAN one, another physical network) has
no gateway on this host: nothing would carry its traffic.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from nuage.domain.context import RequestContext
from nuage.domain.errors import NuageError
from nuage.domain.network import (
    DEVICE_OWNER_DHCP,
    DEVICE_OWNER_ROUTER_INTF,
    NETWORK_DEVICE_PREFIX,
    Network,
    Port,
    Subnet,
)
from nuage.domain.network_l3 import FloatingIp, Router
from nuage.domain.network_security import SecurityGroup, SecurityGroupRule
from nuage.ports import network_agent as port
from nuage.ports.network_fabric import (
    AddressPair,
    DesiredState,
    DhcpHost,
    DhcpServer,
    FabricError,
    FixedIp,
    FloatingIpSpec,
    HostRoute,
    Ipv6Mode,
    NetworkSpec,
    PortSpec,
    RouterGateway,
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from nuage.ports.repositories import Repository, UnitOfWork
from nuage.services.network.base import NetworkPorts
from nuage.services.network.external import PHYSICAL_NETWORK
from nuage.services.network.ports import FixedIp as AskedIp
from nuage.services.network.ports import NewPort, PortService

log = logging.getLogger(__name__)

# The agent's own requests (its DHCP ports), on the audit trail under this user.
AGENT = RequestContext(request_id="network-agent", user_id="nuage-network", system=True,
                       roles=frozenset({"admin", "member", "reader"}))

VIF_TYPE = "tap"


class NetworkAgentControl:
    """Serves the hosts' network agents: what their datapath should hold, and their
    ports' statuses."""

    def __init__(self, ports: NetworkPorts, port_service: PortService,
                 dhcp_host: str | None) -> None:
        """`dhcp_host`: the host that runs every network's DHCP server (None: none)."""
        self.p = ports
        self.port_service = port_service
        self.dhcp_host = dhcp_host

    def for_host(self, host: str) -> port.HostNetwork:
        """The port as the agent of `host` sees it (in-process)."""
        return _BoundToHost(self, host)

    def desired(self, host: str) -> port.HostNetworkState:
        serves_dhcp = host == self.dhcp_host
        if serves_dhcp:
            self._ensure_dhcp_ports(host)
        with self.p.uow() as uow:
            networks = uow.networks.find()
            subnets = uow.subnets.find()
            ports = uow.ports.find()
            groups = uow.security_groups.find()
            rules = uow.security_group_rules.find()
            routers = uow.routers.find() if serves_dhcp else []
            floating_ips = uow.floating_ips.find() if serves_dhcp else []
        state = build_state(host, networks, subnets, ports, serves_dhcp, groups, rules,
                            routers, floating_ips)
        if not serves_dhcp:
            return state
        # The router host answers for every router and floating IP: those it does not
        # carry (a router down, a floating IP unassociated) are reported DOWN.
        return replace(
            state, router_revisions={r.id: r.revision_number for r in routers},
            floating_ips=tuple(port.FloatingIpState(f.id, f.revision_number,
                                                    f.floating_ip_address)
                               for f in floating_ips))

    def record_ports(self, host: str, reports: Iterable[port.PortReport]) -> frozenset[str]:
        reports = list(reports)
        if not reports:
            return frozenset()
        with self.p.uow() as uow:
            recorded = {p.id: p for p in uow.ports.find(id=[r.port_id for r in reports])}
        # Most passes change nothing: only a report that would change something takes the
        # write lock (SQLite's is the whole database's).
        changing = [r for r in reports if (found := recorded.get(r.port_id)) is not None
                    and (found.status != r.status
                         or (r.status == "ACTIVE" and found.binding_vif_type != VIF_TYPE))]
        written: set[str] = set()
        for report in changing:
            with self.p.uow(write=True) as uow:
                # Locked (PostgreSQL): an update the API commits meanwhile bumps the
                # revision, and this compare-and-set then writes nothing.
                found = uow.ports.get_for_update(report.port_id)
                if (found is None or found.binding_host_id != host
                        or found.revision_number != report.revision):
                    continue
                vif = VIF_TYPE if report.status == "ACTIVE" else found.binding_vif_type
                if found.status == report.status and found.binding_vif_type == vif:
                    continue
                found.status = report.status
                found.binding_vif_type = vif
                found.updated_at = self.p.clock.now()
                uow.commit()
                written.add(found.id)
        return frozenset(written)

    def record_routers(self, host: str, reports: Iterable[port.RouterReport]
                       ) -> frozenset[str]:
        return self._record_l3(host, [(r.router_id, r.revision, r.status) for r in reports],
                               lambda uow: uow.routers)

    def record_floating_ips(self, host: str, reports: Iterable[port.FloatingIpReport]
                            ) -> frozenset[str]:
        return self._record_l3(host, [(r.floating_ip_id, r.revision, r.status)
                                      for r in reports], lambda uow: uow.floating_ips)

    def _record_l3(self, host: str, reports: list[tuple[str, int, str]],
                   records: Callable[[UnitOfWork], Repository[Router] | Repository[FloatingIp]]
                   ) -> frozenset[str]:
        """Routers' and floating IPs' statuses, as `record_ports` writes ports': only from
        the router host, only on the revision reported, only when it changes something."""
        if host != self.dhcp_host or not reports:
            return frozenset()     # only the router host answers for them
        with self.p.uow() as uow:
            recorded = {r.id: r.status for r in records(uow).find(
                id=[ident for ident, _, _ in reports])}
        written: set[str] = set()
        for ident, revision, status in reports:
            if recorded.get(ident, status) == status:
                continue
            with self.p.uow(write=True) as uow:
                found = records(uow).get_for_update(ident)
                if (found is None or found.revision_number != revision
                        or found.status == status):
                    continue
                found.status = status
                found.updated_at = self.p.clock.now()
                uow.commit()
                written.add(found.id)
        return frozenset(written)

    # -- the DHCP ports -------------------------------------------------------------------
    def _ensure_dhcp_ports(self, host: str) -> None:
        """Each network with a DHCP-enabled subnet gets its `network:dhcp` port, bound to
        `host`, with one address on each such subnet. A refusal (no address left, the
        project's port quota) is logged: the network runs without DHCP until it clears."""
        with self.p.uow() as uow:
            subnets = uow.subnets.find(enable_dhcp=True)
            dhcp_ports = uow.ports.find(device_owner=DEVICE_OWNER_DHCP)
            networks = {n.id: n for n in uow.networks.find(id=sorted({s.network_id
                                                                       for s in subnets}))}
        owned = {p.network_id: p for p in dhcp_ports}
        wanted: dict[str, list[Subnet]] = {}
        for subnet in sorted(subnets, key=lambda s: s.created_at):
            # A dhcpv6-stateless subnet's addresses are SLAAC, but its DHCP server answers
            # information requests: the port takes its EUI-64 address there, as Neutron's.
            served = (not subnet.auto_address
                      or subnet.ipv6_address_mode == "dhcpv6-stateless")
            if served and subnet.network_id in networks:
                wanted.setdefault(subnet.network_id, []).append(subnet)
        for network_id, dhcp_subnets in wanted.items():
            existing = owned.get(network_id)
            try:
                if existing is None:
                    self.port_service.create(AGENT, NewPort(
                        network_id=network_id, device_owner=DEVICE_OWNER_DHCP,
                        device_id=f"dhcp-{host}", binding_host_id=host,
                        fixed_ips=tuple(AskedIp(subnet_id=s.id) for s in dhcp_subnets),
                        project_id=networks[network_id].project_id))
                    continue
                held = {f["subnet_id"] for f in existing.fixed_ips}
                missing = [s for s in dhcp_subnets if s.id not in held]
                if missing or existing.binding_host_id != host:
                    keep = tuple(AskedIp(subnet_id=f["subnet_id"], ip_address=f["ip_address"])
                                 for f in existing.fixed_ips)
                    self.port_service.update(AGENT, existing.id, {
                        "fixed_ips": keep + tuple(AskedIp(subnet_id=s.id) for s in missing),
                        "binding_host_id": host})
            except NuageError as exc:
                log.warning("network %s has no DHCP port on %s: %s", network_id, host, exc)


class _BoundToHost:
    """HostNetwork for one host's agent in this process."""

    def __init__(self, service: NetworkAgentControl, host: str) -> None:
        self._service = service
        self._host = host

    @property
    def host(self) -> str:
        return self._host

    def desired(self) -> port.HostNetworkState:
        return self._service.desired(self._host)

    def record_ports(self, reports: Iterable[port.PortReport]) -> frozenset[str]:
        return self._service.record_ports(self._host, reports)

    def record_routers(self, reports: Iterable[port.RouterReport]) -> frozenset[str]:
        return self._service.record_routers(self._host, reports)

    def record_floating_ips(self, reports: Iterable[port.FloatingIpReport]
                            ) -> frozenset[str]:
        return self._service.record_floating_ips(self._host, reports)


# -- building the desired state (no I/O) --------------------------------------------------

def build_state(host: str, networks: Sequence[Network], subnets: Sequence[Subnet],
                ports: Sequence[Port], serves_dhcp: bool,
                groups: Sequence[SecurityGroup] = (),
                rules: Sequence[SecurityGroupRule] = (),
                routers: Sequence[Router] = (),
                floating_ips: Sequence[FloatingIp] = ()) -> port.HostNetworkState:
    """The datapath `host` should hold, from the records (see the module's docstring).

    Security groups: those the plugged ports name, and those their rules name as remote
    groups, each with its rules and its members' addresses (every port in it, on any
    host). Routers (given on the router host only, which is the DHCP host) with their
    floating IPs: see `_routers`. A network without a segment id (flat: bridged to a
    physical network) is not carried as a tenant network; the external one is the
    fabric's external bridge."""
    plugged = [p for p in ports
               if p.binding_host_id == host and not p.device_owner.startswith(
                   NETWORK_DEVICE_PREFIX)]
    carried = {n.id for n in networks} if serves_dhcp else {p.network_id for p in plugged}
    by_network: dict[str, list[Subnet]] = {}
    for subnet in sorted(subnets, key=lambda s: s.created_at):
        by_network.setdefault(subnet.network_id, []).append(subnet)
    ports_of: dict[str, list[Port]] = {}
    for p in sorted(ports, key=lambda p: p.created_at):
        ports_of.setdefault(p.network_id, []).append(p)

    revisions: dict[str, int] = {}
    specs: list[NetworkSpec] = []
    for net in sorted(networks, key=lambda n: n.created_at):
        if net.id not in carried or net.segmentation_id is None:
            continue
        try:
            spec, dhcp_port = _network(net, by_network.get(net.id, []),
                                       ports_of.get(net.id, []), host, serves_dhcp)
        except FabricError as exc:
            # A record the fabric refuses (it validates every value) must not keep the
            # host's other networks from converging.
            log.error("network %s is not carried: %s", net.id, exc)
            continue
        specs.append(spec)
        if dhcp_port is not None:
            revisions[dhcp_port.id] = dhcp_port.revision_number
    kept = {s.network_id for s in specs}
    port_specs: list[PortSpec] = []
    for p in sorted(plugged, key=lambda p: p.created_at):
        if p.network_id not in kept:
            continue
        try:
            port_specs.append(_port(p))
        except FabricError as exc:
            log.error("port %s is not plugged: %s", p.id, exc)
            continue
        revisions[p.id] = p.revision_number
    return port.HostNetworkState(
        desired=DesiredState(networks=tuple(specs), ports=tuple(port_specs),
                             routers=_routers(routers, floating_ips, networks, subnets,
                                              ports, kept) if serves_dhcp else (),
                             security_groups=_groups(port_specs, ports, groups, rules)),
        revisions=revisions)


def _groups(plugged: Sequence[PortSpec], ports: Sequence[Port],
            groups: Sequence[SecurityGroup],
            rules: Sequence[SecurityGroupRule]) -> tuple[SecurityGroupSpec, ...]:
    known = {g.id for g in groups}
    rules_of: dict[str, list[SecurityGroupRule]] = {}
    for rule in sorted(rules, key=lambda r: r.created_at):
        rules_of.setdefault(rule.security_group_id, []).append(rule)
    wanted = {g for p in plugged for g in p.security_groups if g in known}
    wanted |= {r.remote_group_id for g in list(wanted) for r in rules_of.get(g, [])
               if r.remote_group_id in known}
    members: dict[str, list[str]] = {}
    for p in sorted(ports, key=lambda p: p.created_at):
        addresses = [f["ip_address"] for f in p.fixed_ips] + [
            a["ip_address"] for a in p.allowed_address_pairs]
        for group_id in p.security_groups:
            members.setdefault(group_id, []).extend(addresses)
    specs = []
    for group_id in sorted(wanted):
        try:
            specs.append(SecurityGroupSpec(
                group_id=group_id,
                rules=tuple(SecurityRule(
                    direction="egress" if r.direction == "egress" else "ingress",
                    ethertype="IPv6" if r.ethertype == "IPv6" else "IPv4",
                    protocol=r.protocol, port_range_min=r.port_range_min,
                    port_range_max=r.port_range_max, remote_ip_prefix=r.remote_ip_prefix,
                    remote_group_id=r.remote_group_id) for r in rules_of.get(group_id, [])),
                members=tuple(dict.fromkeys(members.get(group_id, [])))))
        except FabricError as exc:
            log.error("security group %s is not applied: %s", group_id, exc)
    return tuple(specs)


def _routers(routers: Sequence[Router], floating_ips: Sequence[FloatingIp],
             networks: Sequence[Network], subnets: Sequence[Subnet], ports: Sequence[Port],
             carried: set[str]) -> tuple[RouterSpec, ...]:
    """Each router that is up: a leg per interface port on a carried network (one
    RouterInterface per fixed IP, with its subnet's prefix), its gateway when it is on
    the external network the fabric's external bridge stands for, its associated floating
    IPs and its static routes.

    An interface port counts only if it is the router's project's or the router service
    made it (by subnet: it holds its subnets' gateway addresses, and belongs to the
    subnet's project). The API refuses a port naming another project's router (Neutron's
    DeviceIDNotOwnedByTenant); this is the second lock, so that a record that slipped
    past it (an older row) cannot graft a router onto another project's network."""
    nets = {n.id: n for n in networks}
    subnet_of = {s.id: s for s in subnets}
    port_of = {p.id: p for p in ports}
    legs: dict[str, list[Port]] = {}
    for p in sorted(ports, key=lambda p: p.created_at):
        if p.device_owner == DEVICE_OWNER_ROUTER_INTF and p.device_id:
            legs.setdefault(p.device_id, []).append(p)
    specs: list[RouterSpec] = []
    for router in sorted(routers, key=lambda r: r.created_at):
        if not router.admin_state_up:
            continue
        try:
            interfaces = tuple(
                iface for p in legs.get(router.id, [])
                if p.network_id in carried and _counts(router, p, subnet_of)
                for iface in _interfaces(p, subnet_of))
            gateway = _gateway(router, nets, subnet_of, port_of)
            fips = tuple(FloatingIpSpec(f.floating_ip_address, f.fixed_ip_address)
                         for f in sorted(floating_ips, key=lambda f: f.created_at)
                         if f.router_id == router.id and f.fixed_ip_address
                         and gateway is not None)
            specs.append(RouterSpec(
                router_id=router.id, interfaces=interfaces, gateway=gateway,
                floating_ips=fips,
                routes=tuple(HostRoute(r["destination"], r["nexthop"])
                             for r in router.routes)))
        except FabricError as exc:
            log.error("router %s is not carried: %s", router.id, exc)
    return tuple(specs)


def _counts(router: Router, leg: Port, subnet_of: dict[str, Subnet]) -> bool:
    if leg.project_id == router.project_id:
        return True
    made_by_router = bool(leg.fixed_ips) and all(
        (s := subnet_of.get(f["subnet_id"])) is not None and s.gateway_ip == f["ip_address"]
        for f in leg.fixed_ips)
    if not made_by_router:
        log.warning("port %s of project %s names router %s of project %s: not plugged",
                    leg.id, leg.project_id, router.id, router.project_id)
    return made_by_router


def _interfaces(leg: Port, subnet_of: dict[str, Subnet]) -> list[RouterInterface]:
    out = []
    for f in leg.fixed_ips:
        subnet = subnet_of.get(f["subnet_id"])
        if subnet is None:
            continue
        prefix = ipaddress.ip_network(subnet.cidr).prefixlen
        ra = _ipv6_mode(subnet.ipv6_ra_mode)
        out.append(RouterInterface(port_id=leg.id, network_id=leg.network_id,
                                   mac=leg.mac_address,
                                   address=f"{f['ip_address']}/{prefix}", ipv6_ra_mode=ra))
    return out


def _gateway(router: Router, nets: dict[str, Network], subnet_of: dict[str, Subnet],
             port_of: dict[str, Port]) -> RouterGateway | None:
    if router.gw_network_id is None or router.gw_port_id is None:
        return None
    net = nets.get(router.gw_network_id)
    gw_port = port_of.get(router.gw_port_id)
    if net is None or gw_port is None:
        return None
    if not external_bridge_network(net):
        log.warning("router %s: external network %s (%s %s) is not this host's external "
                    "bridge: no gateway", router.id, net.id, net.network_type,
                    net.physical_network)
        return None
    # The fabric's gateway leg holds one address: the first IPv4 one (floating IPs and
    # SNAT are IPv4).
    for f in gw_port.fixed_ips:
        subnet = subnet_of.get(f["subnet_id"])
        if subnet is None or subnet.ip_version != 4:
            continue
        prefix = ipaddress.ip_network(subnet.cidr).prefixlen
        return RouterGateway(port_id=gw_port.id, mac=gw_port.mac_address,
                             address=f"{f['ip_address']}/{prefix}",
                             gateway_ip=subnet.gateway_ip, enable_snat=router.enable_snat)
    return None


def external_bridge_network(net: Network) -> bool:
    """The external network the fabric's external bridge stands for: flat, on the
    physical network the seeded external network uses."""
    return (net.external and net.network_type == "flat"
            and net.physical_network == PHYSICAL_NETWORK)


def dhcp_hostname(ip_address: str) -> str:
    """Neutron's default DNS name of a port's address: host-10-0-0-5."""
    return "host-" + ip_address.replace(".", "-").replace(":", "-")


def _network(net: Network, subnets: list[Subnet], ports: list[Port], host: str,
             serves_dhcp: bool) -> tuple[NetworkSpec, Port | None]:
    assert net.segmentation_id is not None
    dhcp_subnets = {s.id for s in subnets if s.enable_dhcp}
    dhcp_port = None
    if serves_dhcp and dhcp_subnets:
        dhcp_port = next((p for p in ports if p.device_owner == DEVICE_OWNER_DHCP
                          and p.binding_host_id == host), None)
    server = None
    if dhcp_port is not None:
        server = DhcpServer(port_id=dhcp_port.id, mac=dhcp_port.mac_address,
                            fixed_ips=tuple(FixedIp(f["subnet_id"], f["ip_address"])
                                            for f in dhcp_port.fixed_ips))
    leases = tuple(DhcpHost(mac=p.mac_address, ip_address=f["ip_address"],
                            hostname=dhcp_hostname(f["ip_address"]))
                   for p in ports if p.device_owner != DEVICE_OWNER_DHCP
                   for f in p.fixed_ips if f["subnet_id"] in dhcp_subnets)
    spec = NetworkSpec(
        network_id=net.id, segment_id=net.segmentation_id, mtu=net.mtu,
        subnets=tuple(_subnet(s) for s in subnets), dhcp=server,
        dhcp_hosts=leases if server is not None else ())
    return spec, dhcp_port


def _subnet(subnet: Subnet) -> SubnetSpec:
    return SubnetSpec(
        subnet_id=subnet.id, cidr=subnet.cidr, gateway_ip=subnet.gateway_ip,
        enable_dhcp=subnet.enable_dhcp, dns_nameservers=tuple(subnet.dns_nameservers),
        host_routes=tuple(HostRoute(r["destination"], r["nexthop"])
                          for r in subnet.host_routes),
        ipv6_address_mode=_ipv6_mode(subnet.ipv6_address_mode))


def _ipv6_mode(mode: str | None) -> Ipv6Mode | None:
    """A subnet's stored IPv6 mode as the fabric's type (the service validated it)."""
    if mode == "slaac":
        return "slaac"
    if mode == "dhcpv6-stateless":
        return "dhcpv6-stateless"
    if mode == "dhcpv6-stateful":
        return "dhcpv6-stateful"
    return None


def _port(p: Port) -> PortSpec:
    return PortSpec(
        port_id=p.id, network_id=p.network_id, mac=p.mac_address,
        fixed_ips=tuple(FixedIp(f["subnet_id"], f["ip_address"]) for f in p.fixed_ips),
        port_security=p.port_security_enabled,
        security_groups=tuple(p.security_groups) if p.port_security_enabled else (),
        allowed_address_pairs=tuple(AddressPair(a["ip_address"], a.get("mac_address"))
                                    for a in p.allowed_address_pairs),
        admin_state_up=p.admin_state_up)
