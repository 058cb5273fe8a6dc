"""DHCP and DNS from dnsmasq on the Linux datapath: stand-in guests ask with busybox
udhcpc and nslookup."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric, dhcp
from nuage.drivers.linux_net.kernel import namespaces
from nuage.ports.network_fabric import (
    DesiredState,
    DhcpHost,
    DhcpServer,
    FixedIp,
    HostRoute,
    NetworkSpec,
    PortSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.netns import (
    dhcp_lease,
    eventually_pings,
    linux_fabric,
    needs_root_net,
    sh,
    stand_in,
)

pytestmark = needs_root_net

# Egress only: DHCP answers must come in anyway (the fabric admits them itself).
EGRESS_ONLY = SecurityGroupSpec("egress", rules=(SecurityRule(direction="egress"),))


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path / "state") as real:
        yield real


def network(hosts: tuple[DhcpHost, ...]) -> NetworkSpec:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    subnet = SubnetSpec(subnet_id=sid, cidr="10.0.0.0/24", gateway_ip="10.0.0.1",
                        host_routes=(HostRoute("192.168.50.0/24", "10.0.0.254"),))
    return NetworkSpec(network_id=nid, segment_id=401, mtu=1450, subnets=(subnet,),
                       dhcp=DhcpServer(port_id=str(uuid.uuid4()), mac="fa:16:3e:00:40:02",
                                       fixed_ips=(FixedIp(sid, "10.0.0.2"),)),
                       dhcp_hosts=hosts)


def alive(pid: int | None) -> bool:
    """Running, not a zombie (the container's init may never reap dnsmasq)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def plug(fabric: LinuxNetworkFabric, net: NetworkSpec, name: str, mac: str,
         ip: str) -> str:
    ns = stand_in(fabric, name)
    fabric.ensure_port(PortSpec(port_id=str(uuid.uuid4()), network_id=net.network_id,
                                mac=mac, fixed_ips=(FixedIp(net.subnets[0].subnet_id, ip),),
                                security_groups=("egress",), guest_netns=ns))
    return ns


def test_static_leases_options_dns_and_reload(fabric: LinuxNetworkFabric,
                                              tmp_path: Path) -> None:
    fabric.ensure_security_group(EGRESS_ONLY)
    a_host = DhcpHost("fa:16:3e:00:40:05", "10.0.0.5", "vm-a")
    net = network((a_host,))
    fabric.ensure_network(net)
    a = plug(fabric, net, "a", a_host.mac, "10.0.0.5")
    b = plug(fabric, net, "b", "fa:16:3e:00:40:06", "10.0.0.6")

    lease = dhcp_lease(a, tmp_path)
    assert lease is not None
    assert lease["ip"] == "10.0.0.5" and lease["mask"] == "24"
    assert lease["router"] == "10.0.0.1" and lease["dns"] == "10.0.0.2"
    assert lease["mtu"] == "1450"
    assert "192.168.50.0/24 10.0.0.254" in lease["staticroutes"]
    assert lease["hostname"] == "vm-a"
    # Static leases only: an unknown MAC gets nothing.
    assert dhcp_lease(b, tmp_path, tries=2) is None

    files = dhcp.state_dir(fabric.state_dir, net.network_id)
    pid = dhcp.running(files)
    assert pid is not None
    b_host = DhcpHost("fa:16:3e:00:40:06", "10.0.0.6", "vm-b")
    fabric.ensure_network(dataclasses.replace(net, dhcp_hosts=(a_host, b_host)))
    assert dhcp.running(files) == pid            # reloaded (SIGHUP), not restarted
    lease_b = dhcp_lease(b, tmp_path)
    assert lease_b is not None and lease_b["ip"] == "10.0.0.6"
    assert eventually_pings(b, "10.0.0.2")     # its egress rules let it out
    answer = sh(b, "busybox", "nslookup", "vm-a", "10.0.0.2", check=False).stdout
    assert "10.0.0.5" in answer
    assert fabric.inventory().dhcp == {net.network_id}


def test_dhcp_goes_with_its_network_and_converge_restores_it(
        fabric: LinuxNetworkFabric) -> None:
    net = network(())
    fabric.ensure_network(net)
    files = dhcp.state_dir(fabric.state_dir, net.network_id)
    pid = dhcp.running(files)
    assert pid is not None
    os.kill(pid, 9)
    fabric.converge(DesiredState(networks=(net,)))
    restarted = dhcp.running(files)
    assert restarted not in (None, pid)
    fabric.remove_network(net.network_id)
    assert not alive(restarted)
    assert fabric.names.dhcp_ns(net.network_id) not in namespaces()
    assert not files.exists()
    assert fabric.inventory().dhcp == set()
