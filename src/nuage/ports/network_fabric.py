"""The network fabric port: the datapath a host agent drives for tenant networks.

The control plane decides (addresses, MACs, segment ids, rules); the fabric only makes one
host's kernel match. Every call is idempotent and blocking, and safe to repeat after a crash
of the caller. The specs are frozen value objects carrying everything the datapath needs,
so a call never looks anything up elsewhere.

`converge(desired)` is the reconciler's call: given the whole desired state of the host it
creates what is missing, repairs what drifted (a bridge or a rule removed by hand) and
removes every stale object the fabric owns (and nothing it does not own).

Addresses are strings as on the Neutron wire: "10.0.0.5", "10.0.0.0/24", "aa:bb:...".
A spec with a malformed value (an address, a MAC, an id, a hostname) cannot be built: its
constructor raises FabricError. A spec the host cannot apply (a port on an unknown
network, a security group not ensured first) raises FabricError from the call, which
changes nothing it can avoid.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal, Protocol

Direction = Literal["ingress", "egress"]
EtherType = Literal["IPv4", "IPv6"]


class FabricError(Exception):
    """The datapath could not do it; the message says why."""


# The specs check their own values when built: ids, MACs and names end up in device
# aliases, namespace names, nftables scripts and dnsmasq's files, where a space, a quote
# or a newline would change their meaning. Neutron's values (UUIDs, MACs, DNS labels)
# all pass.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_DOMAIN = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def _check(kind: str, value: str, pattern: re.Pattern[str]) -> None:
    if not pattern.fullmatch(value):
        raise FabricError(f"invalid {kind}: {value!r}")


def _check_address(value: str, network: bool = False, prefixed: bool = False) -> None:
    """An IP address, or with `network` also an interface/CIDR ("10.0.0.1/24"), which
    `prefixed` requires."""
    if prefixed and "/" not in value:
        raise FabricError(f"an address with its prefix length expected: {value!r}")
    try:
        if network:
            ipaddress.ip_interface(value)
        else:
            ipaddress.ip_address(value)
    except ValueError as exc:
        raise FabricError(f"invalid address: {value!r}") from exc


@dataclass(frozen=True)
class HostRoute:
    destination: str          # a CIDR
    nexthop: str

    def __post_init__(self) -> None:
        _check_address(self.destination, network=True)
        _check_address(self.nexthop)


Ipv6Mode = Literal["slaac", "dhcpv6-stateless", "dhcpv6-stateful"]


@dataclass(frozen=True)
class SubnetSpec:
    subnet_id: str
    cidr: str
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[HostRoute, ...] = ()
    # An IPv6 subnet's `ipv6_address_mode`: with DHCP enabled, the network's DHCP server
    # answers information requests (dhcpv6-stateless: DNS servers, the guest's address is
    # SLAAC) or also hands the ports' addresses (dhcpv6-stateful). None or slaac: no DHCPv6.
    ipv6_address_mode: Ipv6Mode | None = None

    def __post_init__(self) -> None:
        _check("subnet id", self.subnet_id, _ID)
        _check_address(self.cidr, network=True)
        for address in (*self.dns_nameservers, *((self.gateway_ip,) if self.gateway_ip
                                                  else ())):
            _check_address(address)


@dataclass(frozen=True)
class FixedIp:
    subnet_id: str
    ip_address: str

    def __post_init__(self) -> None:
        _check_address(self.ip_address)


@dataclass(frozen=True)
class DhcpHost:
    """A static lease: the DHCP server answers this MAC with this address, nothing else."""

    mac: str
    ip_address: str
    hostname: str = ""

    def __post_init__(self) -> None:
        _check("MAC", self.mac, _MAC)
        _check_address(self.ip_address)
        if self.hostname:
            _check("hostname", self.hostname, _HOSTNAME)


@dataclass(frozen=True)
class DhcpServer:
    """Neutron's `network:dhcp` port: where dnsmasq listens, one address per DHCP subnet."""

    port_id: str
    mac: str
    fixed_ips: tuple[FixedIp, ...]

    def __post_init__(self) -> None:
        _check("port id", self.port_id, _ID)
        _check("MAC", self.mac, _MAC)


