"""The default guest image on a real network: a tap on a bridge inside a network namespace
of the test's own, QEMU started in that namespace, and the config drive written by nuage's
own writer. The guest configures its NIC from network_data.json (static) or by DHCP (from
a dnsmasq in the namespace), prints the address on its console, answers ping, and lets
`ssh -i key root@address` in with the key from meta_data.json, the host key pinned from
the console. Boot-to-address times are printed (`pytest -s`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.guest_image import GuestImageFiles
from nuage.drivers.qemu.config_drive import write_config_drive
from nuage.ports.hypervisor import ConfigDrive
from tests.support.guest_segment import Segment, segment
from tests.support.guest_vm import Guest, Guests, build_image, probe_accel

TOOLS = ("qemu-system-x86_64", "ip", "ssh", "ssh-keygen", "ping", "dnsmasq")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(any(shutil.which(tool) is None for tool in TOOLS),
                       reason=f"needs {', '.join(TOOLS)} (scripts/install.sh)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

BOOT_TIMEOUT = 40.0
MAC = "fa:16:3e:4e:71:05"
# What nova's reconcile writes today, before any network exists.
EMPTY_NETWORK_DATA: dict[str, list[object]] = {"links": [], "networks": [], "services": []}


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> GuestImageFiles:
    return build_image(tmp_path_factory.mktemp("guest-image"))


@pytest.fixture(scope="module")
def accel(image: GuestImageFiles) -> str:
    return probe_accel(image)


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Segment]:
    with segment(tmp_path) as made:
        yield made


@pytest.fixture
def guests(image: GuestImageFiles, accel: str, tmp_path: Path,
           net: Segment) -> Iterator[Guests]:
    """Guests on `net`: stopped before the namespace is deleted."""
    started = Guests(image, accel, tmp_path)
    yield started
    started.close()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nuage-test",
                    "-f", str(path)], check=True)
    return path


def _boot(guests: Guests, net: Segment, tmp_path: Path, key: Path,
          network_data: Mapping[str, Any], macs: tuple[str, ...] = (MAC,)) -> Guest:
    meta = {"uuid": "5f0c2d9e-7b1a-4c3e-8f6d-2a9b8c7d6e5f", "name": "net-vm",
            "hostname": "net-vm", "public_keys": {"k": key.with_suffix(".pub").read_text()}}
    drive = tmp_path / "config.iso"
    write_config_drive(ConfigDrive(meta_data=meta, network_data=dict(network_data)), drive)
    # As nuage's QEMU driver gives every guest: the RNG the host key is made from.
    nics = ["-device", "virtio-rng-pci"]
    for index, mac in enumerate(macs):
        nics += ["-netdev", f"tap,id=n{index},ifname={net.add_tap()},script=no,downscript=no",
                 "-device", f"virtio-net-pci,netdev=n{index},mac={mac}"]
    return guests.start(drive, "cdrom", nic_args=nics, netns=net.name)


def _ssh(net: Segment, tmp_path: Path, key: Path, guest: Guest, address: str,
         command: str, *options: str) -> str:
    """Run `command` over ssh as root, the guest's host key pinned from its console."""
    _, line = guest.console.wait_line("nuage-guest: ssh server on port 22, host key ", 0)
    host_key = line.split("host key ", 1)[1].strip()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"{address} {host_key}\n")
    proc = net.exec("ssh", "-F", "/dev/null", "-i", str(key), "-o", "BatchMode=yes",
                    "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", f"UserKnownHostsFile={known_hosts}", "-o", "ConnectTimeout=10",
                    *options, f"root@{address}", command, timeout=60)
    assert proc.returncode == 0, f"ssh failed ({proc.returncode}): {proc.stderr}"
    return proc.stdout


def _ipv4(line: str) -> str:
    """The IPv4 address of a `nuage-guest: network <nic> <addr/len> ...` line (the first:
    IPv6 ones, if router advertisements came already, follow)."""
    match = re.search(r"network eth\d+ (\d+\.\d+\.\d+\.\d+)/24( |$)", line)
    assert match, line
    return match.group(1)


def _reachable(net: Segment, guest: Guest, address: str) -> None:
    proc = net.exec("ping", "-c", "1", "-w", "10", address, timeout=20)
    assert proc.returncode == 0, f"no ping reply from {address}:\n{proc.stdout}\n" \
                                 + guest.console.text()


