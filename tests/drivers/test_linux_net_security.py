"""Security groups and anti-spoofing on the Linux datapath, proven with traffic between
stand-in guests (namespaces plugged by veth where QEMU's TAP would be)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.ports.network_fabric import (
    AddressPair,
    FixedIp,
    NetworkSpec,
    PortSpec,
    SecurityGroupSpec,
    SecurityRule,
)
from tests.support.netns import (
    configure,
    dhcp_lease,
    eventually_pings,
    frame_arrives,
    linux_fabric,
    needs_root_net,
    pings,
    sh,
    stand_in,
    tcp_connects,
    tcp_server,
    udp_heard,
)

pytestmark = needs_root_net

# Neutron's default group: all egress, ingress only from members of the same group.
DEFAULT = SecurityGroupSpec(group_id="default", rules=(
    SecurityRule(direction="egress"),
    SecurityRule(direction="ingress", remote_group_id="default")),
    members=("10.0.0.5", "10.0.0.6"))
PING = SecurityRule(direction="ingress", protocol="icmp")
SSH = SecurityRule(direction="ingress", protocol="tcp", port_range_min=22, port_range_max=22)
EGRESS = SecurityRule(direction="egress")


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path) as real:
        yield real


@pytest.fixture
def network(fabric: LinuxNetworkFabric) -> NetworkSpec:
    n = NetworkSpec(network_id=str(uuid.uuid4()), segment_id=301)
    fabric.ensure_network(n)
    return n


def plug(fabric: LinuxNetworkFabric, network: NetworkSpec, name: str, ip: str,
         groups: tuple[str, ...], **kw: object) -> tuple[PortSpec, str]:
    ns = stand_in(fabric, name)
    port = PortSpec(port_id=str(uuid.uuid4()), network_id=network.network_id,
                    mac=f"fa:16:3e:00:30:{int(ip.rsplit('.', 1)[1]):02x}",
                    fixed_ips=(FixedIp(network.network_id, ip),), security_groups=groups,
                    guest_netns=ns, **kw)  # type: ignore[arg-type]
    fabric.ensure_port(port)
    configure(ns, f"{ip}/24")
    return port, ns


def test_default_group_admits_members_and_rules_change_live(
        fabric: LinuxNetworkFabric, network: NetworkSpec) -> None:
    fabric.ensure_security_group(DEFAULT)
    web = SecurityGroupSpec(group_id="web", rules=(EGRESS,))
    fabric.ensure_security_group(web)
    _, a = plug(fabric, network, "a", "10.0.0.5", ("default",))
    _, _b = plug(fabric, network, "b", "10.0.0.6", ("default",))
    _, c = plug(fabric, network, "c", "10.0.0.7", ("web",))
    assert eventually_pings(a, "10.0.0.6")          # same group: admitted
    # c is no member of default: a and b do not answer it; c admits nothing yet.
    assert not pings(c, "10.0.0.5")
    assert not pings(a, "10.0.0.7")
    with tcp_server(c, 22):
        assert not tcp_connects(a, "10.0.0.7", 22)
        fabric.ensure_security_group(SecurityGroupSpec("web", rules=(EGRESS, PING, SSH)))
        assert pings(a, "10.0.0.7")
        assert tcp_connects(a, "10.0.0.7", 22)
        fabric.ensure_security_group(SecurityGroupSpec("web", rules=(EGRESS, SSH)))
        assert not pings(a, "10.0.0.7")
        assert tcp_connects(a, "10.0.0.7", 22)
    # Egress as the rules say: without an egress rule c cannot start anything.
    fabric.ensure_security_group(SecurityGroupSpec("web", rules=(PING,)))
    assert pings(a, "10.0.0.7")                      # replies are established traffic
    # A remote-group rule follows the group's members.
    fabric.ensure_security_group(SecurityGroupSpec(
        "default", rules=DEFAULT.rules, members=(*DEFAULT.members, "10.0.0.7")))
    fabric.ensure_security_group(SecurityGroupSpec("web", rules=(PING, EGRESS)))
    assert pings(c, "10.0.0.5")


def test_spoofed_ip_and_mac_are_dropped(fabric: LinuxNetworkFabric,
                                        network: NetworkSpec) -> None:
    everyone = SecurityGroupSpec("all", rules=(SecurityRule(direction="ingress"), EGRESS))
    fabric.ensure_security_group(everyone)
    _, a = plug(fabric, network, "a", "10.0.0.5", ("all",),
                allowed_address_pairs=(AddressPair("10.0.0.99"),))
    _, b = plug(fabric, network, "b", "10.0.0.6", ("all",))
    assert eventually_pings(a, "10.0.0.6")
    # Another address on the same port: dropped, ARP and IP.
    sh(a, "ip", "addr", "add", "10.0.0.50/24", "dev", "eth0")
    assert sh(a, "busybox", "ping", "-c", "2", "-W", "1", "-I", "10.0.0.50",
              "10.0.0.6", check=False).returncode != 0
    assert "10.0.0.50" not in sh(b, "ip", "neigh").stdout
    # An allowed address pair may be used.
    sh(a, "ip", "addr", "add", "10.0.0.99/24", "dev", "eth0")
    assert sh(a, "busybox", "ping", "-c", "1", "-W", "2", "-I", "10.0.0.99",
              "10.0.0.6", check=False).returncode == 0
    # Another MAC: dropped even from its own address.
    sh(a, "ip", "link", "set", "eth0", "address", "fa:16:3e:99:99:99")
    sh(b, "ip", "neigh", "flush", "all")
    assert not pings(a, "10.0.0.6")


def test_a_guest_cannot_be_a_dhcp_server(fabric: LinuxNetworkFabric, network: NetworkSpec,
                                         tmp_path: Path) -> None:
    everyone = SecurityGroupSpec("all", rules=(SecurityRule(direction="ingress"), EGRESS))
    fabric.ensure_security_group(everyone)
    server, a = plug(fabric, network, "a", "10.0.0.5", ("all",))
    _, b = plug(fabric, network, "b", "10.0.0.6", ("all",))
    assert eventually_pings(a, "10.0.0.6")
    assert not udp_heard(a, "10.0.0.5", 67, b, "255.255.255.255", 68)
    conf = tmp_path / "udhcpd.conf"
    conf.write_text(f"start 10.0.0.100\nend 10.0.0.110\ninterface eth0\n"
                    f"lease_file {tmp_path / 'udhcpd.leases'}\n"
                    f"pidfile {tmp_path / 'udhcpd.pid'}\noption subnet 255.255.255.0\n")
    (tmp_path / "udhcpd.leases").touch()
    rogue = subprocess.Popen(["ip", "netns", "exec", a, "busybox", "udhcpd", "-f", str(conf)])
    try:
        sh(b, "ip", "addr", "flush", "dev", "eth0")
        assert dhcp_lease(b, tmp_path, tries=2) is None
        # The same server on a port without port security is heard: the test can tell.
        fabric.ensure_port(PortSpec(server.port_id, server.network_id, server.mac,
                                    server.fixed_ips, port_security=False, guest_netns=a))
        lease = dhcp_lease(b, tmp_path, tries=3)
        assert lease is not None and lease["ip"].startswith("10.0.0.1")
    finally:
        rogue.kill()
        rogue.wait()


def answered_while(ns: str, address: str, change: Callable[[], None]) -> list[int]:
    """The sequence numbers (0 to 39, one every 0.2 s) one ping process (one ICMP id: one
    tracked connection all along) gets answered while `change` happens two seconds in."""
    pinger = subprocess.Popen(["ip", "netns", "exec", ns, "busybox", "ping", "-c", "40",
                               "-i", "0.2", "-W", "1", address],
                              stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        change()
        out, _ = pinger.communicate(timeout=30)
    finally:
        if pinger.poll() is None:
            pinger.kill()
            pinger.communicate()
    return [int(line.split("seq=")[1].split()[0]) for line in out.splitlines()
            if "seq=" in line]


def test_removing_a_rule_stops_a_running_ping(fabric: LinuxNetworkFabric,
                                              network: NetworkSpec) -> None:
    fabric.ensure_security_group(SecurityGroupSpec("web", rules=(EGRESS, PING),
                                                   members=("10.0.0.5", "10.0.0.7")))
    _, a = plug(fabric, network, "a", "10.0.0.5", ("web",))
    plug(fabric, network, "c", "10.0.0.7", ("web",))
    assert eventually_pings(a, "10.0.0.7")
    answered = answered_while(a, "10.0.0.7", lambda: fabric.ensure_security_group(
        SecurityGroupSpec("web", rules=(EGRESS,), members=("10.0.0.5", "10.0.0.7"))))
    # Answered before the change (seq ~10), none in the last two seconds (seq 30-39):
    # generous, so a loaded machine's slow change does not fail it.
    assert answered and 5 < max(answered) < 30, answered


def test_moving_a_port_to_another_group_stops_its_running_ping(
        fabric: LinuxNetworkFabric, network: NetworkSpec) -> None:
    fabric.ensure_security_group(SecurityGroupSpec("web", rules=(EGRESS, PING)))
    fabric.ensure_security_group(SecurityGroupSpec("quiet", rules=(EGRESS,)))
    _, a = plug(fabric, network, "a", "10.0.0.5", ("web",))
    c_port, _ = plug(fabric, network, "c", "10.0.0.7", ("web",))
    assert eventually_pings(a, "10.0.0.7")
    answered = answered_while(a, "10.0.0.7", lambda: fabric.ensure_port(
        dataclasses.replace(c_port, security_groups=("quiet",))))
    assert answered and 5 < max(answered) < 30, answered
    # A port that goes takes its tracked connections along: a successor at its address
    # must start afresh.
    fabric.ensure_port(c_port)
    assert pings(a, "10.0.0.7")
    dump = ["ip", "netns", "exec", fabric.guest_netns(), sys.executable, "-c",
            CONNTRACK_DUMP]
    assert "10.0.0.7" in subprocess.run(dump, capture_output=True, text=True).stdout
    fabric.remove_port(c_port.port_id)
    assert "10.0.0.7" not in subprocess.run(dump, capture_output=True, text=True).stdout


CONNTRACK_DUMP = """
from pyroute2 import Conntrack
with Conntrack() as ct:
    for entry in ct.dump_entries():
        print(entry.zone, entry.tuple_orig.saddr, entry.tuple_orig.daddr)
"""


def test_vlan_tagged_frames_cannot_bypass_the_rules(fabric: LinuxNetworkFabric,
                                                   network: NetworkSpec) -> None:
    """br_netfilter skips VLAN-tagged frames (bridge-nf-filter-vlan-tagged=0): were they
    let through, they would reach a port without meeting its security groups."""
    fabric.ensure_security_group(SecurityGroupSpec("all", rules=(
        EGRESS, SecurityRule(direction="ingress"))))
    a_port, a = plug(fabric, network, "a", "10.0.0.5", ("all",))
    b_port, b = plug(fabric, network, "b", "10.0.0.6", ("all",))
    assert eventually_pings(a, "10.0.0.6")
    frame = (a, b, a_port.mac, b_port.mac, "10.0.0.5", "10.0.0.6")
    assert frame_arrives(*frame)                       # untagged: the probe itself works
    assert not frame_arrives(*frame, vlan=100)
    fabric.ensure_port(dataclasses.replace(a_port, port_security=False))
    assert frame_arrives(*frame, vlan=100)             # it was the anti-spoofing
