"""The whole metadata path on the Linux datapath: a stand-in guest's request to
169.254.169.254 goes through the real proxy (its network's DHCP namespace, or its router)
to the real metadata service on its unix socket, backed by a real cloud whose Neutron and
Nova APIs made the network, the server and its port. Each guest reads its own server,
whatever identity headers it forges, also when two projects use the same address."""

from __future__ import annotations

import json
import sys
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
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova
from tests.api.conftest import Api, make_api
from tests.api.metadata_support import Tenant, serving
from tests.api.network_support import Neutron
from tests.support.netns import configure, dhcp_lease, linux_fabric, needs_root_net, sh, stand_in

pytestmark = needs_root_net

EGRESS = SecurityGroupSpec("egress", rules=(SecurityRule(direction="egress"),))

GET = """
import sys, urllib.request, urllib.error
request = urllib.request.Request(sys.argv[1], headers={
    "X-Forwarded-For": "10.0.0.9", "X-Nuage-Network-Id": "forged",
    "X-Nuage-Router-Id": "forged"})
try:
    answer = urllib.request.urlopen(request, timeout=10)
    print(answer.status, answer.read().decode())
except urllib.error.HTTPError as exc:
    print(exc.code, exc.read().decode())
"""


def fetch(ns: str, path: str) -> tuple[int, str]:
    out = sh(ns, sys.executable, "-c", GET, f"http://169.254.169.254{path}").stdout
    status, _, body = out.partition(" ")
    return int(status), body.rstrip("\n")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path / "state")


@pytest.fixture
def fabric(tmp_path: Path, api: Api) -> Iterator[LinuxNetworkFabric]:
    with serving(api.cloud) as sock, linux_fabric(tmp_path / "fabric") as real:
        real.metadata_socket = sock
        real.ensure_security_group(EGRESS)
        yield real


def plug(fabric: LinuxNetworkFabric, t: Tenant, segment: int, name: str, *,
         dhcp: bool) -> tuple[NetworkSpec, str]:
    """The tenant's network and port on the datapath, as the network agent would make
    them from the database; the stand-in guest's namespace."""
    mac = t.port["mac_address"]
    subnet = SubnetSpec(t.subnet["id"], t.subnet["cidr"], gateway_ip=t.subnet["gateway_ip"])
    net = NetworkSpec(t.network["id"], segment, subnets=(subnet,),
                      dhcp=DhcpServer(str(uuid.uuid4()), "fa:16:3e:00:b0:02",
                                      (FixedIp(subnet.subnet_id, "10.0.0.2"),))
                      if dhcp else None,
                      dhcp_hosts=(DhcpHost(mac, t.address, name),) if dhcp else ())
    fabric.ensure_network(net)
    ns = stand_in(fabric, name)
    fabric.ensure_port(PortSpec(t.port["id"], net.network_id, mac,
                                fixed_ips=(FixedIp(subnet.subnet_id, t.address),),
                                security_groups=("egress",), guest_netns=ns))
    return net, ns


def test_guests_read_their_own_server_through_the_proxies(
        api: Api, fabric: LinuxNetworkFabric, tmp_path: Path) -> None:
    servers = Servers(Nova(api))
    first = Tenant(api, servers, "first")
    second = Tenant(api, servers, "second")        # same CIDR, same address, own project

    # The first through its network's DHCP namespace (host route from DHCP).
    _, guest1 = plug(fabric, first, 1101, "md1", dhcp=True)
    assert dhcp_lease(guest1, tmp_path) is not None
    status, body = fetch(guest1, "/openstack/latest/meta_data.json")
    assert status == 200, body
    meta = json.loads(body)
    assert (meta["uuid"], meta["project_id"]) == (first.server_id, first.project_id)
    assert fetch(guest1, "/latest/meta-data/local-ipv4") == (200, "10.0.0.5")
    network_data = json.loads(fetch(guest1, "/openstack/latest/network_data.json")[1])
    assert network_data["links"][0]["ethernet_mac_address"] == first.port["mac_address"]

    # The second through its router (default route), which Neutron knows by its
    # interface port on the second's subnet.
    router_id = str(uuid.uuid4())
    leg = Neutron(api).make("port", network_id=second.network["id"], device_id=router_id,
                            device_owner="network:router_interface",
                            project_id=second.project_id,
                            fixed_ips=[{"subnet_id": second.subnet["id"],
                                        "ip_address": "10.0.0.1"}])
    net2, guest2 = plug(fabric, second, 1102, "md2", dhcp=False)
    configure(guest2, "10.0.0.5/24", gateway="10.0.0.1")
    fabric.ensure_router(RouterSpec(router_id, interfaces=(RouterInterface(
        leg["id"], net2.network_id, leg["mac_address"], "10.0.0.1/24"),)))
    try:
        status, body = fetch(guest2, "/openstack/latest/meta_data.json")
        assert status == 200, body
        meta = json.loads(body)
        assert (meta["uuid"], meta["project_id"]) == (second.server_id, second.project_id)
        assert fetch(guest2, "/latest/meta-data/hostname") == (200, "second")
    finally:
        fabric.remove_router(router_id)
