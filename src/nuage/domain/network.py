"""Networks, subnets and ports (Neutron v2.0): the entities and the rules that need no I/O.

Address arithmetic is the stdlib `ipaddress` module's; what is decided here is Neutron's
rules on top of it: a subnet's default gateway and allocation pools, which addresses a
port may hold, how a segment id and a MAC are chosen from what is taken. The services
read what is taken (in the transaction that takes more) and call these.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from nuage.domain.errors import Conflict, ValidationError
from nuage.domain.network_errors import NetworkFault

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Neutron's base MAC: OpenStack's OUI, fa:16:3e.
MAC_PREFIX = "fa:16:3e"


class NetworkType(StrEnum):
    VXLAN = "vxlan"
    VLAN = "vlan"
    FLAT = "flat"
    LOCAL = "local"


# Segment ids each type carries (VLAN: 802.1Q ids; VXLAN: 24-bit VNIs).
SEGMENT_RANGES: dict[str, tuple[int, int]] = {
    NetworkType.VXLAN: (1, (1 << 24) - 1),
    NetworkType.VLAN: (1, 4094),
}


class Ipv6Mode(StrEnum):
    SLAAC = "slaac"
    DHCPV6_STATEFUL = "dhcpv6-stateful"
    DHCPV6_STATELESS = "dhcpv6-stateless"


# Modes whose addresses the port derives from its MAC (EUI-64), never from the pools.
AUTO_ADDRESS_MODES = frozenset({Ipv6Mode.SLAAC, Ipv6Mode.DHCPV6_STATELESS})

# Device owners of the network's own infrastructure ports: they do not keep a network from
# being deleted, and go with it (Neutron's AUTO_DELETE_PORT_OWNERS). A router's interface
# does keep it: the router must let go first.
DEVICE_OWNER_DHCP = "network:dhcp"
DEVICE_OWNER_ROUTER_INTF = "network:router_interface"
OWN_PORT_OWNERS = frozenset({DEVICE_OWNER_DHCP, "network:distributed",
                             "network:floatingip_agent_gateway",
                             "network:router_ha_interface"})
# A device owner in this family is the cloud's own (admin or network owner only).
NETWORK_DEVICE_PREFIX = "network:"
ROUTER_OWNERS = frozenset({DEVICE_OWNER_ROUTER_INTF, "network:router_gateway",
                           "network:ha_router_replicated_interface",
                           "network:router_interface_distributed"})

VNIC_TYPES = ("normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
              "smart-nic", "vdpa", "remote-managed")


@dataclass
class Network:
    id: str
    project_id: str
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    status: str = "ACTIVE"
    shared: bool = False
    external: bool = False
    # The cloud's default external network (auto-allocated-topology's is_default): the
    # one auto-allocated routers get their gateway on. Meaningful on external networks.
    is_default: bool = False
    mtu: int = 1450
    port_security_enabled: bool = True
    network_type: str = NetworkType.VXLAN.value
    physical_network: str | None = None
    segmentation_id: int | None = None
    tags: list[str] = field(default_factory=list)
    revision_number: int = 0


@dataclass
class Segment:
    """One segment id of one type (and physical network) held by one network: the table's
    key is what makes the allocation unique, whoever allocates."""

    network_type: str
    # "" for the overlay types, which have no physical network (a key column is not null).
    physical_network: str
    segmentation_id: int
    network_id: str


@dataclass
class Subnet:
    id: str
    project_id: str
    network_id: str
    ip_version: int
    cidr: str
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    gateway_ip: str | None = None
    # [{"start": ..., "end": ...}], in address order.
    allocation_pools: list[dict[str, str]] = field(default_factory=list)
    enable_dhcp: bool = True
    dns_nameservers: list[str] = field(default_factory=list)
    # [{"destination": cidr, "nexthop": ip}]
    host_routes: list[dict[str, str]] = field(default_factory=list)
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None
    tags: list[str] = field(default_factory=list)
    revision_number: int = 0
    # The subnet pool its prefix was allocated from (domain/network_pools.py), if any.
    subnetpool_id: str | None = None

    @property
    def auto_address(self) -> bool:
        """Ports get their address from the prefix and their MAC (SLAAC, DHCPv6-stateless)."""
        return self.ipv6_address_mode in AUTO_ADDRESS_MODES


@dataclass
class Port:
    id: str
    project_id: str
    network_id: str
    mac_address: str
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    status: str = "DOWN"
    # [{"subnet_id": ..., "ip_address": ...}]
    fixed_ips: list[dict[str, str]] = field(default_factory=list)
    device_id: str = ""
    device_owner: str = ""
    port_security_enabled: bool = True
    # [{"ip_address": ip or cidr, "mac_address": mac}]
    allowed_address_pairs: list[dict[str, str]] = field(default_factory=list)
    binding_host_id: str = ""
    binding_vnic_type: str = "normal"
    binding_profile: dict[str, Any] = field(default_factory=dict)
    binding_vif_type: str = "unbound"
    binding_vif_details: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    revision_number: int = 0
    # The ids of the security groups applied (port_security_groups holds them too).
    security_groups: list[str] = field(default_factory=list)


@dataclass
class IpAllocation:
    """One address of one subnet held by one port: keyed by (subnet, address), so the
    database itself refuses a second holder."""

    subnet_id: str
    ip_address: str
    port_id: str
    network_id: str


@dataclass
class NetworkQuota:
    """A project's own limits (-1: none); projects without a row follow the defaults."""

    project_id: str
    network: int
    subnet: int
    port: int
    security_group: int = 10
    security_group_rule: int = 100
    router: int = 10
    floatingip: int = 50
    subnetpool: int = -1


