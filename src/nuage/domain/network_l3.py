"""Routers and floating IPs (Neutron's L3): the entities and the rules that need no I/O.

A router joins subnets (an interface port on each, holding the subnet's gateway address)
and, through its gateway port, an external network; a floating IP is an address of an
external network bound to one fixed address of a port behind such a router. Which
addresses these ports get is the ports' allocation (domain/network.py); what is decided
here is which subnets may meet on one router and which static routes it may carry.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from nuage.domain.errors import ValidationError
from nuage.domain.network import Subnet
from nuage.domain.network_errors import NetworkFault

DEVICE_OWNER_ROUTER_GW = "network:router_gateway"
DEVICE_OWNER_FLOATINGIP = "network:floatingip"
# Neutron's max_routes: static routes a router carries.
MAX_ROUTES = 30


@dataclass
class Router:
    id: str
    project_id: str
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    status: str = "ACTIVE"
    # The external network its gateway port is on (None: no gateway).
    gw_network_id: str | None = None
    gw_port_id: str | None = None
    enable_snat: bool = True
    # The gateway port's addresses, repeated here for reading ([{subnet_id, ip_address}]);
    # both change in one transaction.
    external_fixed_ips: list[dict[str, str]] = field(default_factory=list)
    # [{"destination": cidr, "nexthop": ip}]
    routes: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    revision_number: int = 0


@dataclass
class FloatingIp:
    id: str
    project_id: str
    floating_network_id: str
    floating_ip_address: str
    # The external network's port that holds the address (device_owner network:floatingip).
    floating_port_id: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    # The association: a port's fixed address, reached through `router_id`.
    port_id: str | None = None
    fixed_ip_address: str | None = None
    router_id: str | None = None
    # DOWN unassociated, ACTIVE associated; with a datapath, as its agent reports it.
    status: str = "DOWN"
    tags: list[str] = field(default_factory=list)
    revision_number: int = 0


def overlapping_subnet(subnet: Subnet, attached: Iterable[Subnet]) -> Subnet | None:
    """The first attached subnet (other than `subnet` itself) whose prefix overlaps it: one
    router cannot route to two places for one address."""
    net = ipaddress.ip_network(subnet.cidr)
    for other in attached:
        if other.id == subnet.id:
            continue
        other_net = ipaddress.ip_network(other.cidr)
        if other_net.version == net.version and other_net.overlaps(net):
            return other
    return None


def check_routes(router_id: str, routes: list[dict[str, str]], connected: Iterable[str],
                 own_addresses: Iterable[str]) -> list[dict[str, str]]:
    """Static routes as Neutron's extraroute takes them: a destination prefix, and a nexthop
    on one of the router's subnets (`connected`, prefixes) that is not the router's own
    address. Returned normalised, duplicates dropped."""
    if len(routes) > MAX_ROUTES:
        raise ValidationError(NetworkFault.ROUTES_EXHAUSTED, router_id=router_id,
                              quota=MAX_ROUTES)
    prefixes = [ipaddress.ip_network(c) for c in connected]
    own = set(own_addresses)
    out: list[dict[str, str]] = []
    for route in routes:
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            raise ValidationError(NetworkFault.ROUTES_INVALID, routes=routes,
                                  reason="each route needs a destination and a nexthop")
        try:
            dest = ipaddress.ip_network(str(route["destination"]), strict=False)
            hop = ipaddress.ip_address(str(route["nexthop"]))
        except ValueError as exc:
            raise ValidationError(NetworkFault.ROUTES_INVALID, routes=routes,
                                  reason="the destination or nexthop is not valid") from exc
        if dest.version != hop.version:
            raise ValidationError(NetworkFault.ROUTES_INVALID, routes=routes,
                                  reason="the destination and nexthop differ in IP version")
        if not any(hop.version == p.version and hop in p for p in prefixes):
            raise ValidationError(NetworkFault.ROUTES_INVALID, routes=routes,
                                  reason="the nexthop is not connected with router")
        if str(hop) in own:
            raise ValidationError(NetworkFault.ROUTES_INVALID, routes=routes,
                                  reason="the nexthop is used by router")
        entry = {"destination": str(dest), "nexthop": str(hop)}
        if entry not in out:
            out.append(entry)
    return out


def routes_through(routes: list[dict[str, str]], cidr: str) -> bool:
    """Some route's nexthop lies in `cidr` (the interface on it cannot go)."""
    net = ipaddress.ip_network(cidr)
    return any(ipaddress.ip_address(r["nexthop"]).version == net.version
               and ipaddress.ip_address(r["nexthop"]) in net for r in routes)


@dataclass
class AutoAllocatedTopology:
    """A project's auto-allocated topology (Neutron's auto_allocated_topologies row): the
    network and router made for it on first use. Keyed by project: one per project,
    whoever builds it (the key refuses a second)."""

    project_id: str
    network_id: str
    router_id: str
