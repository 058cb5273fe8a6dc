"""The datapath namespace: the host-wide objects every call relies on.

One namespace per host (`<prefix>-dp`) holds every tenant bridge, the VM taps, the legs of
the DHCP and router namespaces, and the external bridge. br_netfilter is switched on there
(only there: the sysctls are per namespace) so bridged IP traffic meets the inet family's
conntrack and security group chains (security.py says why).
"""

from __future__ import annotations

from nuage.drivers.linux_net import kernel, nft, security
from nuage.drivers.linux_net.kernel import Link, Namespace
from nuage.drivers.linux_net.names import EXTERNAL, NETWORK, Names, alias, parse_alias
from nuage.ports.network_fabric import FabricError

EXTERNAL_MTU = 1500
BRIDGE_NF = {
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.bridge.bridge-nf-call-arptables": "0",
    # Nothing here has an address of its own: no IPv6 link-local chatter from the bridges
    # and taps (bridged IPv6 frames still pass), and nothing routes.
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    "net.ipv4.ip_forward": "0",
}


def ensure(names: Names) -> None:
    """The namespace, its sysctls and the external bridge; cheap when all are there."""
    ns_name = names.datapath_ns
    kernel.ensure_namespace(ns_name)
    kernel.sysctl(ns_name, BRIDGE_NF)
    with kernel.opened(ns_name) as ns:
        ensure_bridge(ns, names.ext_bridge, alias(EXTERNAL), EXTERNAL_MTU)
        ensure_filter(ns)


def ensure_filter(ns: Namespace) -> None:
    """The security tables' skeleton, with each tenant bridge's conntrack zone."""
    bridges = []
    for link in ns.links():
        role, _ = parse_alias(link.alias)
        segment = Names.segment_of(link.name)
        if role == NETWORK and segment is not None:
            bridges.append((link.name, segment))
    nft.apply(ns.name, security.base(bridges))


def ensure_bridge(ns: Namespace, name: str, wanted_alias: str, mtu: int) -> None:
    link = ns.link(name)
    if link is not None and link.kind != "bridge":
        raise FabricError(f"{name} in {ns.name} is a {link.kind or 'device'}, not a bridge")
    if link is None:
        ns.add_bridge(name, mtu)
        link = ns.link(name)
        assert link is not None
    if link.alias != wanted_alias:
        ns.set_alias(name, wanted_alias)
    if link.mtu != mtu:
        ns.set_mtu(name, mtu)
    if not link.up:
        ns.set_up(name)


def network_bridge(ns: Namespace, network_id: str) -> Link | None:
    """The bridge carrying this network, found by its alias (the name holds the segment)."""
    for link in ns.links():
        if link.kind == "bridge" and parse_alias(link.alias) == (NETWORK, (network_id,)):
            return link
    return None


def plug(ns: Namespace, device: str, bridge: Link, up: bool = True) -> None:
    """The device on the bridge, with the bridge's MTU, up (or down)."""
    link = ns.link(device)
    if link is None:
        raise FabricError(f"no device {device} in {ns.name}")
    if link.mtu != bridge.mtu:
        ns.set_mtu(device, bridge.mtu)
    if link.master != bridge.index:
        ns.set_master(device, bridge.name)
    if link.up != up:
        ns.set_up(device, up)
