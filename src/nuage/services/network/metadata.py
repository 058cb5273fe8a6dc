"""Who is asking the metadata service: a guest, named by where its request came through
(its network's DHCP namespace, or a router) and its address.

Neither comes from the guest: the metadata proxy in the namespace sets both (the network or
router it serves, the source address of the connection), and anti-spoofing drops whatever
a guest sends from an address that is not its own. So (network, address) names one port,
and (router, address) one port on one of the router's subnets (a router's subnets never
overlap). Only a server's port answers (device_owner compute:*, a device_id); anything
else, or nothing, is None: the adapter says 404, and nothing of anyone is told.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from nuage.domain.instance_metadata import NicFacts, SubnetFacts
from nuage.domain.network import IpAllocation, Port
from nuage.ports.repositories import UnitOfWork
from nuage.services.network.base import NetworkPorts

COMPUTE_OWNER_PREFIX = "compute:"
# A router's legs on its internal subnets (not its gateway: guests do not sit there).
ROUTER_INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                           "network:ha_router_replicated_interface")


@dataclass(frozen=True)
class GuestNetworking:
    """The server behind a guest's request, and what network_data says about it."""

    server_id: str
    # The port's project: the server must be of the same one (compute checks).
    project_id: str
    port_id: str
    address: str
    # Every port of the server, in creation order (the asking one among them).
    nics: tuple[NicFacts, ...]
    # The server's floating IP, the asking port's first (None: none; Nova omits the key).
    public_ipv4: str | None = None


class MetadataLookup:
    def __init__(self, ports: NetworkPorts) -> None:
        self.p = ports

    def by_network(self, network_id: str, address: str) -> GuestNetworking | None:
        """The server whose port on this network holds this address."""
        ip = _normalise(address)
        if ip is None or not network_id:
            return None
        with self.p.uow() as uow:
            held = uow.ip_allocations.find(network_id=network_id, ip_address=ip)
            return self._guest(uow, held, ip)

    def by_router(self, router_id: str, address: str) -> GuestNetworking | None:
        """The server whose port holds this address on a subnet the router is attached
        to (through an interface port of this router)."""
        ip = _normalise(address)
        if ip is None or not router_id:
            return None
        with self.p.uow() as uow:
            legs = uow.ports.find(device_id=router_id,
                                  device_owner=list(ROUTER_INTERFACE_OWNERS))
            subnets = sorted({f["subnet_id"] for leg in legs for f in leg.fixed_ips})
            if not subnets:
                return None
            held = uow.ip_allocations.find(subnet_id=subnets, ip_address=ip)
            return self._guest(uow, held, ip)

    def _guest(self, uow: UnitOfWork, held: list[IpAllocation], ip: str
               ) -> GuestNetworking | None:
        # Two holders would mean overlapping subnets behind one path: say nothing rather
        # than guess which guest is asking.
        if len(held) != 1:
            return None
        port = uow.ports.get(held[0].port_id)
        if port is None or not _is_server_port(port):
            return None
        # Another port of the network may also send from this address (an allowed address
        # pair, e.g. for VRRP): anti-spoofing lets it, so the address no longer names one
        # guest. Say nothing rather than hand the holder's user data and keys to whoever
        # else may send from it (on a shared network, another project).
        if any(p.id != port.id and _pairs_cover(p, ip)
               for p in uow.ports.find(network_id=port.network_id)):
            return None
        siblings = [p for p in uow.ports.find(device_id=port.device_id,
                                              project_id=port.project_id)
                    if _is_server_port(p)]
        siblings.sort(key=lambda p: (p.created_at, p.id))
        return GuestNetworking(server_id=port.device_id, project_id=port.project_id,
                               port_id=port.id, address=ip,
                               nics=tuple(self._nic(uow, p) for p in siblings),
                               public_ipv4=_public_ipv4(uow, port, ip, siblings))

    @staticmethod
    def _nic(uow: UnitOfWork, port: Port) -> NicFacts:
        net = uow.networks.get(port.network_id)
        addresses = []
        for fixed in port.fixed_ips:
            s = uow.subnets.get(fixed["subnet_id"])
            if s is None:
                continue
            addresses.append((SubnetFacts(
                id=s.id, ip_version=s.ip_version, cidr=s.cidr, gateway_ip=s.gateway_ip,
                enable_dhcp=s.enable_dhcp, dns_nameservers=tuple(s.dns_nameservers),
                host_routes=tuple(dict(r) for r in s.host_routes),
                ipv6_address_mode=s.ipv6_address_mode), fixed["ip_address"]))
        return NicFacts(port_id=port.id, network_id=port.network_id,
                        mac_address=port.mac_address, mtu=net.mtu if net else 1450,
                        addresses=tuple(addresses))


def _public_ipv4(uow: UnitOfWork, asking: Port, ip: str, ports: list[Port]) -> str | None:
    """Nova's public-ipv4: the server's floating IP. The one bound to the address the
    guest asked from first, then another on the asking port, then one of another port of
    the server (ports in creation order, each's oldest first); None without any."""
    found = [f for f in uow.floating_ips.find(port_id=[p.id for p in ports])
             if f.fixed_ip_address and ipaddress.ip_address(f.floating_ip_address).version == 4]
    if not found:
        return None
    order = {p.id: n for n, p in enumerate(ports)}
    best = min(found, key=lambda f: (
        f.port_id != asking.id, f.fixed_ip_address != ip, order.get(f.port_id or "", 0),
        f.created_at, f.id))
    return best.floating_ip_address


def _is_server_port(port: Port) -> bool:
    return port.device_owner.startswith(COMPUTE_OWNER_PREFIX) and bool(port.device_id)


def _normalise(address: str) -> str | None:
    """The address as ports store it; None for anything that is not one address."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _pairs_cover(port: Port, ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    for pair in port.allowed_address_pairs:
        try:
            if address in ipaddress.ip_network(str(pair["ip_address"]), strict=False):
                return True
        except ValueError:
            continue
    return False
