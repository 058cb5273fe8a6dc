"""DHCPv6 on the Linux datapath, seen from a stand-in guest: the router advertises the
prefix with the flags of the subnet's mode, and the network's dnsmasq (never the
router's) answers DHCPv6 through the guest's security groups.

- dhcpv6-stateless: the advertisement carries A and O; the guest takes its SLAAC address
  and asks the DHCP server for the rest (an Information-Request): the subnet's DNS servers.
- dhcpv6-stateful: the advertisement carries M, the prefix without A (no SLAAC address);
  a Solicit is answered with the port's own fixed address, and DNS is the DHCP port; the
  same port's IPv4 lease still comes.
- A guest cannot be a DHCPv6 server for another (its answers are dropped)."""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.ports.network_fabric import (
    DhcpHost,
    DhcpServer,
    FixedIp,
    Ipv6Mode,
    NetworkSpec,
    PortSpec,
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.ipv6_probe import dhcpv6, router_advert
from tests.support.netns import dhcp_lease, linux_fabric, needs_root_net, sh, stand_in

pytestmark = needs_root_net

GROUP = SecurityGroupSpec("v6", rules=(SecurityRule(direction="egress", ethertype="IPv6"),))
DNS = "2001:db8:53::53"


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path / "state") as real:
        yield real


def eui64(prefix: str, mac: str) -> str:
    octets = bytearray(bytes.fromhex(mac.replace(":", "")))
    octets[0] ^= 0x02
    iid = bytes(octets[:3]) + b"\xff\xfe" + bytes(octets[3:])
    return str(ipaddress.IPv6Network(prefix).network_address + int.from_bytes(iid, "big"))


def link_local(ns: str, dev: str) -> str:
    out = sh(ns, "ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "link").stdout.split()
    return out[out.index("inet6") + 1].split("/")[0]


def setup(fabric: LinuxNetworkFabric, mode: Ipv6Mode, segment: int, cidr: str,
          guest_ip: str, guest_mac: str, server_ips: tuple[str, ...] = (),
          dns: tuple[str, ...] = (), v4: bool = False) -> tuple[NetworkSpec, str]:
    """A network with one IPv6 subnet in `mode` (and with `v4` an IPv4 subnet, the guest
    at 10.9.0.10), its DHCP server, a router advertising it, and a stand-in guest on a
    port with `guest_ip`; returns (network, guest ns)."""
    sid, v4_sid = str(uuid.uuid4()), str(uuid.uuid4())
    gateway = str(ipaddress.IPv6Network(cidr).network_address + 1)
    fabric.ensure_security_group(GROUP)
    subnets = [SubnetSpec(sid, cidr, gateway_ip=gateway, dns_nameservers=dns,
                          ipv6_address_mode=mode)]
    server = [FixedIp(sid, ip) for ip in server_ips]
    hosts = [DhcpHost(guest_mac, guest_ip, "guest")]
    fixed = [FixedIp(sid, guest_ip)]
    if v4:
        subnets.append(SubnetSpec(v4_sid, "10.9.0.0/24", gateway_ip="10.9.0.1"))
        server.append(FixedIp(v4_sid, "10.9.0.2"))
        hosts.append(DhcpHost(guest_mac, "10.9.0.10", "guest"))
        fixed.append(FixedIp(v4_sid, "10.9.0.10"))
    net = NetworkSpec(
        str(uuid.uuid4()), segment, subnets=tuple(subnets),
        dhcp=DhcpServer(str(uuid.uuid4()), f"fa:16:3e:00:{segment % 100:02d}:02",
                        fixed_ips=tuple(server)),
        dhcp_hosts=tuple(hosts))
    fabric.ensure_network(net)
    ns = stand_in(fabric, "g")
    fabric.ensure_port(PortSpec(str(uuid.uuid4()), net.network_id, guest_mac,
                                fixed_ips=tuple(fixed), security_groups=("v6",),
                                guest_netns=ns))
    sh(ns, "ip", "link", "set", "eth0", "up")
    fabric.ensure_router(RouterSpec(str(uuid.uuid4()), interfaces=(RouterInterface(
        str(uuid.uuid4()), net.network_id, f"fa:16:3e:00:{segment % 100:02d}:01",
        f"{gateway}/64", ipv6_ra_mode=mode),)))
    return net, ns


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.2)


