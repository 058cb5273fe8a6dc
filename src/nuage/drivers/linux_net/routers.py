"""Routers: one namespace each (`<prefix>-r-<router id>`), a veth leg into each attached
network's bridge (`qr-*` inside, holding the subnet's gateway address) and one onto the
external bridge (`qg-*`, holding the router's external address and its floating IPs, so
the router answers ARP for them), with its NAT in one nftables table replaced whole.
"""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

from nuage.drivers.linux_net import datapath, dnsmasq, kernel, metadata, nft
from nuage.drivers.linux_net.kernel import Namespace
from nuage.drivers.linux_net.names import ROUTER_GW, ROUTER_IF, Names, alias, parse_alias
from nuage.ports.network_fabric import FabricError, RouterSpec

NAT_TABLE = "nuage"
ROUTER_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    # The router's addresses are the control plane's to give: usable at once, no
    # duplicate address detection delaying the first advertisement.
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_dad": "0",
    # Answer ARP only for addresses on the asking interface: a floating IP is answered on
    # the external leg alone, never on a tenant network that happens to share its range.
    "net.ipv4.conf.all.arp_ignore": "1",
    # Hairpinned floating IP traffic leaves by the leg it came in on: no redirects.
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
}


def state_dir(root: Path, router_id: str) -> Path:
    return root / "routers" / router_id


def ensure(names: Names, root: Path, router: RouterSpec,
           metadata_socket: Path | None = None) -> None:
    ns_name = names.router_ns(router.router_id)
    # Rendered before the kernel is touched: what nft would refuse changes nothing.
    nat = nat_ruleset(names, router)
    for iface in router.interfaces:
        if iface.ipv6_ra_mode not in (None, *RA_MODES):
            raise FabricError(f"router {router.router_id}: ipv6_ra_mode "
                              f"{iface.ipv6_ra_mode!r} is not one of {sorted(RA_MODES)}")
    with kernel.opened(names.datapath_ns) as dp:
        bridges = {}
        for iface in router.interfaces:
            bridge = datapath.network_bridge(dp, iface.network_id)
            if bridge is None:
                raise FabricError(f"router {router.router_id}: network {iface.network_id} "
                                  "is not on this host")
            bridges[iface.port_id] = bridge
        kernel.ensure_namespace(ns_name)
        kernel.sysctl(ns_name, ROUTER_SYSCTLS)
        legs: dict[str, tuple[str, str, str, set[str]]] = {}   # dp side -> (role, port, mac, addrs)
        for iface in router.interfaces:
            # A port on a dual-stack network is one leg with an address per subnet.
            legs.setdefault(names.router_leg(iface.port_id),
                            (ROUTER_IF, iface.port_id, iface.mac, set()))[3].add(iface.address)
        if router.gateway is not None:
            gw = router.gateway
            addrs = {gw.address} | {f"{f.floating_ip}/32" for f in router.floating_ips}
            legs[names.gateway_leg(gw.port_id)] = (ROUTER_GW, gw.port_id, gw.mac, addrs)
        # Legs of this router that the spec no longer lists go first.
        for link in dp.links():
            role, ids = parse_alias(link.alias)
            if role in (ROUTER_IF, ROUTER_GW) and ids[:1] == (router.router_id,) \
                    and link.name not in legs:
                dp.delete_link(link.name)
        ext = dp.link(names.ext_bridge)
        assert ext is not None, "datapath.ensure made the external bridge"
        with kernel.opened(ns_name) as rns:
            for leg, (role, port_id, mac, addrs) in legs.items():
                inner = (names.router_iface(port_id) if role == ROUTER_IF
                         else names.gateway_iface(port_id))
                _ensure_leg(dp, rns, leg, inner, mac, alias(role, router.router_id, port_id))
                datapath.plug(dp, leg, bridges.get(port_id, ext))
                rns.set_addresses(inner, addrs)
                if not (state := rns.link(inner)) or not state.up:
                    rns.set_up(inner)
            routes = {(r.destination, r.nexthop) for r in router.routes}
            if router.gateway is not None and router.gateway.gateway_ip:
                hop = router.gateway.gateway_ip
                default = "0.0.0.0/0" if ipaddress.ip_address(hop).version == 4 else "::/0"
                routes.add((default, hop))
            rns.set_gateway_routes(routes)
            # The metadata address is the router's own: a guest's request, routed here by
            # its default route, is delivered locally to the proxy.
            on_lo = rns.addresses("lo") - {f"{metadata.ADDRESS}/32"}
            if metadata_socket is not None:
                on_lo.add(f"{metadata.ADDRESS}/32")
            rns.set_addresses("lo", on_lo)
    nft.apply(ns_name, nat)
    files = state_dir(root, router.router_id)
    advertise(names, files / "ra", router)
    if metadata_socket is not None:
        metadata.ensure(ns_name, files / "metadata", "router", router.router_id,
                        metadata_socket)
    else:
        metadata.stop(files / "metadata", "router", router.router_id)


# dnsmasq's range mode for each ipv6_ra_mode, and the advertisement it makes:
# ra-only: the prefix with A (SLAAC); ra-stateless: A and O (other configuration from
# DHCPv6); static: M and O, the prefix without A (addresses from DHCPv6).
RA_MODES = {"slaac": "ra-only", "dhcpv6-stateless": "ra-stateless",
            "dhcpv6-stateful": "static"}


