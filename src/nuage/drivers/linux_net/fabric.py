"""LinuxNetworkFabric: the NetworkFabric port on Linux bridges, veths, TAPs, network
namespaces, dnsmasq and nftables (docs/architecture/network-datapath.md)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from nuage.drivers.linux_net import (
    conntrack,
    datapath,
    dhcp,
    kernel,
    nft,
    routers,
    security,
)
from nuage.drivers.linux_net.names import (
    DHCP,
    NETWORK,
    PORT,
    ROUTER_GW,
    ROUTER_IF,
    SEGMENT_MAX,
    Names,
    alias,
    parse_alias,
)
from nuage.ports.network_fabric import (
    DesiredState,
    FabricError,
    Inventory,
    NetworkSpec,
    PortSpec,
    RouterSpec,
    SecurityGroupSpec,
)

GUEST_IFACE = "eth0"          # a stand-in guest's end of its veth


@contextlib.contextmanager
def _spec_errors(what: str) -> Iterator[None]:
    """A spec the kernel cannot take (a malformed address, prefix or MAC) is the
    caller's FabricError, not a crash of the agent."""
    try:
        yield
    except ValueError as exc:
        raise FabricError(f"{what}: {exc}") from exc


class LinuxNetworkFabric:
    """Blocking and idempotent; one change at a time per instance (a lock), and the
    kernel is the only memory: a new instance with the same prefix finds everything."""

    def __init__(self, state_dir: Path, prefix: str = "nuage",
                 metadata_socket: Path | None = None) -> None:
        """`state_dir` holds the daemons' files (dnsmasq, metadata proxies); `prefix` names
        everything the fabric owns; `metadata_socket` is the metadata service's unix
        socket: with it, guests' requests to 169.254.169.254 reach it (metadata.py)."""
        self.names = Names(prefix)
        self.state_dir = state_dir
        self.metadata_socket = metadata_socket
        self._lock = threading.RLock()
        self._converging = False

    def _datapath(self) -> None:
        """The host-wide objects, checked once per call (once per converge pass)."""
        if not self._converging:
            datapath.ensure(self.names)

    def guest_netns(self) -> str:
        return self.names.datapath_ns

    def tap_name(self, port_id: str) -> str:
        return self.names.tap(port_id)

    # -- networks
    def ensure_network(self, network: NetworkSpec) -> None:
        if not 1 <= network.segment_id <= SEGMENT_MAX:
            raise FabricError(f"segment id {network.segment_id}: 1 to {SEGMENT_MAX}")
        with self._lock, _spec_errors(f"network {network.network_id}"):
            self._datapath()
            bridge = self.names.bridge(network.segment_id)
            with kernel.opened(self.names.datapath_ns) as ns:
                link = ns.link(bridge)
                owner = parse_alias(link.alias if link else None)
                if link is not None and owner[0] == NETWORK and owner[1] != (network.network_id,):
                    raise FabricError(f"segment {network.segment_id} already carries "
                                      f"network {owner[1][0]}")
                old = datapath.network_bridge(ns, network.network_id)
                if old is not None and old.name != bridge:
                    ns.delete_link(old.name)        # the network moved to another segment
                datapath.ensure_bridge(ns, bridge, alias(NETWORK, network.network_id),
                                       network.mtu)
                datapath.ensure_filter(ns)
            if network.dhcp is not None:
                dhcp.ensure(self.names, self.state_dir, network, self.metadata_socket)
            else:
                dhcp.remove(self.names, self.state_dir, network.network_id)

    def remove_network(self, network_id: str) -> None:
        with self._lock:
            dhcp.remove(self.names, self.state_dir, network_id)
            if self.names.datapath_ns not in kernel.namespaces():
                return
            with kernel.opened(self.names.datapath_ns) as ns:
                link = datapath.network_bridge(ns, network_id)
                if link is not None:
                    ns.delete_link(link.name)

    # -- security groups
    def ensure_security_group(self, group: SecurityGroupSpec) -> None:
        with self._lock, _spec_errors(f"group {group.group_id}"):
            self._datapath()
            dp = self.names.datapath_ns
            before = security.applied_digest(nft.ruleset(dp), group.group_id)
            nft.apply(dp, security.group_script(group))
            if before is not None and before != security.rules_digest(group):
                conntrack.forget(dp, set(group.members))

    def remove_security_group(self, group_id: str) -> None:
        with self._lock:
            dp = self.names.datapath_ns
            if dp not in kernel.namespaces():
                return
            if group_id not in security.group_ids(nft.ruleset(dp)):
                return
            try:
                nft.apply(dp, security.remove_group_script(group_id))
            except FabricError as exc:
                raise FabricError(f"security group {group_id} is in use: {exc}") from exc
            # Other groups' rules may still name its members as remote group: the sets
            # stay until those go (converge removes the leftovers).
            with contextlib.suppress(FabricError):
                nft.apply(dp, security.remove_set_script(group_id))

    # -- ports
    def ensure_port(self, port: PortSpec) -> None:
        with self._lock, _spec_errors(f"port {port.port_id}"):
            self._datapath()
            device = self.names.tap(port.port_id)
            ruleset = nft.ruleset(self.names.datapath_ns)
            if port.port_security:
                missing = set(port.security_groups) - security.group_ids(ruleset)
                if missing:
                    raise FabricError(f"port {port.port_id}: security group "
                                      f"{sorted(missing)[0]} is not on this host")
            with kernel.opened(self.names.datapath_ns) as ns:
                bridge = datapath.network_bridge(ns, port.network_id)
                if bridge is None:
                    raise FabricError(f"port {port.port_id}: network {port.network_id} "
                                      "is not on this host")
                link = ns.link(device)
                if link is not None and parse_alias(link.alias)[0] == PORT \
                        and parse_alias(link.alias)[1] != (port.port_id,):
                    raise FabricError(f"port {port.port_id}: {device} belongs to port "
                                      f"{parse_alias(link.alias)[1][0]}")
                # Rendered once before the kernel is touched: a spec nft or ipaddress
                # refuses changes nothing.
                security.port_script(self.names, port, 1, ruleset)
                wanted_kind = "veth" if port.guest_netns else "tun"
                if link is not None and (link.kind != wanted_kind
                                         or not self._guest_end_ok(port)):
                    ns.delete_link(device)
                    link = None
                if link is None:
                    if port.guest_netns:
                        ns.add_veth(device, GUEST_IFACE, port.guest_netns, port.mac,
                                    bridge.mtu)
                    else:
                        ns.add_tap(device, bridge.mtu)
                wanted_alias = alias(PORT, port.port_id)
                if link is None or link.alias != wanted_alias:
                    ns.set_alias(device, wanted_alias)
                # The rules before the bridge: a new device carries no traffic until its
                # anti-spoofing and security groups are in place (fail closed).
                tag = ns.link(device)
                assert tag is not None
                script = security.port_script(self.names, port, tag.index, ruleset)
                if script:
                    nft.apply(self.names.datapath_ns, script)
                datapath.plug(ns, device, bridge, up=port.admin_state_up)
            before, addresses = security.applied_port(ruleset, port.port_id)
            if before is not None and before != security.port_digest(port):
                conntrack.forget(self.names.datapath_ns,
                                 addresses | {f.ip_address for f in port.fixed_ips},
                                 zone=Names.segment_of(bridge.name))

    def _guest_end_ok(self, port: PortSpec) -> bool:
        """A stand-in's own end is still in its namespace with the port's MAC."""
        if not port.guest_netns:
            return True
        if port.guest_netns not in kernel.namespaces():
            raise FabricError(f"port {port.port_id}: no namespace {port.guest_netns}")
        with kernel.opened(port.guest_netns) as guest:
            end = guest.link(GUEST_IFACE)
            return end is not None and end.mac == port.mac.lower()

    def remove_port(self, port_id: str) -> None:
        with self._lock:
            if self.names.datapath_ns not in kernel.namespaces():
                return
            dp = self.names.datapath_ns
            ruleset = nft.ruleset(dp)
            _, addresses = security.applied_port(ruleset, port_id)
            script = security.remove_port_script(port_id, ruleset)
            if script:
                nft.apply(dp, script)
            with kernel.opened(dp) as ns:
                device = ns.link(self.names.tap(port_id))
                bridge = next((b for b in ns.links() if device and b.index == device.master),
                              None)
                ns.delete_link(self.names.tap(port_id))
            segment = Names.segment_of(bridge.name) if bridge is not None else None
            if addresses and segment is not None:
                conntrack.forget(dp, addresses, zone=segment)

    # -- routers
    def ensure_router(self, router: RouterSpec) -> None:
        with self._lock, _spec_errors(f"router {router.router_id}"):
            self._datapath()
            routers.ensure(self.names, self.state_dir, router, self.metadata_socket)

    def remove_router(self, router_id: str) -> None:
        with self._lock:
            routers.remove(self.names, self.state_dir, router_id)

    # -- the whole host
    def converge(self, desired: DesiredState) -> None:
        with self._lock:
            failures: list[str] = []

            def attempt(what: str, call: Callable[[], None]) -> None:
                try:
                    call()
                except (FabricError, OSError) as exc:
                    failures.append(f"{what}: {exc}")

            attempt("datapath", lambda: datapath.ensure(self.names))
            self._converging = True      # the datapath is checked: once is enough
            try:
                for group in desired.security_groups:
                    attempt(f"security group {group.group_id}",
                            partial(self.ensure_security_group, group))
                for network in desired.networks:
                    attempt(f"network {network.network_id}",
                            partial(self.ensure_network, network))
                for port in desired.ports:
                    attempt(f"port {port.port_id}", partial(self.ensure_port, port))
                for router in desired.routers:
                    attempt(f"router {router.router_id}",
                            partial(self.ensure_router, router))
            finally:
                self._converging = False
            attempt("stale objects", lambda: self._remove_stale(desired))
            if failures:
                raise FabricError("; ".join(failures))

    def _remove_stale(self, desired: DesiredState) -> None:
        networks = {n.network_id for n in desired.networks}
        servers = {n.network_id for n in desired.networks if n.dhcp is not None}
        ports = {p.port_id for p in desired.ports}
        routers = {r.router_id for r in desired.routers}
        for ns_name in kernel.namespaces():
            if (rid := self.names.owned_router_ns(ns_name)) is not None and rid not in routers:
                self.remove_router(rid)
            if (nid := self.names.owned_dhcp_ns(ns_name)) is not None and nid not in servers:
                dhcp.remove(self.names, self.state_dir, nid)
        leftovers = self.state_dir / "dhcp"
        for files in leftovers.iterdir() if leftovers.is_dir() else ():
            if files.name not in servers:
                dhcp.remove(self.names, self.state_dir, files.name)
        leftovers = self.state_dir / "routers"
        for files in leftovers.iterdir() if leftovers.is_dir() else ():
            if files.name not in routers:
                self.remove_router(files.name)
        with kernel.opened(self.names.datapath_ns) as ns:
            for link in ns.links():
                role, ids = parse_alias(link.alias)
                stale = ((role == NETWORK and ids[0] not in networks)
                         or (role == PORT and ids[0] not in ports)
                         or (role == DHCP and ids[0] not in servers)
                         or (role in (ROUTER_IF, ROUTER_GW) and ids[0] not in routers))
                if stale:
                    ns.delete_link(link.name)
        dp = self.names.datapath_ns
        ruleset = nft.ruleset(dp)
        for port_id in security.port_ids(ruleset) - ports:
            self.remove_port(port_id)
        groups = {g.group_id for g in desired.security_groups}
        for group_id in security.group_ids(ruleset) - groups:
            self.remove_security_group(group_id)
        for group_id in security.set_group_ids(nft.ruleset(dp)) - groups:
            with contextlib.suppress(FabricError):
                nft.apply(dp, security.remove_set_script(group_id))

    def inventory(self) -> Inventory:
        with self._lock:
            if self.names.datapath_ns not in kernel.namespaces():
                return Inventory()
            found: dict[str, set[str]] = {NETWORK: set(), PORT: set()}
            with kernel.opened(self.names.datapath_ns) as ns:
                for link in ns.links():
                    role, ids = parse_alias(link.alias)
                    if role in found and ids:
                        found[role].add(ids[0])
            held_routers = {rid for n in kernel.namespaces()
                            if (rid := self.names.owned_router_ns(n)) is not None}
            servers = {nid for n in kernel.namespaces()
                       if (nid := self.names.owned_dhcp_ns(n)) is not None
                       and dhcp.running(dhcp.state_dir(self.state_dir, nid)) is not None}
            groups = security.group_ids(nft.ruleset(self.names.datapath_ns))
            floating = {address for rid in held_routers
                        for address in routers.floating_ips(self.names, rid)}
            return Inventory(networks=frozenset(found[NETWORK]), ports=frozenset(found[PORT]),
                             routers=frozenset(held_routers),
                             security_groups=frozenset(groups),
                             dhcp=frozenset(servers), floating_ips=frozenset(floating))

    def teardown(self) -> None:
        """Everything the fabric owns on this host goes: every namespace with its prefix
        (decommissioning a host, and the tests' cleanup)."""
        with self._lock:
            for ns_name in kernel.namespaces():
                if (nid := self.names.owned_dhcp_ns(ns_name)) is not None:
                    dhcp.remove(self.names, self.state_dir, nid)
                if (rid := self.names.owned_router_ns(ns_name)) is not None:
                    routers.remove(self.names, self.state_dir, rid)
            kernel.remove_namespace(self.names.datapath_ns)
