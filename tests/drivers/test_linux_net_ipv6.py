"""IPv6 on the Linux datapath: a router advertises a SLAAC prefix, stand-in guests
configure their own addresses from it (their kernels' autoconfiguration), talk through
their security groups, and cannot use an address that is not theirs."""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces
from nuage.ports.network_fabric import (
    FixedIp,
    NetworkSpec,
    PortSpec,
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.netns import linux_fabric, needs_root_net, sh, stand_in

pytestmark = needs_root_net

PREFIX = ipaddress.IPv6Network("2001:db8:1::/64")
GROUP = SecurityGroupSpec("v6", rules=(
    SecurityRule(direction="egress", ethertype="IPv6"),
    SecurityRule(direction="ingress", ethertype="IPv6", protocol="ipv6-icmp")))


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path / "state") as real:
        yield real


def eui64(mac: str) -> str:
    """The SLAAC address a guest with this MAC takes in PREFIX (what Neutron computes)."""
    octets = bytearray(bytes.fromhex(mac.replace(":", "")))
    octets[0] ^= 0x02
    iid = bytes(octets[:3]) + b"\xff\xfe" + bytes(octets[3:])
    return str(PREFIX.network_address + int.from_bytes(iid, "big"))


def global_address(ns: str, timeout: float = 15) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = sh(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global",
                 "-tentative").stdout.split()
        if "inet6" in out:
            return out[out.index("inet6") + 1].split("/")[0]
        time.sleep(0.3)
    return None


def pings6(ns: str, address: str, source: str | None = None) -> bool:
    argv = ["busybox", "ping6", "-c", "1", "-W", "2"]
    if source:
        argv += ["-I", source]
    return any(sh(ns, *argv, address, check=False).returncode == 0 for _ in range(3))


def test_slaac_addresses_from_router_advertisements(fabric: LinuxNetworkFabric) -> None:
    sid = str(uuid.uuid4())
    fabric.ensure_security_group(GROUP)
    net = NetworkSpec(str(uuid.uuid4()), 801, subnets=(
        SubnetSpec(sid, str(PREFIX), gateway_ip="2001:db8:1::1", enable_dhcp=False),))
    fabric.ensure_network(net)
    guests = {}
    for name, mac in (("a", "fa:16:3e:00:80:0a"), ("b", "fa:16:3e:00:80:0b")):
        ns = stand_in(fabric, name)
        fabric.ensure_port(PortSpec(str(uuid.uuid4()), net.network_id, mac,
                                    fixed_ips=(FixedIp(sid, eui64(mac)),),
                                    security_groups=("v6",), guest_netns=ns))
        sh(ns, "ip", "link", "set", "eth0", "up")
        guests[name] = (ns, mac)
    router = RouterSpec(str(uuid.uuid4()), interfaces=(
        RouterInterface(str(uuid.uuid4()), net.network_id, "fa:16:3e:00:80:01",
                        "2001:db8:1::1/64", ipv6_ra_mode="slaac"),))
    fabric.ensure_router(router)

    a, a_mac = guests["a"]
    b, b_mac = guests["b"]
    assert global_address(a) == eui64(a_mac)
    assert global_address(b) == eui64(b_mac)
    assert "default via fe80::" in sh(a, "ip", "-6", "route").stdout
    assert pings6(a, eui64(b_mac))
    assert pings6(a, "2001:db8:1::1")
    # The security group decides for IPv6 too (neighbour discovery is always let through).
    fabric.ensure_security_group(SecurityGroupSpec("v6", rules=GROUP.rules[:1]))
    assert not pings6(a, eui64(b_mac))
    fabric.ensure_security_group(GROUP)
    assert pings6(a, eui64(b_mac))
    # An address of its own choosing: dropped (nothing but its fixed IPs and link-local).
    sh(a, "ip", "-6", "addr", "add", "2001:db8:1::99/64", "dev", "eth0", "nodad")
    assert not pings6(a, eui64(b_mac), source="2001:db8:1::99")

    files = fabric.state_dir / "routers" / router.router_id
    assert (files / "ra" / "dnsmasq.pid").exists()
    fabric.remove_router(router.router_id)
    assert not files.exists()
    assert fabric.names.router_ns(router.router_id) not in namespaces()

