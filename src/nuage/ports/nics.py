"""A server's NICs as compute sees them: plain data (strings, numbers, tuples), so that
they cross the agent's port (ports/compute_agent.py) as they would a message bus."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NicAddress:
    """One fixed IP of a NIC, with its subnet as the guest needs it to configure itself."""

    address: str
    version: int
    subnet_id: str
    cidr: str
    gateway: str | None = None
    dns_nameservers: tuple[str, ...] = ()
    # (destination CIDR, next hop)
    host_routes: tuple[tuple[str, str], ...] = ()
    dhcp: bool = True
    # The floating IPs bound to this address (Nova shows them on the fixed IP's network
    # as "OS-EXT-IPS:type": "floating"); never configured in the guest: the router NATs.
    floating_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerNic:
    """A server's port, as compute shows and plugs it. A plain copy (bus-safe)."""

    port_id: str
    mac: str
    network_id: str
    network_name: str
    mtu: int
    # Neutron's port status: ACTIVE once the host's network agent has plugged it.
    status: str
    addresses: tuple[NicAddress, ...] = field(default_factory=tuple)
    # The device tag given when it was attached (os-interface, 2.49), shown from 2.70.
    tag: str | None = None