@dataclass(frozen=True)
class NetworkSpec:
    """A tenant network on this host: one isolated L2 segment (a Linux bridge)."""

    network_id: str
    segment_id: int           # allocated by the control plane; a VXLAN VNI later
    mtu: int = 1500
    subnets: tuple[SubnetSpec, ...] = ()
    dhcp: DhcpServer | None = None     # None: no DHCP server on this network
    dhcp_hosts: tuple[DhcpHost, ...] = ()
    dns_domain: str = "openstacklocal"

    def __post_init__(self) -> None:
        _check("network id", self.network_id, _ID)
        _check("DNS domain", self.dns_domain, _DOMAIN)


@dataclass(frozen=True)
class AddressPair:
    """Neutron's allowed address pair: the port may also send from this (CIDR, MAC)."""

    ip_address: str           # an address or a CIDR
    mac: str | None = None    # None: the port's own MAC

    def __post_init__(self) -> None:
        _check_address(self.ip_address, network=True)
        if self.mac is not None:
            _check("MAC", self.mac, _MAC)


@dataclass(frozen=True)
class SecurityRule:
    """One Neutron security group rule. `protocol` is a name ("tcp", "udp", "icmp",
    "ipv6-icmp") or an IP protocol number as a string; None matches any protocol. For
    ICMP, port_range_min/max are the type and code, as on Neutron's wire."""

    direction: Direction
    ethertype: EtherType = "IPv4"
    protocol: str | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None

    def __post_init__(self) -> None:
        if self.remote_ip_prefix is not None:
            _check_address(self.remote_ip_prefix, network=True)
        if self.remote_group_id is not None:
            _check("security group id", self.remote_group_id, _ID)


@dataclass(frozen=True)
class SecurityGroupSpec:
    """A security group's rules and its members' addresses (every fixed IP and allowed
    address pair of its ports, on every host: rules naming it as remote group match them).
    """

    group_id: str
    rules: tuple[SecurityRule, ...] = ()
    members: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check("security group id", self.group_id, _ID)
        for member in self.members:
            _check_address(member, network=True)


@dataclass(frozen=True)
class PortSpec:
    """A VM port: a TAP device on its network's bridge, named `tap<port_id[:11]>`, that
    QEMU opens by name from inside the datapath namespace (see NetworkFabric.guest_netns).

    `guest_netns` replaces the TAP by a veth whose other end (`eth0`, with the port's MAC)
    is in that existing namespace: a stand-in guest for tests and benchmarks. The fabric
    never creates nor removes that namespace.
    """

    port_id: str
    network_id: str
    mac: str
    fixed_ips: tuple[FixedIp, ...] = ()
    port_security: bool = True
    security_groups: tuple[str, ...] = ()
    allowed_address_pairs: tuple[AddressPair, ...] = ()
    admin_state_up: bool = True
    guest_netns: str | None = None

    def __post_init__(self) -> None:
        _check("port id", self.port_id, _ID)
        _check("network id", self.network_id, _ID)
        _check("MAC", self.mac, _MAC)
        for group_id in self.security_groups:
            _check("security group id", group_id, _ID)
        if self.guest_netns is not None:
            _check("namespace", self.guest_netns, _ID)


@dataclass(frozen=True)
class RouterInterface:
    """A router's leg on a tenant network: Neutron's `network:router_interface` port, one
    per subnet (a dual-stack network has two)."""

    port_id: str
    network_id: str
    mac: str
    address: str              # the subnet's gateway IP with the subnet's prefix: "10.0.0.1/24"
    # An IPv6 subnet's `ipv6_ra_mode`: the router advertises the prefix on this leg, and
    # itself as default route. slaac: the A flag (guests take their EUI-64 address, which
    # the control plane puts in the port's fixed IPs); dhcpv6-stateless: A and O (the
    # other configuration, DNS servers, from the network's DHCPv6 server);
    # dhcpv6-stateful: M (addresses from DHCPv6), no A. None: no advertisements.
    ipv6_ra_mode: Ipv6Mode | None = None

    def __post_init__(self) -> None:
        _check("port id", self.port_id, _ID)
        _check("network id", self.network_id, _ID)
        _check("MAC", self.mac, _MAC)
        _check_address(self.address, network=True, prefixed=True)


@dataclass(frozen=True)
class RouterGateway:
    """The router's leg on the external network (`network:router_gateway`)."""

    port_id: str
    mac: str
    address: str              # "203.0.113.10/24"
    gateway_ip: str | None = None   # the external subnet's gateway: the default route
    enable_snat: bool = True

    def __post_init__(self) -> None:
        _check("port id", self.port_id, _ID)
        _check("MAC", self.mac, _MAC)
        _check_address(self.address, network=True, prefixed=True)
        if self.gateway_ip is not None:
            _check_address(self.gateway_ip)


