"""Tenant networks on the Linux datapath, proven with traffic between stand-in guests
(namespaces plugged by veth where QEMU's TAP would be: PortSpec.guest_netns)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces
from nuage.ports.network_fabric import (
    DesiredState,
    FixedIp,
    NetworkSpec,
    PortSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.netns import (
    configure,
    eventually_pings,
    linux_fabric,
    needs_root_net,
    pings,
    sh,
    stand_in,
)
from tests.support.qemu import needs_qemu

pytestmark = needs_root_net

OPEN = SecurityGroupSpec(group_id="open", rules=(
    SecurityRule(direction="ingress"), SecurityRule(direction="egress")))


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path) as real:
        yield real


def net(segment: int, cidr: str = "10.0.0.0/24") -> NetworkSpec:
    nid = str(uuid.uuid4())
    return NetworkSpec(network_id=nid, segment_id=segment,
                       subnets=(SubnetSpec(subnet_id=nid, cidr=cidr),))


def guest(fabric: LinuxNetworkFabric, network: NetworkSpec, name: str, ip: str, mac: str,
          groups: tuple[str, ...] = ("open",), **kw: object) -> tuple[PortSpec, str]:
    ns = stand_in(fabric, name)
    port = PortSpec(port_id=str(uuid.uuid4()), network_id=network.network_id, mac=mac,
                    fixed_ips=(FixedIp(network.network_id, ip),), security_groups=groups,
                    guest_netns=ns, **kw)  # type: ignore[arg-type]
    fabric.ensure_port(port)
    configure(ns, f"{ip}/24")
    return port, ns


def test_two_guests_on_a_network_talk(fabric: LinuxNetworkFabric) -> None:
    fabric.ensure_security_group(OPEN)
    n = net(201)
    fabric.ensure_network(n)
    _, a = guest(fabric, n, "a", "10.0.0.5", "fa:16:3e:00:01:05")
    _, b = guest(fabric, n, "b", "10.0.0.6", "fa:16:3e:00:01:06")
    assert eventually_pings(a, "10.0.0.6")
    assert pings(b, "10.0.0.5")


def test_same_cidr_in_two_networks_is_isolated(fabric: LinuxNetworkFabric) -> None:
    fabric.ensure_security_group(OPEN)
    n1, n2 = net(202), net(203)
    fabric.ensure_network(n1)
    fabric.ensure_network(n2)
    _, a1 = guest(fabric, n1, "a1", "10.0.0.5", "fa:16:3e:00:02:05")
    _, _b1 = guest(fabric, n1, "b1", "10.0.0.6", "fa:16:3e:00:02:06")
    _, a2 = guest(fabric, n2, "a2", "10.0.0.5", "fa:16:3e:00:03:05")
    _, b2 = guest(fabric, n2, "b2", "10.0.0.7", "fa:16:3e:00:03:07")
    assert eventually_pings(a1, "10.0.0.6")
    assert eventually_pings(a2, "10.0.0.7")
    # Same addresses next door: neither network hears the other.
    assert not pings(a1, "10.0.0.7")
    assert not pings(b2, "10.0.0.6")
    neighbours = sh(b2, "ip", "neigh", "show", "10.0.0.6").stdout
    assert "lladdr" not in neighbours


def test_converge_repairs_a_deleted_bridge_and_removes_stale(
        fabric: LinuxNetworkFabric) -> None:
    n = net(204)
    ports = []
    names = []
    for i, name in enumerate(("a", "b")):
        ns = stand_in(fabric, name)
        names.append(ns)
        ports.append(PortSpec(port_id=str(uuid.uuid4()), network_id=n.network_id,
                              mac=f"fa:16:3e:00:04:0{i}", security_groups=("open",),
                              fixed_ips=(FixedIp(n.network_id, f"10.0.0.{10 + i}"),),
                              guest_netns=ns))
    desired = DesiredState(networks=(n,), ports=tuple(ports), security_groups=(OPEN,))
    fabric.converge(desired)
    configure(names[0], "10.0.0.10/24")
    configure(names[1], "10.0.0.11/24")
    assert eventually_pings(names[0], "10.0.0.11")

    dp = fabric.guest_netns()
    sh(dp, "ip", "link", "del", "nb204")
    assert not pings(names[0], "10.0.0.11")
    # A stale router namespace and a stale port's rules left by a crash.
    stale_router = f"{fabric.names.prefix}-r-{uuid.uuid4()}"
    subprocess.run(["ip", "netns", "add", stale_router], check=True)
    fabric.converge(desired)
    assert stale_router not in namespaces()
    assert eventually_pings(names[0], "10.0.0.11")


def test_remove_leaves_nothing_behind(fabric: LinuxNetworkFabric) -> None:
    fabric.ensure_security_group(OPEN)
    n = net(205)
    fabric.ensure_network(n)
    tap_port = PortSpec(port_id=str(uuid.uuid4()), network_id=n.network_id,
                        mac="fa:16:3e:00:05:01", security_groups=("open",),
                        fixed_ips=(FixedIp(n.network_id, "10.0.0.9"),))
    fabric.ensure_port(tap_port)
    port, _ = guest(fabric, n, "a", "10.0.0.5", "fa:16:3e:00:05:05")
    dp = fabric.guest_netns()
    links = sh(dp, "ip", "-d", "link", "show", fabric.tap_name(tap_port.port_id)).stdout
    assert "tun type tap" in links
    fabric.remove_port(port.port_id)
    fabric.remove_port(tap_port.port_id)
    fabric.remove_security_group("open")
    fabric.remove_network(n.network_id)
    remaining = sh(dp, "ip", "-o", "link").stdout
    assert "nb205" not in remaining and "tap" not in remaining
    rules = sh(dp, "nft", "list", "ruleset").stdout
    assert port.port_id not in rules and tap_port.port_id not in rules and "sg-open" not in rules
    assert fabric.inventory().ports == set()


CONNTRACK_ZONES = """
from pyroute2 import Conntrack
with Conntrack() as ct:
    for entry in ct.dump_entries():
        print(entry.zone, entry.tuple_orig.saddr, entry.tuple_orig.daddr)
