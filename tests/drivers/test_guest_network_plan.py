"""The guest image's reading of network_data.json, without booting it: json-flatten, then
network-plan (files/ of nuage.drivers.guest_image), run by the busybox the image carries
(from the same busybox-static package, fetched like the image's), so that its awk, not
the host's, is the one judged. What the plan's actions do in a real guest is shown by
tests/system/test_guest_network.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from nuage.drivers.guest_image import builder, debian

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("apt-get", "apt-cache", "dpkg-deb")),
    reason="needs Debian's apt and dpkg")

NICS = "eth0=fa:16:3e:00:00:01,eth1=fa:16:3e:00:00:02"


@pytest.fixture(scope="module")
def busybox_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the image's busybox as sh and awk, and nothing else."""
    cache = Path(os.environ.get("NUAGE_TEST_CACHE", Path.home() / ".cache" / "nuage-tests"))
    name = builder.BUSYBOX_PACKAGE
    version = debian.candidates([name])[name]["Version"]
    deb = debian.fetch(debian.DebianPackage(name, version), cache / "guest-image-debs")
    root = tmp_path_factory.mktemp("busybox")
    debian.extract(deb, root)
    bin_dir = root / "only"
    bin_dir.mkdir()
    for applet in ("sh", "awk"):
        (bin_dir / applet).symlink_to(root / "bin" / "busybox")
    return bin_dir


def plan(bin_dir: Path, tmp_path: Path, network_data: object, nics: str = NICS) -> list[str]:
    scripts = resources.files("nuage.drivers.guest_image").joinpath("files")
    env = {"PATH": str(bin_dir)}
    flat = subprocess.run([str(bin_dir / "sh"), str(scripts / "json-flatten")],
                          input=json.dumps(network_data).encode(), env=env,
                          capture_output=True, check=True).stdout
    (tmp_path / "flat").write_bytes(flat)
    out = subprocess.run([str(bin_dir / "sh"), str(scripts / "network-plan"), nics,
                          str(tmp_path / "flat")], env=env, capture_output=True, check=True)
    return out.stdout.decode().splitlines()


def test_nothing_said_means_dhcp_on_every_nic(busybox_bin: Path, tmp_path: Path) -> None:
    empty: dict[str, list[object]] = {"links": [], "networks": [], "services": []}
    expected = ["up eth0 -", "up eth1 -", "dhcp eth0", "dhcp eth1"]
    assert plan(busybox_bin, tmp_path, empty) == expected
    assert plan(busybox_bin, tmp_path, {}) == expected


def test_static_ipv4_as_nova_writes_it(busybox_bin: Path, tmp_path: Path) -> None:
    network_data = {
        "links": [{"id": "tapa", "vif_id": "a", "type": "ovs", "mtu": 1450,
                   "ethernet_mac_address": "FA:16:3E:00:00:01"}],
        "networks": [{
            "id": "network0", "type": "ipv4", "link": "tapa", "ip_address": "10.0.0.5",
            "netmask": "255.255.255.0", "network_id": "n",
            "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"},
                       {"network": "172.16.0.0", "netmask": "255.240.0.0",
                        "gateway": "10.0.0.254"}],
            "services": [{"type": "dns", "address": "10.0.0.2"}]}],
        "services": [{"type": "dns", "address": "10.0.0.2"},
                     {"type": "dns", "address": "192.0.2.53"}],
    }
    assert plan(busybox_bin, tmp_path, network_data) == [
        "up eth0 1450", "up eth1 -",
        "addr eth0 10.0.0.5/24",
        "route 4 eth0 default 10.0.0.1", "route 4 eth0 172.16.0.0/12 10.0.0.254",
        "dhcp eth1",                               # not mentioned: DHCP, as before
        "dns 10.0.0.2", "dns 192.0.2.53",          # once each, the network's first
    ]


def test_dhcp_ipv6_and_prefix_forms(busybox_bin: Path, tmp_path: Path) -> None:
    network_data = {
        "links": [{"id": "a", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:01"},
                  {"id": "b", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:02"}],
        "networks": [
            {"id": "v4", "type": "ipv4_dhcp", "link": "a"},
            {"id": "v6", "type": "ipv6", "link": "a", "ip_address": "fd00:1::5",
             "netmask": "ffff:ffff:ffff:ffff::",
             "routes": [{"network": "::", "netmask": "::", "gateway": "fd00:1::1"}]},
            {"id": "cidr", "type": "ipv4", "link": "b", "ip_address": "192.168.9.9/28",
             "routes": [{"network": "192.168.10.0", "netmask": "24", "gateway": ""}]},
            {"id": "ra", "type": "ipv6_slaac", "link": "b"},
        ],
    }
    assert plan(busybox_bin, tmp_path, network_data) == [
        "up eth0 -", "up eth1 -",
        "addr eth0 fd00:1::5/64", "addr eth1 192.168.9.9/28",
        "route 6 eth0 default fd00:1::1", "route 4 eth1 192.168.10.0/24 -",
        "dhcp eth0",             # asked for; eth1 has a static address and SLAAC only
    ]


def test_what_cannot_be_done_is_said_and_skipped(busybox_bin: Path, tmp_path: Path) -> None:
    network_data = {
        "links": [{"id": "a", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:01"},
                  {"id": "gone", "type": "phy", "ethernet_mac_address": "fa:16:3e:99:99:99"},
                  {"id": "v", "type": "vlan", "vlan_link": "a", "vlan_id": 42,
                   "vlan_mac_address": "fa:16:3e:00:00:01"}],
        "networks": [
            # A value that would be a second command, were it ever evaluated by a shell.
            {"id": "evil", "type": "ipv4", "link": "a", "ip_address": "10.0.0.5; reboot",
             "netmask": "255.255.255.0"},
            {"id": "route", "type": "ipv4", "link": "a", "ip_address": "10.0.0.6",
             "netmask": "255.255.255.0",
             "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                         "gateway": "$(reboot)"}]},
            {"id": "elsewhere", "type": "ipv4", "link": "gone", "ip_address": "10.1.0.5",
             "netmask": "255.255.255.0"},
            {"id": "stateful", "type": "ipv6_dhcpv6-stateful", "link": "a"},
            {"id": "odd", "type": "ipx", "link": "a"},
        ],
    }
    assert plan(busybox_bin, tmp_path, network_data) == [
        "warn link gone: no NIC with MAC fa:16:3e:99:99:99",
        "warn link v: type vlan is not supported here",
        "warn network evil: bad address 10.0.0.5; reboot/24",
        "warn network route: bad route 0.0.0.0/0 via $(reboot)",
        "warn network elsewhere: its link gone is no NIC here",
        "warn network stateful: no DHCPv6 client, SLAAC only on eth0",
        "warn network odd: type ipx is not supported here",
        "up eth0 -", "up eth1 -",
        "addr eth0 10.0.0.6/24",
        "dhcp eth1",
    ]