@dataclass(frozen=True)
class FloatingIpSpec:
    floating_ip: str          # on the external network
    fixed_ip: str             # the associated port's address behind one of the interfaces

    def __post_init__(self) -> None:
        for address in (self.floating_ip, self.fixed_ip):
            _check_address(address)
            if ipaddress.ip_address(address).version != 4:
                raise FabricError(f"floating IPs are IPv4 addresses: {address!r}")


@dataclass(frozen=True)
class RouterSpec:
    router_id: str
    interfaces: tuple[RouterInterface, ...] = ()
    gateway: RouterGateway | None = None
    floating_ips: tuple[FloatingIpSpec, ...] = ()
    routes: tuple[HostRoute, ...] = ()

    def __post_init__(self) -> None:
        _check("router id", self.router_id, _ID)


@dataclass(frozen=True)
class DesiredState:
    """Everything this host's datapath should hold; `converge` makes it so."""

    networks: tuple[NetworkSpec, ...] = ()
    ports: tuple[PortSpec, ...] = ()
    routers: tuple[RouterSpec, ...] = ()
    security_groups: tuple[SecurityGroupSpec, ...] = ()


@dataclass(frozen=True)
class Inventory:
    """What the datapath holds, by id, as found on the host (not as remembered)."""

    networks: frozenset[str] = frozenset()
    dhcp: frozenset[str] = frozenset()            # networks with a DHCP server running
    ports: frozenset[str] = frozenset()
    routers: frozenset[str] = frozenset()
    security_groups: frozenset[str] = frozenset()
    # Floating addresses whose translation (DNAT) is in place in a router held here.
    floating_ips: frozenset[str] = frozenset()


class NetworkFabric(Protocol):
    """One host's datapath. Order of calls: a network before its ports, DHCP and router
    interfaces; a security group before the ports naming it. Removing an object removes
    only what it owns: a network removed under its ports leaves them unplugged until the
    network comes back (converge re-plugs them)."""

    def guest_netns(self) -> str:
        """The namespace QEMU must run in (`ip netns exec <it> qemu-system-x86_64 ...`) so
        that `-netdev tap,ifname=tap<port_id[:11]>,script=no,downscript=no` opens the TAP
        `ensure_port` created."""
        ...

    def tap_name(self, port_id: str) -> str:
        """The device name a port's TAP has (what the hypervisor passes as ifname)."""
        ...

    def ensure_network(self, network: NetworkSpec) -> None:
        """The network's bridge, and its DHCP server when `network.dhcp` is set (static
        leases for `dhcp_hosts`, reloaded in place when they change); a network whose
        `dhcp` became None loses its DHCP server."""
        ...

    def remove_network(self, network_id: str) -> None:
        """The bridge and the DHCP server go; absent is fine."""
        ...

    def ensure_security_group(self, group: SecurityGroupSpec) -> None:
        """The group's rules and members, replaced atomically: ports in the group see the
        change on their next packet (established flows stay established)."""
        ...

    def remove_security_group(self, group_id: str) -> None:
        """FabricError while a port on this host still names it; absent is fine."""
        ...

    def ensure_port(self, port: PortSpec) -> None:
        """The port's device on its network's bridge, with its anti-spoofing and security
        group rules replaced atomically. FabricError if the network or a group is absent."""
        ...

    def remove_port(self, port_id: str) -> None:
        """The device and the port's rules go; absent is fine."""
        ...

    def ensure_router(self, router: RouterSpec) -> None:
        """The router's namespace, its interfaces, gateway, NAT and routes, exactly as the
        spec says (interfaces and floating IPs no longer listed are removed). FabricError if
        an interface's network is absent."""
        ...

    def remove_router(self, router_id: str) -> None:
        """The namespace and its legs go; absent is fine."""
        ...

    def converge(self, desired: DesiredState) -> None:
        """Make the host hold exactly `desired`: create, repair, and remove stale objects
        the fabric owns. Raises FabricError after doing all it could, naming what failed."""
        ...

    def inventory(self) -> Inventory:
        """What the host holds now, read from the kernel and the processes."""
        ...