"""


def test_overlapping_ranges_are_tracked_in_their_segment_zone(
        fabric: LinuxNetworkFabric) -> None:
    fabric.ensure_security_group(OPEN)
    for segment in (206, 207):
        n = net(segment)
        fabric.ensure_network(n)
        _, a = guest(fabric, n, f"a{segment}", "10.0.0.5", f"fa:16:3e:00:{segment - 200:02x}:05")
        guest(fabric, n, f"b{segment}", "10.0.0.6", f"fa:16:3e:00:{segment - 200:02x}:06")
        assert eventually_pings(a, "10.0.0.6")
    entries = sh(fabric.guest_netns(), sys.executable, "-c", CONNTRACK_ZONES).stdout
    assert "206 10.0.0.5 10.0.0.6" in entries
    assert "207 10.0.0.5 10.0.0.6" in entries


@needs_qemu
def test_qemu_attaches_to_the_port_tap_inside_the_datapath_namespace(
        fabric: LinuxNetworkFabric) -> None:
    """The hypervisor's side of the contract: QEMU started in guest_netns() opens the TAP
    by the name tap_name() gives (the TAP gets its carrier once QEMU holds it)."""
    n = net(208)
    fabric.ensure_network(n)
    port = PortSpec(port_id=str(uuid.uuid4()), network_id=n.network_id,
                    mac="fa:16:3e:00:08:05", port_security=False)
    fabric.ensure_port(port)
    tap = fabric.tap_name(port.port_id)
    dp = fabric.guest_netns()
    assert "LOWER_UP" not in sh(dp, "ip", "link", "show", tap).stdout
    qemu = subprocess.Popen(
        ["ip", "netns", "exec", dp, "qemu-system-x86_64", "-machine", "none", "-nodefaults",
         "-display", "none", "-monitor", "none", "-S",
         "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no"],
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while "LOWER_UP" not in sh(dp, "ip", "link", "show", tap).stdout:
            assert time.monotonic() < deadline, "QEMU did not attach to the TAP"
            assert qemu.poll() is None, "QEMU exited"
            time.sleep(0.1)
    finally:
        qemu.kill()
        qemu.wait()
