"""The kernel, through pyroute2 (netlink) and the `ip`/`nft` tools: namespaces, links,
addresses, routes, sysctls and commands run inside a namespace.

One `Namespace` holds one netlink socket opened inside a named network namespace; it never
creates the namespace by accident (pyroute2 would), `ensure_namespace` does that.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute, NetlinkError, netns

from nuage.ports.network_fabric import FabricError

IP = "ip"


def namespaces() -> set[str]:
    return set(netns.listnetns())


def ensure_namespace(name: str) -> bool:
    """Create the namespace (loopback up) if missing; True when it was created."""
    if name in namespaces():
        return False
    netns.create(name)
    with Namespace(name) as ns:
        ns.set_up("lo")
    return True


def remove_namespace(name: str) -> None:
    """Remove the namespace: its devices go with it (a veth's peer too), and so do the
    processes still inside it (a dnsmasq whose pid file was lost would otherwise keep the
    namespace alive, unnamed, forever)."""
    if name not in namespaces():
        return
    stop_processes(name)
    netns.remove(name)


def stop_processes(name: str, timeout: float = 5.0) -> None:
    """SIGTERM every process in the namespace, SIGKILL what is left after `timeout`."""
    deadline = time.monotonic() + timeout
    sig = signal.SIGTERM
    while pids := [p for p in netns.ns_pids().get(name, []) if _alive(p)]:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if time.monotonic() > deadline:
            sig = signal.SIGKILL
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Not a zombie: the container's init may never reap our daemons."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def run(ns: str, argv: Sequence[str], stdin: str | None = None) -> str:
    """Run a command inside the namespace; FabricError with its stderr when it fails."""
    result = subprocess.run([IP, "netns", "exec", ns, *argv], input=stdin, text=True,
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise FabricError(f"{' '.join(argv[:3])} in {ns}: {result.stderr.strip()}")
    return result.stdout


def sysctl(ns: str, settings: dict[str, str]) -> None:
    """Per-namespace sysctls (net.* are per namespace): written from inside it."""
    run(ns, ["sysctl", "-q", "-w", *(f"{k}={v}" for k, v in settings.items())])


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    kind: str                 # "bridge", "tun", "veth", "" for others
    alias: str | None
    master: int | None
    up: bool
    mac: str
    mtu: int


def _link(msg: Any) -> Link:
    return Link(index=msg["index"], name=msg.get("ifname"),
                kind=msg.get(("linkinfo", "kind")) or "", alias=msg.get("ifalias"),
                master=msg.get("master"), up=bool(msg["flags"] & 1), mac=msg.get("address"),
                mtu=msg.get("mtu"))


class Namespace:
    """Netlink calls inside one existing network namespace."""

    def __init__(self, name: str) -> None:
        if name not in namespaces():
            raise FabricError(f"network namespace {name} does not exist")
        self.name = name
        self._ipr = IPRoute(netns=name)

    def close(self) -> None:
        self._ipr.close()

    def __enter__(self) -> Namespace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- links
    def links(self) -> list[Link]:
        return [_link(m) for m in self._ipr.get_links()]

    def link(self, name: str) -> Link | None:
        found = self._ipr.get_links(ifname=name) if self._ipr.link_lookup(ifname=name) else []
        return _link(found[0]) if found else None

    def _index(self, name: str) -> int:
        found = self._ipr.link_lookup(ifname=name)
        if not found:
            raise FabricError(f"no device {name} in {self.name}")
        return int(found[0])

    def add_bridge(self, name: str, mtu: int) -> None:
        # No STP (one bridge per segment, no loops) and no forwarding delay: a port
        # forwards the moment it is up. No multicast snooping: with no querier on the
        # segment it would learn from whatever reports it happens to see, and IPv6
        # neighbour discovery rides on multicast; a segment floods, as a plain switch.
        self._ipr.link("add", ifname=name, kind="bridge", mtu=mtu, br_stp_state=0,
                       br_forward_delay=0, br_mcast_snooping=0)

    def add_tap(self, name: str, mtu: int) -> None:
        # A persistent TAP flagged as QEMU opens it (no packet info, virtio-net header).
        self._ipr.link("add", ifname=name, kind="tuntap", mode="tap",
                       ifr={"no_pi": True, "vnet_hdr": True})
        self._ipr.link("set", index=self._index(name), mtu=mtu)

    def add_veth(self, name: str, peer: str, peer_ns: str, peer_mac: str | None = None,
                 mtu: int = 1500) -> None:
        """A veth pair: `name` here, `peer` created directly inside `peer_ns`."""
        spec: dict[str, Any] = {"ifname": peer, "net_ns_fd": peer_ns, "mtu": mtu}
        if peer_mac:
            spec["address"] = peer_mac
        self._ipr.link("add", ifname=name, kind="veth", mtu=mtu, peer=spec)

    def delete_link(self, name: str) -> None:
        with contextlib.suppress(FabricError):
            self._ipr.link("del", index=self._index(name))

    def set_alias(self, name: str, alias: str) -> None:
        self._ipr.link("set", index=self._index(name), ifalias=alias)

    def set_mac(self, name: str, mac: str) -> None:
        self._ipr.link("set", index=self._index(name), address=mac)

    def set_mtu(self, name: str, mtu: int) -> None:
        self._ipr.link("set", index=self._index(name), mtu=mtu)

    def set_master(self, name: str, master: str | None) -> None:
        self._ipr.link("set", index=self._index(name),
                       master=self._index(master) if master else 0)

    def set_up(self, name: str, up: bool = True) -> None:
        self._ipr.link("set", index=self._index(name), state="up" if up else "down")

    # -- addresses
    def addresses(self, name: str) -> set[str]:
        """The device's addresses as "ip/prefix" (IPv6 link-local ones left out)."""
        found = set()
        for msg in self._ipr.get_addr(index=self._index(name)):
            iface = ipaddress.ip_interface(f"{msg.get('address')}/{msg['prefixlen']}")
            if not (iface.version == 6 and iface.ip.is_link_local):
                found.add(str(iface))
        return found

    def set_addresses(self, name: str, wanted: set[str]) -> None:
        """Exactly these addresses ("ip/prefix") on the device."""
        index = self._index(name)
        wanted = {str(ipaddress.ip_interface(a)) for a in wanted}
        have = self.addresses(name)
        for addr in have - wanted:
            iface = ipaddress.ip_interface(addr)
            self._ipr.addr("del", index=index, address=str(iface.ip),
                           prefixlen=iface.network.prefixlen)
        for addr in sorted(wanted - have):
            iface = ipaddress.ip_interface(addr)
            self._ipr.addr("add", index=index, address=str(iface.ip),
                           prefixlen=iface.network.prefixlen)

    # -- routes (main table, unicast, the ones we put there: static or gateway routes)
    def gateway_routes(self) -> set[tuple[str, str]]:
        """(destination CIDR, next hop) of every route through a next hop."""
        found = set()
        for family in (2, 10):
            for msg in self._ipr.get_routes(family=family, table=254):
                hop = msg.get("gateway")
                if hop:
                    dst = msg.get("dst") or ("0.0.0.0" if family == 2 else "::")
                    found.add((str(ipaddress.ip_network(f"{dst}/{msg['dst_len']}")), hop))
        return found

    def set_gateway_routes(self, wanted: set[tuple[str, str]]) -> None:
        wanted = {(str(ipaddress.ip_network(d)), h) for d, h in wanted}
        have = self.gateway_routes()
        for dst, hop in have - wanted:
            with contextlib.suppress(NetlinkError):
                self._ipr.route("del", dst=dst, gateway=hop)
        for dst, hop in sorted(wanted - have):
            try:
                self._ipr.route("replace", dst=dst, gateway=hop)
            except NetlinkError as exc:
                # ENETUNREACH: the next hop is on no connected subnet (yet); a later
                # ensure, once the interface is there, adds it.
                if exc.code != errno.ENETUNREACH:
                    raise FabricError(f"route {dst} via {hop} in {self.name}: {exc}") from exc


@contextlib.contextmanager
def opened(name: str) -> Iterator[Namespace]:
    ns = Namespace(name)
    try:
        yield ns
    finally:
        ns.close()