QUOTA_RESOURCES = ("network", "subnet", "port", "security_group", "security_group_rule",
                   "router", "floatingip", "subnetpool")


# -- segments ---------------------------------------------------------------------------------
def first_free_segment(taken: Iterable[int], low: int, high: int) -> int | None:
    """The lowest id in [low, high] not in `taken` (None when all are)."""
    candidate = low
    for used in sorted(t for t in set(taken) if low <= t <= high):
        if used != candidate:
            break
        candidate += 1
    return candidate if candidate <= high else None


def check_provider(network_type: str, physical_network: str | None,
                   segmentation_id: int | None) -> None:
    """Provider attributes that make a segment (Neutron's type drivers' checks)."""
    if network_type not in NetworkType.__members__.values():
        raise ValidationError(NetworkFault.PROVIDER_INVALID,
                              reason=f"network_type {network_type!r} is not supported")
    if network_type in (NetworkType.FLAT, NetworkType.LOCAL) and segmentation_id is not None:
        raise ValidationError(NetworkFault.PROVIDER_INVALID,
                              reason=f"segmentation_id is not allowed for {network_type} "
                                     "provider network")
    if network_type == NetworkType.FLAT and not physical_network:
        raise ValidationError(NetworkFault.PROVIDER_INVALID,
                              reason="physical_network required for flat provider network")
    if network_type in (NetworkType.VXLAN, NetworkType.LOCAL) and physical_network:
        raise ValidationError(NetworkFault.PROVIDER_INVALID,
                              reason=f"provider:physical_network specified for "
                                     f"{network_type} network")
    if network_type == NetworkType.VLAN and not physical_network:
        raise ValidationError(NetworkFault.PROVIDER_INVALID,
                              reason="physical_network required for VLAN provider network")
    if segmentation_id is not None:
        low, high = SEGMENT_RANGES[network_type]
        if not low <= segmentation_id <= high:
            raise ValidationError(NetworkFault.PROVIDER_INVALID,
                                  reason=f"segmentation_id out of range ({low} through {high})")


# -- MAC addresses ----------------------------------------------------------------------------
def mac_from(suffix: int) -> str:
    """fa:16:3e followed by the low 24 bits of `suffix`."""
    low = suffix & 0xFFFFFF
    return f"{MAC_PREFIX}:{low >> 16:02x}:{(low >> 8) & 0xFF:02x}:{low & 0xFF:02x}"


def normalise_mac(value: str) -> str:
    """A unicast MAC in lower-case colon form; MAC_INVALID otherwise."""
    parts = value.replace("-", ":").split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValidationError(NetworkFault.MAC_INVALID, mac_address=value)
    try:
        octets = [int(p, 16) for p in parts]
    except ValueError as exc:
        raise ValidationError(NetworkFault.MAC_INVALID, mac_address=value) from exc
    if octets[0] & 1 or not any(octets):
        raise ValidationError(NetworkFault.MAC_INVALID, mac_address=value)  # multicast, zero
    return ":".join(f"{o:02x}" for o in octets)


