"""What a guest learns about itself: OpenStack's meta_data.json and network_data.json, and
the EC2-style values, built once here from plain facts so that the config drive and the
metadata service say the same thing (pure: no I/O, no clock).

`InstanceFacts` comes from compute (the server), `NicFacts` from network (the server's
ports with their subnets and networks); neither area imports the other, both import this.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InstanceFacts:
    """The server, as its guest may see it (nothing of another project, no host)."""

    id: str
    name: str
    project_id: str
    hostname: str
    availability_zone: str
    launch_index: int
    key_name: str | None
    key_data: str | None
    # Base64, as the API took it (None: the server has none).
    user_data: str | None
    metadata: dict[str, str]
    # Nova's EC2 ids come from integer database ids: ours is the server's sequence number.
    number: int
    image_id: str
    flavor_name: str
    reservation_id: str | None


@dataclass(frozen=True)
class SubnetFacts:
    id: str
    ip_version: int
    cidr: str
    gateway_ip: str | None
    enable_dhcp: bool
    dns_nameservers: tuple[str, ...] = ()
    # ({"destination": cidr, "nexthop": ip}, ...)
    host_routes: tuple[dict[str, str], ...] = ()
    ipv6_address_mode: str | None = None


@dataclass(frozen=True)
class NicFacts:
    """One port of the server: its link and the addresses it holds on its subnets."""

    port_id: str
    network_id: str
    mac_address: str
    mtu: int
    # ((subnet, address), ...) in the port's order.
    addresses: tuple[tuple[SubnetFacts, str], ...] = ()
    # The security groups' names (the security-group branch fills them; none yet).
    security_groups: tuple[str, ...] = field(default_factory=tuple)


def meta_data(server: InstanceFacts) -> dict[str, Any]:
    """openstack/<version>/meta_data.json."""
    keys = ({server.key_name: server.key_data}
            if server.key_name and server.key_data else {})
    return {
        "uuid": server.id, "name": server.name, "hostname": server.hostname,
        "launch_index": server.launch_index,
        "availability_zone": server.availability_zone,
        "project_id": server.project_id, "public_keys": keys,
        "keys": [{"name": k, "type": "ssh", "data": v} for k, v in keys.items()],
        "meta": dict(server.metadata), "devices": [],
    }


def link_id(port_id: str) -> str:
    """Nova's name for a port's link in network_data.json: its TAP's name."""
    return f"tap{port_id[:11]}"


def network_data(nics: Sequence[NicFacts]) -> dict[str, Any]:
    """openstack/<version>/network_data.json, as Nova's netutils.get_network_metadata
    writes it: one link per port, one network per address (`ipvN_dhcp` where the subnet
    runs DHCP for IPv4, `ipv6_slaac`/`ipv6_dhcpv6-*` where IPv6 is autoconfigured, else
    static with its netmask and routes), DNS servers as services."""
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    dns: list[str] = []
    for nic in nics:
        link = link_id(nic.port_id)
        links.append({"id": link, "vif_id": nic.port_id, "type": "tap",
                      "mtu": nic.mtu, "ethernet_mac_address": nic.mac_address})
        for subnet, address in nic.addresses:
            entry: dict[str, Any] = {"id": f"network{len(networks)}", "link": link,
                                     "network_id": nic.network_id}
            if subnet.ip_version == 4 and subnet.enable_dhcp:
                entry["type"] = "ipv4_dhcp"
            elif subnet.ip_version == 6 and subnet.ipv6_address_mode:
                entry["type"] = f"ipv6_{subnet.ipv6_address_mode}"
            else:
                entry.update(_static(subnet, address))
            networks.append(entry)
            dns += [d for d in subnet.dns_nameservers if d not in dns]
    return {"links": links, "networks": networks,
            "services": [{"type": "dns", "address": d} for d in dns]}


def _static(subnet: SubnetFacts, address: str) -> dict[str, Any]:
    net = ipaddress.ip_network(subnet.cidr)
    routes = []
    if subnet.gateway_ip:
        default = "0.0.0.0" if net.version == 4 else "::"
        routes.append({"network": default, "netmask": default, "gateway": subnet.gateway_ip})
    for route in subnet.host_routes:
        dest = ipaddress.ip_network(route["destination"])
        routes.append({"network": str(dest.network_address), "netmask": str(dest.netmask),
                       "gateway": route["nexthop"]})
    return {"type": f"ipv{net.version}", "ip_address": address, "netmask": str(net.netmask),
            "routes": routes,
            "services": [{"type": "dns", "address": d} for d in subnet.dns_nameservers]}


def ec2_instance_id(number: int) -> str:
    """Nova's `id_to_ec2_inst_id`: i- and the integer id in eight hex digits."""
    return f"i-{number:08x}"


def ec2_image_id(image_id: str) -> str:
    """An ami- id for the image. Nova numbers images in a mapping table; ours is the
    uuid's first eight hex digits (stable, never another image's by design of uuid4)."""
    return f"ami-{image_id.replace('-', '')[:8]}"


def ec2_meta_data(server: InstanceFacts, nics: Sequence[NicFacts],
                  public_ipv4: str | None) -> dict[str, Any]:
    """The tree under latest/meta-data/ (Nova's get_ec2_metadata): a dict is a directory,
    anything else a value. `public_ipv4`: the port's floating IP, absent without one."""
    first_v4 = next((address for nic in nics for subnet, address in nic.addresses
                     if subnet.ip_version == 4), None)
    groups: list[str] = []
    for nic in nics:
        groups += [g for g in nic.security_groups if g not in groups]
    tree: dict[str, Any] = {
        "ami-id": ec2_image_id(server.image_id),
        "ami-launch-index": str(server.launch_index),
        "hostname": server.hostname,
        "instance-action": "none",
        "instance-id": ec2_instance_id(server.number),
        "instance-type": server.flavor_name,
        "local-hostname": server.hostname,
        "placement": {"availability-zone": server.availability_zone},
        "public-hostname": server.hostname,
        "reservation-id": server.reservation_id or "",
        "security-groups": "\n".join(groups),
    }
    if first_v4 is not None:
        tree["local-ipv4"] = first_v4
    if public_ipv4 is not None:
        tree["public-ipv4"] = public_ipv4
    if server.key_name and server.key_data:
        # Listed as "0=<name>"; its directory holds openssh-key (Nova's "_name").
        tree["public-keys"] = {"0": {"_name": f"0={server.key_name}",
                                     "openssh-key": server.key_data}}
    return tree