def test_static_address_from_network_data(
        guests: Guests, net: Segment, tmp_path: Path, key: Path, accel: str) -> None:
    address, router = str(net.host(5)), str(net.host(254))
    network_data = {
        "links": [{"id": "tap-5f0c2d9e", "type": "ovs", "ethernet_mac_address": MAC.upper(),
                   "mtu": 1400, "vif_id": "0c1d"}],
        "networks": [{
            "id": "network0", "type": "ipv4", "link": "tap-5f0c2d9e",
            "ip_address": address, "netmask": str(net.cidr.netmask),
            "network_id": "3b4c",
            "routes": [
                {"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": str(net.gateway)},
                {"network": "198.51.100.0", "netmask": "255.255.255.0", "gateway": router}],
            "services": [{"type": "dns", "address": "192.0.2.53"}]},
            {"id": "network1", "type": "ipv6", "link": "tap-5f0c2d9e",
             "ip_address": "fd00:7::5", "netmask": "ffff:ffff:ffff:ffff::",
             "routes": [{"network": "::", "netmask": "::", "gateway": "fd00:7::1"}]}],
        "services": [{"type": "dns", "address": "192.0.2.54"}],
    }
    assert net.exec("ip", "addr", "add", "fd00:7::1/64", "dev", "br0", "nodad").returncode == 0
    guest = _boot(guests, net, tmp_path, key, network_data)

    shown = guest.console.wait_for(
        f"nuage-guest: network eth0 {address}/24 fd00:7::5/64", BOOT_TIMEOUT)
    assert _ssh(net, tmp_path, key, guest, address, "echo ok") == "ok\n"
    answered = time.monotonic() - guest.console.started
    init = guest.console.wait_for("nuage-guest: init started", 0)
    print(f"\n[{accel}] static: after QEMU's start, init {init:.2f}s, address on the "
          f"console {shown:.2f}s, ssh answered {answered:.2f}s")
    _reachable(net, guest, address)

    _reachable(net, guest, "fd00:7::5")
    state = _ssh(net, tmp_path, key, guest, address,
                 "cat /sys/class/net/eth0/mtu; ip -4 route; ip -6 route; cat /etc/resolv.conf;"
                 " hostname")
    assert state.splitlines()[0] == "1400"
    assert f"default via {net.gateway} dev eth0" in state
    assert f"198.51.100.0/24 via {router} dev eth0" in state
    assert "default via fd00:7::1 dev eth0" in state
    assert "nameserver 192.0.2.53\nnameserver 192.0.2.54" in state
    assert state.splitlines()[-1] == "net-vm"
    # A static address: no DHCP client ran on this NIC.
    assert "udhcpc" not in _ssh(net, tmp_path, key, guest, address, "ps")
    # An interactive login gets a terminal.
    assert _ssh(net, tmp_path, key, guest, address, "tty", "-tt").strip() == "/dev/pts/0"
    # scp (SFTP underneath, since OpenSSH 9): there and back.
    sent, back = tmp_path / "sent.txt", tmp_path / "back.txt"
    sent.write_text("carried over sftp\n")
    for source, dest in ((str(sent), f"root@{address}:/tmp/got.txt"),
                         (f"root@{address}:/tmp/got.txt", str(back))):
        proc = net.exec("scp", "-F", "/dev/null", "-i", str(key), "-o", "BatchMode=yes",
                        "-o", "StrictHostKeyChecking=yes",
                        "-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
                        source, dest, timeout=60)
        assert proc.returncode == 0, proc.stderr
    assert back.read_text() == "carried over sftp\n"


def test_dhcp_when_network_data_says_nothing(
        guests: Guests, net: Segment, tmp_path: Path, key: Path, accel: str) -> None:
    router = str(net.host(254))
    log = net.start_dhcp(100, 150, [
        "option:mtu,1450",
        f"option:classless-static-route,198.51.100.0/24,{router},0.0.0.0/0,{net.gateway}"])
    guest = _boot(guests, net, tmp_path, key, EMPTY_NETWORK_DATA)

    prefix = ".".join(str(net.gateway).split(".")[:3])
    shown, line = guest.console.wait_line(f"nuage-guest: network eth0 {prefix}.", BOOT_TIMEOUT)
    address = _ipv4(line)
    print(f"\n[{accel}] dhcp: address on the console {shown:.2f}s after QEMU started")
    assert 100 <= int(address.rsplit(".", 1)[1]) <= 150
    assert f"DHCPACK(br0) {address} {MAC}" in log.read_text()
    _reachable(net, guest, address)
    assert _ssh(net, tmp_path, key, guest, address, "echo ok") == "ok\n"

    state = _ssh(net, tmp_path, key, guest, address, "cat /sys/class/net/eth0/mtu; ip -4 route")
    assert state.splitlines()[0] == "1450"
    assert f"default via {net.gateway} dev eth0" in state
    assert f"198.51.100.0/24 via {router} dev eth0" in state



def test_each_nic_configured_by_its_mac(
        guests: Guests, net: Segment, tmp_path: Path, key: Path) -> None:
    """Two NICs: network_data gives the second one (eth1) a static address and says
    nothing of the first, which gets DHCP. Matched by MAC, not by order."""
    first, second = "fa:16:3e:4e:71:0a", "fa:16:3e:4e:71:0b"
    address = str(net.host(6))
    network_data = {
        "links": [{"id": "tap-b", "type": "ovs", "ethernet_mac_address": second}],
        "networks": [{"id": "network0", "type": "ipv4", "link": "tap-b",
                      "ip_address": address, "netmask": "255.255.255.0", "routes": []}],
        "services": []}
    net.start_dhcp(100, 150)
    guest = _boot(guests, net, tmp_path, key, network_data, macs=(first, second))

    guest.console.wait_for(f"nuage-guest: network eth1 {address}/24", BOOT_TIMEOUT)
    prefix = ".".join(str(net.gateway).split(".")[:3])
    _, line = guest.console.wait_line(f"nuage-guest: network eth0 {prefix}.", BOOT_TIMEOUT)
    leased = _ipv4(line)
    assert 100 <= int(leased.rsplit(".", 1)[1]) <= 150
    for reached in (address, leased):
        assert _ssh(net, tmp_path, key, guest, reached, "echo ok") == "ok\n"
    shown = _ssh(net, tmp_path, key, guest, address,
                 "cat /sys/class/net/eth0/address /sys/class/net/eth1/address; "
                 "ip -o -4 addr show dev eth1")
    assert shown.splitlines()[:2] == [first, second]
    assert f"inet {address}/24" in shown and leased not in shown