# -- subnets ----------------------------------------------------------------------------------
def parse_cidr(cidr: str, ip_version: int) -> IPNetwork:
    """The subnet's prefix; host bits set are refused (Neutron recommends the network)."""
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        raise ValidationError(NetworkFault.CIDR_INVALID, cidr=cidr) from exc
    if net.version != ip_version:
        raise ValidationError(NetworkFault.CIDR_VERSION_MISMATCH, cidr=cidr,
                              ip_version=ip_version)
    # A /32 (/128) has no address for a port; a /31 (/127) none beside a gateway.
    if (net.num_addresses < 4 and net.version == 4) or net.num_addresses < 2:
        raise ValidationError(NetworkFault.CIDR_TOO_SMALL, cidr=cidr)
    return net


def parse_address(attribute: str, value: str, ip_version: int | None = None) -> IPAddress:
    try:
        address = ipaddress.ip_address(value)
    except ValueError as exc:
        raise ValidationError(NetworkFault.ADDRESS_INVALID, attribute=attribute,
                              value=value) from exc
    if ip_version is not None and address.version != ip_version:
        raise ValidationError(NetworkFault.ADDRESS_INVALID, attribute=attribute, value=value)
    return address


def reserved(net: IPNetwork, address: IPAddress) -> bool:
    """The subnet's own addresses no port holds: the network address, and IPv4's
    broadcast."""
    if address == net.network_address:
        return True
    return net.version == 4 and address == net.broadcast_address


def default_gateway(net: IPNetwork) -> IPAddress:
    return net.network_address + 1


def check_gateway(net: IPNetwork, gateway: IPAddress) -> None:
    """A gateway outside the prefix is allowed (an upstream router reached on-link), but
    not the prefix's own network or broadcast address."""
    if gateway in net and reserved(net, gateway):
        raise ValidationError(NetworkFault.GATEWAY_INVALID, ip_address=str(gateway),
                              cidr=str(net))


