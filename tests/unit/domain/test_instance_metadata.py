"""meta_data.json, network_data.json and the EC2 tree from plain facts (the shapes of
Nova's api/metadata/base.py and virt/netutils.py)."""

from __future__ import annotations

from nuage.domain.instance_metadata import (
    InstanceFacts,
    NicFacts,
    SubnetFacts,
    ec2_instance_id,
    ec2_meta_data,
    meta_data,
    network_data,
)

SERVER = InstanceFacts(
    id="5a1b2c3d-0000-4000-8000-000000000001", name="web 1", project_id="p1",
    hostname="web-1", availability_zone="nova", launch_index=0, key_name="k",
    key_data="ssh-ed25519 AAAA k", user_data=None, metadata={"a": "b"}, number=42,
    image_id="0f6e4d2c-7b3a-4c1d-9e8f-2a1b3c4d5e6f", flavor_name="m1.tiny",
    reservation_id="r-abcdefgh")
V4_DHCP = SubnetFacts("s4", 4, "10.0.0.0/24", "10.0.0.1", True, ("10.0.0.53",))
V4_STATIC = SubnetFacts("s5", 4, "10.1.0.0/24", None, False, (),
                        ({"destination": "10.9.0.0/16", "nexthop": "10.1.0.254"},))
V6_STATIC = SubnetFacts("s6", 6, "fd00::/64", "fd00::1", False, ("fd00::53", "10.0.0.53"))
V6_SLAAC = SubnetFacts("s7", 6, "fd01::/64", "fd01::1", True, ipv6_address_mode="slaac")


def test_meta_data() -> None:
    meta = meta_data(SERVER)
    assert meta == {"uuid": SERVER.id, "name": "web 1", "hostname": "web-1",
                    "launch_index": 0, "availability_zone": "nova", "project_id": "p1",
                    "public_keys": {"k": "ssh-ed25519 AAAA k"},
                    "keys": [{"name": "k", "type": "ssh", "data": "ssh-ed25519 AAAA k"}],
                    "meta": {"a": "b"}, "devices": []}


def test_network_data_one_network_per_address() -> None:
    nic = NicFacts("0123456789abcdef", "n1", "fa:16:3e:00:00:01", 1450,
                   ((V4_DHCP, "10.0.0.5"), (V6_STATIC, "fd00::5"), (V6_SLAAC, "fd01::5")))
    plain = NicFacts("fedcba9876543210", "n2", "fa:16:3e:00:00:02", 1500,
                     ((V4_STATIC, "10.1.0.5"),))
    data = network_data([nic, plain])
    assert data["links"][0] == {"id": "tap0123456789a", "vif_id": nic.port_id, "type": "tap",
                                "mtu": 1450, "ethernet_mac_address": "fa:16:3e:00:00:01"}
    nets = data["networks"]
    assert [n["id"] for n in nets] == ["network0", "network1", "network2", "network3"]
    assert nets[0] == {"id": "network0", "type": "ipv4_dhcp", "link": "tap0123456789a",
                       "network_id": "n1"}
    assert nets[1]["type"] == "ipv6" and nets[1]["netmask"] == "ffff:ffff:ffff:ffff::"
    assert nets[1]["routes"] == [{"network": "::", "netmask": "::", "gateway": "fd00::1"}]
    assert nets[2] == {"id": "network2", "type": "ipv6_slaac", "link": "tap0123456789a",
                       "network_id": "n1"}
    assert nets[3]["routes"] == [{"network": "10.9.0.0", "netmask": "255.255.0.0",
                                  "gateway": "10.1.0.254"}]           # no gateway: no default
    assert nets[3]["link"] == "tapfedcba98765"
    # DNS servers once each, in order of first mention.
    assert data["services"] == [{"type": "dns", "address": "10.0.0.53"},
                                {"type": "dns", "address": "fd00::53"}]
    assert network_data([]) == {"links": [], "networks": [], "services": []}


def test_ec2_tree() -> None:
    nic = NicFacts("p", "n", "fa:16:3e:00:00:01", 1450,
                   ((V6_STATIC, "fd00::5"), (V4_DHCP, "10.0.0.5")), ("default", "web"))
    tree = ec2_meta_data(SERVER, [nic], None)
    assert ec2_instance_id(42) == "i-0000002a" == tree["instance-id"]
    assert tree["local-ipv4"] == "10.0.0.5"
    assert "public-ipv4" not in tree
    assert tree["ami-id"] == "ami-0f6e4d2c"
    assert tree["security-groups"] == "default\nweb"
    assert tree["placement"] == {"availability-zone": "nova"}
    assert tree["public-keys"] == {"0": {"_name": "0=k", "openssh-key": "ssh-ed25519 AAAA k"}}
    assert ec2_meta_data(SERVER, [nic], "203.0.113.7")["public-ipv4"] == "203.0.113.7"