def advertise(names: Names, files: Path, router: RouterSpec) -> None:
    """Router advertisements on the legs of IPv6 subnets with an ipv6_ra_mode, from a
    dnsmasq that does nothing else: no DNS (port=0), and no DHCPv6 either, although the
    DHCPv6 modes' flags need a DHCPv6 range: every DHCPv6 request is ignored (a tag
    nobody sets, negated), so the network's DHCP server is the only one that answers."""
    legs = [(names.router_iface(i.port_id), RA_MODES[i.ipv6_ra_mode])
            for i in router.interfaces
            if i.ipv6_ra_mode is not None and ipaddress.ip_interface(i.address).version == 6]
    if not legs:
        dnsmasq.remove(files)
        return
    conf = [*dnsmasq.common(files), "port=0", "enable-ra", "dhcp-ignore=tag:!nuage-none",
            *(f"interface={leg}" for leg, _ in legs),
            *(f"dhcp-range=::,constructor:{leg},{mode},64" for leg, mode in legs)]
    dnsmasq.apply(names.router_ns(router.router_id), files, "\n".join(conf) + "\n", {})


def _ensure_leg(dp: Namespace, rns: Namespace, leg: str, inner: str, mac: str,
                wanted_alias: str) -> None:
    """A veth from the datapath namespace into the router's; rebuilt if half of it is gone
    or it carries the wrong MAC."""
    link, end = dp.link(leg), rns.link(inner)
    if link is not None and (end is None or link.kind != "veth" or end.mac != mac.lower()):
        dp.delete_link(leg)
        link = None
    if link is None:
        if end is not None:
            rns.delete_link(inner)
        dp.add_veth(leg, inner, rns.name, mac)
    if link is None or link.alias != wanted_alias:
        dp.set_alias(leg, wanted_alias)


def nat_ruleset(names: Names, router: RouterSpec) -> str:
    """The router's whole NAT table, replaced in one transaction (create-delete-create:
    the first line makes the delete valid when the table does not exist yet)."""
    dnat: list[str] = []
    snat: list[str] = []
    gw = router.gateway
    if gw is not None:
        out = nft.quoted(names.gateway_iface(gw.port_id))
        external = ipaddress.ip_interface(gw.address).ip
        for fip in router.floating_ips:
            floating = ipaddress.IPv4Address(fip.floating_ip)
            fixed = ipaddress.IPv4Address(fip.fixed_ip)
            dnat.append(f"ip daddr {floating} dnat ip to {fixed}")
            snat.append(f"oifname {out} ip saddr {fixed} snat ip to {floating}")
            # Hairpin: from a guest to another's floating IP behind this same router. The
            # answer must come back through the router to be un-NATed, so the asker is
            # rewritten too (to its own floating IP when it has one).
            snat.append(f"oifname != {out} ct status dnat ip saddr {fixed} "
                        f"snat ip to {floating}")
        internal = sorted({str(ipaddress.ip_interface(i.address).network)
                           for i in router.interfaces
                           if ipaddress.ip_interface(i.address).version == 4})
        if router.floating_ips and internal:
            snat.append(f"oifname != {out} ct status dnat ip saddr {{ {', '.join(internal)} }}"
                        f" snat ip to {external}")
        if gw.enable_snat and internal:
            snat.append(f"oifname {out} ip saddr {{ {', '.join(internal)} }} "
                        f"snat ip to {external}")
    lines = [f"table ip {NAT_TABLE} {{}}", f"delete table ip {NAT_TABLE}",
             f"table ip {NAT_TABLE} {{",
             "  chain prerouting {", "    type nat hook prerouting priority dstnat;",
             *(f"    {r}" for r in dnat), "  }",
             "  chain postrouting {", "    type nat hook postrouting priority srcnat;",
             *(f"    {r}" for r in snat), "  }", "}"]
    return "\n".join(lines) + "\n"


def floating_ips(names: Names, router_id: str) -> set[str]:
    """The floating addresses the router's NAT table translates now (its DNAT rules, read
    back from the kernel): what the agent reports a floating IP ACTIVE from."""
    try:
        rules = nft.objects(names.router_ns(router_id), "rule", "ip", NAT_TABLE)
    except FabricError:
        return set()        # the namespace went meanwhile, or holds no NAT table
    found: set[str] = set()
    for rule in rules:
        exprs = rule.get("expr", [])
        if rule.get("chain") != "prerouting" or not any("dnat" in e for e in exprs):
            continue
        for e in exprs:
            match = e.get("match", {})
            if match.get("left", {}).get("payload", {}).get("field") == "daddr" and isinstance(
                    match.get("right"), str):
                found.add(match["right"])
    return found


def remove(names: Names, root: Path, router_id: str) -> None:
    """The router's legs first (a removed namespace is destroyed asynchronously by the
    kernel, its veths with it: deleting them here makes removal complete on return)."""
    files = state_dir(root, router_id)
    dnsmasq.remove(files / "ra")
    metadata.stop(files / "metadata", "router", router_id)
    shutil.rmtree(files, ignore_errors=True)
    if names.datapath_ns in kernel.namespaces():
        with kernel.opened(names.datapath_ns) as dp:
            for link in dp.links():
                role, ids = parse_alias(link.alias)
                if role in (ROUTER_IF, ROUTER_GW) and ids[:1] == (router_id,):
                    dp.delete_link(link.name)
    kernel.remove_namespace(names.router_ns(router_id))
