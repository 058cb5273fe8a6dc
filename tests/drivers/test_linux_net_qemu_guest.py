"""A real QEMU guest (the default guest image, TCG) on a port's TAP: QEMU runs inside the
datapath namespace as the hypervisor contract says, the guest's own udhcpc gets its
address from the network's dnsmasq, and a stand-in on the same network pings it through
the security group that admits ICMP."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.ports.network_fabric import (
    DhcpHost,
    DhcpServer,
    FixedIp,
    NetworkSpec,
    PortSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.netns import configure, eventually_pings, linux_fabric, needs_root_net
from tests.support.netns import stand_in as make_stand_in
from tests.support.qemu import default_boot_image, needs_qemu

pytestmark = [needs_root_net, needs_qemu, pytest.mark.slow]

BOOT_TIMEOUT = 120.0


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path / "state") as real:
        yield real


def test_a_qemu_guest_gets_its_lease_and_answers(fabric: LinuxNetworkFabric,
                                                 tmp_path: Path) -> None:
    image = default_boot_image()
    assert image.kernel is not None and image.initrd is not None
    sid = str(uuid.uuid4())
    mac = "fa:16:3e:00:90:05"
    group = SecurityGroupSpec("icmp", rules=(SecurityRule(direction="egress"),
                                             SecurityRule(direction="ingress",
                                                          protocol="icmp")))
    fabric.ensure_security_group(group)
    net = NetworkSpec(str(uuid.uuid4()), 901,
                      subnets=(SubnetSpec(sid, "10.0.0.0/24", gateway_ip="10.0.0.1"),),
                      dhcp=DhcpServer(str(uuid.uuid4()), "fa:16:3e:00:90:02",
                                      (FixedIp(sid, "10.0.0.2"),)),
                      dhcp_hosts=(DhcpHost(mac, "10.0.0.5", "vm"),))
    fabric.ensure_network(net)
    port = PortSpec(str(uuid.uuid4()), net.network_id, mac,
                    fixed_ips=(FixedIp(sid, "10.0.0.5"),), security_groups=("icmp",))
    fabric.ensure_port(port)
    other = make_stand_in(fabric, "peer")
    fabric.ensure_port(PortSpec(str(uuid.uuid4()), net.network_id, "fa:16:3e:00:90:06",
                                fixed_ips=(FixedIp(sid, "10.0.0.6"),),
                                security_groups=("icmp",), guest_netns=other))
    configure(other, "10.0.0.6/24")

    console = tmp_path / "console.log"
    qemu = subprocess.Popen(
        ["ip", "netns", "exec", fabric.guest_netns(), "qemu-system-x86_64",
         "-machine", "pc", "-accel", "tcg", "-m", "256", "-nodefaults", "-display", "none",
         "-kernel", str(image.kernel), "-initrd", str(image.initrd),
         "-append", f"console=ttyS0 {image.cmdline}".strip(),
         "-netdev", f"tap,id=n0,ifname={fabric.tap_name(port.port_id)},script=no,"
                    "downscript=no",
         "-device", f"virtio-net-pci,netdev=n0,mac={mac}",
         "-serial", f"file:{console}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        text = ""
        while "nuage-guest: network eth0" not in text:
            assert qemu.poll() is None, f"QEMU exited: {text[-2000:]}"
            assert time.monotonic() < deadline, f"no DHCP in time: {text[-2000:]}"
            time.sleep(0.5)
            text = console.read_text(errors="replace") if console.exists() else ""
        assert "nuage-guest: network eth0 10.0.0.5/24" in text, text[-2000:]
        assert eventually_pings(other, "10.0.0.5", tries=10)
    finally:
        qemu.kill()
        qemu.wait()