def global_addresses(ns: str) -> list[str]:
    out = sh(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global").stdout
    return [line.split()[3].split("/")[0] for line in out.splitlines()]


def test_dhcpv6_stateless(fabric: LinuxNetworkFabric) -> None:
    cidr, mac = "2001:db8:21::/64", "fa:16:3e:00:21:0a"
    net, ns = setup(fabric, "dhcpv6-stateless", 921, cidr, eui64(cidr, mac), mac, dns=(DNS,))
    advert = router_advert(ns)
    assert advert is not None
    assert (advert.managed, advert.other, advert.prefixes) == (False, True, {cidr: True})
    answer = dhcpv6(ns)
    assert answer is not None
    # The network's DHCP server answered (not the router, which advertised), with DNS.
    dhcp_ns = fabric.names.dhcp_ns(net.network_id)
    assert answer.server == link_local(dhcp_ns, "ns-dhcp") != advert.source
    assert answer.dns == (DNS,)
    assert eui64(cidr, mac) in global_addresses(ns)
    conf = (fabric.state_dir / "dhcp" / net.network_id / "dnsmasq.conf").read_text()
    assert "enable-ra" not in conf and ",ra-" not in conf


def test_dhcpv6_stateful(fabric: LinuxNetworkFabric) -> None:
    cidr, mac = "2001:db8:22::/64", "fa:16:3e:00:22:0a"
    net, ns = setup(fabric, "dhcpv6-stateful", 922, cidr, "2001:db8:22::10", mac,
                    server_ips=("2001:db8:22::2",), v4=True)
    advert = router_advert(ns)
    assert advert is not None
    assert (advert.managed, advert.prefixes) == (True, {cidr: False})
    answer = dhcpv6(ns, solicit=True)
    assert answer is not None
    assert answer.server == link_local(fabric.names.dhcp_ns(net.network_id), "ns-dhcp")
    assert answer.addresses == ("2001:db8:22::10",)
    assert answer.dns == ("2001:db8:22::2",)        # the DHCP port, where dnsmasq answers DNS
    # No SLAAC address from an advertisement without the A flag.
    assert not [a for a in global_addresses(ns) if a.startswith("2001:db8:22:")]
    # The same MAC's IPv4 lease, from the same hosts file (a line per address).
    lease = dhcp_lease(ns, fabric.state_dir)
    assert lease is not None and lease["ip"] == "10.9.0.10"


def test_a_guest_cannot_answer_dhcpv6(fabric: LinuxNetworkFabric) -> None:
    """A second guest runs a DHCPv6 server (dnsmasq, the same as the real one) on the
    network: the first guest's requests still get only the network's server."""
    cidr, mac = "2001:db8:23::/64", "fa:16:3e:00:23:0a"
    net, ns = setup(fabric, "dhcpv6-stateless", 923, cidr, eui64(cidr, mac), mac, dns=(DNS,))
    rogue_mac = "fa:16:3e:00:23:0b"
    rogue = stand_in(fabric, "rogue")
    # Its group lets everything in: it hears the requests; only its answers are at stake.
    fabric.ensure_security_group(SecurityGroupSpec("open6", rules=(
        *GROUP.rules, SecurityRule(direction="ingress", ethertype="IPv6"))))
    fabric.ensure_port(PortSpec(str(uuid.uuid4()), net.network_id, rogue_mac,
                                fixed_ips=(FixedIp(net.subnets[0].subnet_id,
                                                   eui64(cidr, rogue_mac)),),
                                security_groups=("open6",), guest_netns=rogue))
    sh(rogue, "ip", "link", "set", "eth0", "up")
    # Until duplicate address detection is over, its link-local address is tentative and
    # its dnsmasq would hear nothing (under load, longer than the requests below take).
    wait_for(lambda: not sh(rogue, "ip", "-6", "addr", "show", "dev", "eth0",
                            "tentative").stdout.strip())
    conf = fabric.state_dir / "rogue.conf"
    conf.write_text("\n".join([
        "port=0", "no-resolv", "bind-interfaces", "interface=eth0", "user=root",
        f"pid-file={fabric.state_dir / 'rogue.pid'}", "log-dhcp",
        f"log-facility={fabric.state_dir / 'rogue.log'}",
        f"dhcp-range={cidr.split('/')[0]},static,64",
        "dhcp-option=option6:dns-server,[2001:db8:bad::1]"]) + "\n")
    sh(rogue, "dnsmasq", f"--conf-file={conf}")
    try:
        servers = set()
        for _ in range(4):
            answer = dhcpv6(ns, timeout=10)
            assert answer is not None
            servers.add((answer.server, answer.dns))
        dhcp_ll = link_local(fabric.names.dhcp_ns(net.network_id), "ns-dhcp")
        assert servers == {(dhcp_ll, (DNS,))}
        # The rogue heard the requests (and answered them, into the bridge's drop); its
        # log is written as it goes, so it may lag the answers a little.
        log = fabric.state_dir / "rogue.log"
        wait_for(lambda: "DHCPINFORMATION-REQUEST" in log.read_text())
    finally:
        pid = (fabric.state_dir / "rogue.pid").read_text().strip()
        sh(rogue, "kill", pid, check=False)
