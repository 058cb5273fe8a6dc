"""DHCP and DNS: one dnsmasq per network, in its own namespace
(`<prefix>-dhcp-<network id>`), joined to the network's bridge by a veth whose inner end
(`ns-dhcp`) carries the network's `network:dhcp` port (MAC and addresses).

dnsmasq serves static leases only (`dhcp-range=...,static`: an unknown MAC gets nothing),
the subnets' gateway, DNS servers, host routes and MTU, and answers DNS for the hosts it
knows. On IPv6 subnets whose address mode is a DHCPv6 one it answers DHCPv6 too:
information requests (DNS servers, the domain) for dhcpv6-stateless, and the ports'
addresses for dhcpv6-stateful; it never sends router advertisements (the router does).
Its files live in `<state dir>/dhcp/<network id>/`: the hosts and options files are
re-read on SIGHUP (a port added or removed needs no restart), a changed configuration file
restarts it.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from nuage.drivers.linux_net import datapath, dnsmasq, kernel, metadata
from nuage.drivers.linux_net.names import DHCP, Names, alias
from nuage.ports.network_fabric import FabricError, NetworkSpec, SubnetSpec

LEASE_TIME = "86400s"


def state_dir(root: Path, network_id: str) -> Path:
    return root / "dhcp" / network_id


def ensure(names: Names, root: Path, network: NetworkSpec,
           metadata_socket: Path | None = None) -> None:
    """The namespace, its leg, dnsmasq and (with a metadata socket) the metadata proxy."""
    server = network.dhcp
    assert server is not None
    ns_name = names.dhcp_ns(network.network_id)
    leg = names.dhcp_leg(network.network_id)
    inner = Names.DHCP_IFACE
    prefixes = {s.subnet_id: ipaddress.ip_network(s.cidr) for s in network.subnets}
    addresses = {f"{f.ip_address}/{prefixes[f.subnet_id].prefixlen}"
                 for f in server.fixed_ips if f.subnet_id in prefixes}
    if metadata_socket is not None:
        addresses.add(f"{metadata.ADDRESS}/32")
    kernel.ensure_namespace(ns_name)
    with kernel.opened(names.datapath_ns) as dp, kernel.opened(ns_name) as dns:
        bridge = datapath.network_bridge(dp, network.network_id)
        if bridge is None:
            raise FabricError(f"network {network.network_id} has no bridge")
        link, end = dp.link(leg), dns.link(inner)
        if link is not None and (end is None or end.mac != server.mac.lower()):
            dp.delete_link(leg)
            link = None
        if link is None:
            if end is not None:
                dns.delete_link(inner)
            dp.add_veth(leg, inner, ns_name, server.mac, bridge.mtu)
            dp.set_alias(leg, alias(DHCP, network.network_id))
        datapath.plug(dp, leg, bridge)
        dns.set_mtu(inner, bridge.mtu)
        dns.set_addresses(inner, addresses)
        dns.set_up(inner)
    files = state_dir(root, network.network_id)
    dnsmasq.apply(ns_name, files, config(files, network),
                  {"hosts": hosts(network), "addn-hosts": dns_hosts(network),
                   "opts": options(network, metadata_socket is not None)})
    if metadata_socket is not None:
        metadata.ensure(ns_name, files, "network", network.network_id, metadata_socket)
    else:
        metadata.stop(files, "network", network.network_id)


def remove(names: Names, root: Path, network_id: str) -> None:
    metadata.stop(state_dir(root, network_id), "network", network_id)
    dnsmasq.remove(state_dir(root, network_id))
    # The leg before the namespace: the kernel destroys a removed namespace (and the
    # veths in it) asynchronously, later.
    if names.datapath_ns in kernel.namespaces():
        with kernel.opened(names.datapath_ns) as dp:
            dp.delete_link(names.dhcp_leg(network_id))
    kernel.remove_namespace(names.dhcp_ns(network_id))


def running(files: Path) -> int | None:
    return dnsmasq.running(files)


def config(files: Path, network: NetworkSpec) -> str:
    lines = [
        *dnsmasq.common(files), "no-ping", f"interface={Names.DHCP_IFACE}",
        f"dhcp-hostsfile={files / 'hosts'}",
        f"dhcp-optsfile={files / 'opts'}",
        f"addn-hosts={files / 'addn-hosts'}",
        f"dhcp-leasefile={files / 'leases'}",
        "dhcp-authoritative", "dhcp-ignore-clid",
        f"domain={network.dns_domain}", "local=/" + network.dns_domain + "/",
        "expand-hosts",
    ]
    for subnet in network.subnets:
        net = ipaddress.ip_network(subnet.cidr)
        if subnet.enable_dhcp and net.version == 4:
            lines.append(f"dhcp-range=set:{_tag(subnet.subnet_id)},{net.network_address},"
                         f"static,{net.netmask},{LEASE_TIME}")
        elif subnet.enable_dhcp and subnet.ipv6_address_mode in DHCPV6_MODES:
            # Static: information requests are answered, addresses only to known hosts
            # (none for a stateless subnet). No ra-* mode: no advertisements from here.
            lines.append(f"dhcp-range=set:{_tag(subnet.subnet_id)},{net.network_address},"
                         f"static,{net.prefixlen},{LEASE_TIME}")
    return "\n".join(lines) + "\n"


DHCPV6_MODES = ("dhcpv6-stateless", "dhcpv6-stateful")


def hosts(network: NetworkSpec) -> str:
    """A line per address: the IPv4 ones, and those on dhcpv6-stateful subnets (in
    brackets); dnsmasq matches each to the subnet (its range) it belongs to."""
    stateful = [ipaddress.ip_network(s.cidr) for s in network.subnets
                if s.enable_dhcp and s.ipv6_address_mode == "dhcpv6-stateful"]
    lines = []
    for host in network.dhcp_hosts:
        address = ipaddress.ip_address(host.ip_address)
        if address.version == 4:
            shown = str(address)
        elif any(address in net for net in stateful):
            shown = f"[{address}]"
        else:
            continue
        name = f",{host.hostname}" if host.hostname else ""
        lines.append(f"{host.mac.lower()},{shown}{name}")
    return "\n".join(sorted(lines)) + "\n"


def dns_hosts(network: NetworkSpec) -> str:
    lines = [f"{h.ip_address}\t{h.hostname}.{network.dns_domain}\t{h.hostname}"
             for h in network.dhcp_hosts if h.hostname]
    return "\n".join(sorted(lines)) + "\n"


def options(network: NetworkSpec, metadata_route: bool = False) -> str:
    server = network.dhcp
    assert server is not None
    own = {f.subnet_id: f.ip_address for f in server.fixed_ips}
    lines = [f"option:mtu,{network.mtu}"]
    for subnet in network.subnets:
        if subnet.enable_dhcp and subnet.ipv6_address_mode in DHCPV6_MODES:
            lines.extend(_v6_options(network, subnet, own.get(subnet.subnet_id)))
        if not subnet.enable_dhcp or ipaddress.ip_network(subnet.cidr).version != 4:
            continue
        tag = f"tag:{_tag(subnet.subnet_id)}"
        dns = subnet.dns_nameservers or ((own[subnet.subnet_id],)
                                         if subnet.subnet_id in own else ())
        if dns:
            lines.append(f"{tag},option:dns-server,{','.join(dns)}")
        routes = [f"{r.destination},{r.nexthop}" for r in subnet.host_routes]
        if metadata_route and subnet.subnet_id in own:
            routes.append(f"{metadata.ADDRESS}/32,{own[subnet.subnet_id]}")
        if subnet.gateway_ip:
            lines.append(f"{tag},option:router,{subnet.gateway_ip}")
            # RFC 3442: a client given classless routes ignores the router option, so
            # the default route goes in them too.
            if routes:
                routes.append(f"0.0.0.0/0,{subnet.gateway_ip}")
        else:
            lines.append(f"{tag},option:router")    # none: the client must not guess
        if routes:
            lines.append(f"{tag},option:classless-static-route,{','.join(routes)}")
    return "\n".join(lines) + "\n"


def _v6_options(network: NetworkSpec, subnet: SubnetSpec, own: str | None) -> list[str]:
    """DHCPv6 options of a subnet: its DNS servers (else the DHCP port's address on it,
    where dnsmasq answers DNS; a stateless subnet gives the port none, and dnsmasq then
    names itself) and the network's domain."""
    tag = f"tag:{_tag(subnet.subnet_id)}"
    dns = [d for d in subnet.dns_nameservers if ipaddress.ip_address(d).version == 6]
    if not dns and own is not None:
        dns = [own]
    lines = [f"{tag},option6:domain-search,{network.dns_domain}"]
    if dns:
        lines.append(f"{tag},option6:dns-server,{','.join(f'[{d}]' for d in dns)}")
    return lines


def _tag(subnet_id: str) -> str:
    return f"s-{subnet_id}"