def _addr(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


# A pool is held as a pair of integers of one IP version (ordering across the v4/v6 union
# is not typed; integers compare).
Pool = tuple[int, int]


def _pool_text(version: int, pool: Pool) -> str:
    return f"{_addr(version, pool[0])}-{_addr(version, pool[1])}"


def default_pools(net: IPNetwork, gateway: IPAddress | None) -> list[Pool]:
    """Every usable address of the prefix, around the gateway."""
    first = int(net.network_address) + 1
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    gw = int(gateway) if gateway is not None and gateway in net else None
    if gw is None or not first <= gw <= last:
        return [(first, last)]
    pools: list[Pool] = []
    if gw > first:
        pools.append((first, gw - 1))
    if gw < last:
        pools.append((gw + 1, last))
    return pools


def parse_pools(net: IPNetwork, pools: list[dict[str, str]]) -> list[Pool]:
    """Allocation pools given by the client: each a range inside the prefix, none
    overlapping another, none holding the network or broadcast address."""
    parsed: list[Pool] = []
    for pool in pools:
        text = f"{pool.get('start')}-{pool.get('end')}"
        try:
            start = ipaddress.ip_address(str(pool["start"]))
            end = ipaddress.ip_address(str(pool["end"]))
        except (KeyError, ValueError) as exc:
            raise ValidationError(NetworkFault.POOL_INVALID, pool=text) from exc
        if start.version != net.version or end.version != net.version or int(end) < int(start):
            raise ValidationError(NetworkFault.POOL_INVALID, pool=text)
        if start not in net or end not in net or reserved(net, start) or reserved(net, end):
            raise ValidationError(NetworkFault.POOL_OUT_OF_BOUNDS, pool=text, cidr=str(net))
        parsed.append((int(start), int(end)))
    parsed.sort()
    for first, second in itertools.pairwise(parsed):
        if second[0] <= first[1]:
            raise Conflict(NetworkFault.POOLS_OVERLAP, pool_1=_pool_text(net.version, first),
                           pool_2=_pool_text(net.version, second), cidr=str(net))
    return parsed


def check_gateway_outside_pools(gateway: IPAddress | None, pools: list[Pool]) -> None:
    if gateway is None:
        return
    for pool in pools:
        if pool[0] <= int(gateway) <= pool[1]:
            raise Conflict(NetworkFault.GATEWAY_IN_POOL, ip_address=str(gateway),
                           pool=_pool_text(gateway.version, pool))


def pools_as_dicts(version: int, pools: list[Pool]) -> list[dict[str, str]]:
    return [{"start": str(_addr(version, s)), "end": str(_addr(version, e))} for s, e in pools]


def overlapping(cidr: str, others: Iterable[Subnet]) -> Subnet | None:
    """The first of `others` whose prefix overlaps `cidr` (one network's subnets must not)."""
    net = ipaddress.ip_network(cidr)
    for other in others:
        other_net = ipaddress.ip_network(other.cidr)
        if other_net.version == net.version and other_net.overlaps(net):
            return other
    return None


def check_ipv6_modes(ip_version: int, ra_mode: str | None, address_mode: str | None,
                     net: IPNetwork) -> None:
    """IPv6 modes only on IPv6 subnets; when both are given they agree; the modes whose
    addresses come from EUI-64 need a /64."""
    if ra_mode is None and address_mode is None:
        return
    valid = set(Ipv6Mode.__members__.values())
    if (ip_version != 6 or (ra_mode is not None and ra_mode not in valid)
            or (address_mode is not None and address_mode not in valid)
            or (ra_mode is not None and address_mode is not None and ra_mode != address_mode)):
        raise ValidationError(NetworkFault.IPV6_MODES_INVALID, ra_mode=ra_mode,
                              address_mode=address_mode)
    mode = address_mode or ra_mode
    if mode in AUTO_ADDRESS_MODES and net.prefixlen != 64:
        raise ValidationError(NetworkFault.IPV6_PREFIX_NOT_64, cidr=str(net), mode=mode)


# -- port addresses ---------------------------------------------------------------------------
def eui64_address(cidr: str, mac: str) -> str:
    """The SLAAC address of a MAC in a /64 (RFC 4291 appendix A: flip the U/L bit, insert
    ff:fe)."""
    net = ipaddress.IPv6Network(cidr)
    octets = [int(p, 16) for p in mac.split(":")]
    octets[0] ^= 0x02
    iid = bytes([*octets[:3], 255, 254, *octets[3:]])
    return str(net.network_address + int.from_bytes(iid, "big"))


def check_fixed_ip(subnet: Subnet, ip_address: str) -> IPAddress:
    """An address a port may ask for on `subnet`: inside the prefix, not its network or
    broadcast address."""
    net = ipaddress.ip_network(subnet.cidr)
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError as exc:
        raise ValidationError(NetworkFault.IP_INVALID_FOR_SUBNET,
                              ip_address=ip_address) from exc
    if address.version != net.version or address not in net or reserved(net, address):
        raise ValidationError(NetworkFault.IP_INVALID_FOR_SUBNET, ip_address=ip_address)
    return address


def pool_addresses(subnet: Subnet) -> Iterator[IPAddress]:
    """The subnet's allocatable addresses in order (lazily: an IPv6 pool is huge)."""
    for pool in subnet.allocation_pools:
        start = int(ipaddress.ip_address(pool["start"]))
        end = int(ipaddress.ip_address(pool["end"]))
        for value in range(start, end + 1):
            yield _addr(subnet.ip_version, value)


def first_free_address(subnet: Subnet, taken: set[str]) -> str | None:
    """The lowest pool address nobody holds (None when the pools are full). Stops at the
    first free one, so the cost is the number of addresses taken, not the pool size."""
    for address in pool_addresses(subnet):
        text = str(address)
        if text not in taken and text != subnet.gateway_ip:
            return text
    return None


def check_address_pair(pair: dict[str, str]) -> None:
    """An allowed address pair: an address or a prefix, with an optional valid MAC."""
    ip = str(pair.get("ip_address", ""))
    try:
        ipaddress.ip_network(ip, strict=False)
    except ValueError as exc:
        raise ValidationError(NetworkFault.ADDRESS_PAIR_INVALID, ip_address=ip) from exc
    if pair.get("mac_address"):
        normalise_mac(str(pair["mac_address"]))
