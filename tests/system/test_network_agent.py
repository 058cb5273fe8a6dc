"""`nuage up` runs the network agent: a network, subnet and port made through the API
appear in the host's datapath (bridge, DHCP namespace with dnsmasq, the port's TAP) and the
port becomes ACTIVE once an admin binds it to this host. Stopping nuage leaves the
datapath running (guests outlive it); a bridge deleted by hand and a stale network added
while it was down are repaired and removed by the next start; after a crash (SIGKILL) a
DHCP namespace deleted by hand comes back; deleting through the API leaves nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.linux_net.kernel import namespaces, remove_namespace
from nuage.ports.network_fabric import Inventory, NetworkSpec
from tests.support.live_network import Api, LiveNetworkNuage, live_network, wait
from tests.support.netns import needs_root_net

pytestmark = [pytest.mark.slow, needs_root_net]


class Neutron:
    """The Neutron calls of this test, on the shared helper."""

    def __init__(self, live: LiveNetworkNuage) -> None:
        self.api = Api(live)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        return self.api.neutron(method, path, body, expect)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNetworkNuage]:
    # No guests here: the default image is not built.
    with live_network(tmp_path / "state", compute=False, timeout=60) as node:
        yield node


def test_the_agent_builds_keeps_and_repairs_the_datapath(live: LiveNetworkNuage) -> None:
    fabric = live.fabric
    prefix = live.prefix
    api = Neutron(live)
    net = api.call("POST", "networks", {"network": {"name": "agent-net"}}, 201)["network"]
    api.call("POST", "subnets", {"subnet": {"network_id": net["id"], "cidr": "10.77.0.0/24",
                                            "ip_version": 4}}, 201)
    port = api.call("POST", "ports", {"port": {"network_id": net["id"]}}, 201)["port"]

    def held() -> Inventory:
        return fabric.inventory()

    # The bridge and the DHCP server come at once (woken by the changes); the unbound
    # port is plugged nowhere and stays DOWN.
    wait("bridge and dnsmasq", lambda: net["id"] in held().networks
         and net["id"] in held().dhcp)
    assert port["id"] not in held().ports
    assert api.call("GET", f"ports/{port['id']}")["port"]["status"] == "DOWN"
    dhcp_ports = api.call("GET", f"ports?network_id={net['id']}&device_owner=network:dhcp")
    assert len(dhcp_ports["ports"]) == 1
    dhcp_ns = f"{prefix}-dhcp-{net['id']}"
    assert dhcp_ns in namespaces()
    leg = subprocess.run(["ip", "-n", dhcp_ns, "-o", "addr", "show", "ns-dhcp"],
                         capture_output=True, text=True, check=True).stdout
    assert dhcp_ports["ports"][0]["fixed_ips"][0]["ip_address"] + "/24" in leg

    # An admin binds the port to this host: it is plugged and recorded ACTIVE.
    host = socket.gethostname()
    api.call("PUT", f"ports/{port['id']}", {"port": {"binding:host_id": host}})
    wait("port ACTIVE", lambda: api.call("GET", f"ports/{port['id']}")["port"]["status"]
         == "ACTIVE")
    shown = api.call("GET", f"ports/{port['id']}")["port"]
    assert (shown["binding:vif_type"], shown["binding:host_id"]) == ("tap", host)
    assert port["id"] in held().ports
    wait("DHCP port ACTIVE", lambda: api.call(
        "GET", f"ports/{dhcp_ports['ports'][0]['id']}")["port"]["status"] == "ACTIVE")

    segment = api.call("GET", f"networks/{net['id']}")["network"]["provider:segmentation_id"]

    # nuage up stops: the datapath stays (guests use it).
    live.stop()
    before = held()
    assert net["id"] in before.networks and net["id"] in before.dhcp
    assert port["id"] in before.ports
    # While it is down: its bridge is deleted by hand, a network nobody asked for appears.
    subprocess.run(["ip", "-n", fabric.names.datapath_ns, "link", "del", f"nb{segment}"],
                   check=True)
    fabric.ensure_network(NetworkSpec(network_id="stale-network", segment_id=4093))
    assert net["id"] not in held().networks
    assert "stale-network" in held().networks

    # The next start converges: the bridge is back with the port on it, the stale one gone.
    live.start()
    api = Neutron(live)
    wait("bridge back, stale gone", lambda: held().networks == {net["id"]}
         and port["id"] in held().ports)
    assert api.call("GET", f"ports/{port['id']}")["port"]["status"] == "ACTIVE"

    # Killed (a crash), then the DHCP namespace is deleted by hand with its dnsmasq: the
    # next start brings the DHCP server back.
    live.kill()
    for pid in subprocess.run(["ip", "netns", "pids", dhcp_ns], capture_output=True,
                              text=True, check=True).stdout.split():
        os.kill(int(pid), signal.SIGKILL)
    remove_namespace(dhcp_ns)
    wait("DHCP gone", lambda: net["id"] not in held().dhcp)
    live.start()
    api = Neutron(live)
    wait("DHCP back", lambda: net["id"] in held().dhcp)
    assert dhcp_ns in namespaces()

    # Deleted through the API: nothing of the network is left on the host.
    api.call("DELETE", f"ports/{port['id']}", expect=204)
    api.call("DELETE", f"networks/{net['id']}", expect=204)
    wait("nothing left", lambda: (held().networks, held().dhcp, held().ports)
         == (frozenset(), frozenset(), frozenset()))
    assert dhcp_ns not in namespaces()

