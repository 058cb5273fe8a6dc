"""Bad input changes nothing on the datapath: against a live `nuage up` with the network
datapath (no guests), each refused request of the issue's list gets Neutron's status code
and error type — overlapping subnets in one network, an address outside its subnet, a port
on another project's network, deleting a network with ports, a floating IP for a port with
no router path to the external network, a create over quota — and after the agent's next
pass the host holds exactly what it held before: the same networks, DHCP servers, ports
and routers in the fabric's inventory, the same links in each of the cloud's namespaces
and the same nftables rules (counters aside)."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nuage.drivers.linux_net.kernel import namespaces
from tests.support.live_network import Api, LiveNetworkNuage, live_network, member_project, wait
from tests.support.netns import needs_root_net

pytestmark = [pytest.mark.slow, needs_root_net]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNetworkNuage]:
    with live_network(tmp_path / "state", compute=False) as node:
        yield node


COUNTERS = re.compile(r"counter packets \d+ bytes \d+")


def host_state(live: LiveNetworkNuage) -> dict[str, Any]:
    """What the cloud holds on this host: its inventory, and per namespace of its prefix
    the links (names, state) and the nftables rules without their counters."""
    inventory = live.fabric.inventory()
    state: dict[str, Any] = {"inventory": inventory}
    for ns in sorted(n for n in namespaces() if n.startswith(live.prefix + "-")):
        links = subprocess.run(["ip", "-n", ns, "-br", "link"], capture_output=True,
                               text=True, check=True).stdout
        rules = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"],
                               capture_output=True, text=True, check=True).stdout
        state[ns] = (sorted(links.splitlines()), COUNTERS.sub("counter", rules))
    return state


def refused(r: httpx.Response, status: int, kind: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["NeutronError"]["type"] == kind, r.text


def test_refused_requests_leave_the_datapath_as_it_was(live: LiveNetworkNuage) -> None:
    api = Api(live)
    fabric = live.fabric
    host = socket.gethostname()
    net, subnet, router = api.routed_network("bad-input", "10.9.0.0/24")
    port = api.neutron("POST", "ports", {"port": {
        "network_id": net["id"], "binding:host_id": host}}, 201)["port"]
    # A network with no router: a port there has no path to the external network.
    island = api.neutron("POST", "networks", {"network": {"name": "island"}}, 201)["network"]
    api.neutron("POST", "subnets", {"subnet": {"network_id": island["id"],
                                               "cidr": "10.8.0.0/24", "ip_version": 4}}, 201)
    lonely = api.neutron("POST", "ports", {"port": {"network_id": island["id"]}},
                         201)["port"]
    other = member_project(live, api)
    other_project = other.project_id
    api.neutron("PUT", f"quotas/{other_project}", {"quota": {"network": 0}})

    def built() -> bool:
        held = fabric.inventory()
        return ({net["id"], island["id"]} <= held.networks and port["id"] in held.ports
                and router["id"] in held.routers and net["id"] in held.dhcp)
    wait("the datapath built", built, timeout=120)
    wait("the port ACTIVE", lambda: api.neutron("GET", f"ports/{port['id']}")["port"][
        "status"] == "ACTIVE", timeout=60)
    before = host_state(live)
    # The datapath, DHCP and router namespaces, each with links and rules to compare.
    assert len(before) >= 4 and all(links for links, _ in list(before.values())[1:])

    neutron = f"{live.base_url}/network/v2.0"
    admin = {"X-Auth-Token": api.token}
    theirs = {"X-Auth-Token": other.token}
    refused(httpx.post(f"{neutron}/subnets", headers=admin, timeout=30, json={"subnet": {
        "network_id": net["id"], "cidr": "10.9.0.128/25", "ip_version": 4}}),
        400, "InvalidInput")
    refused(httpx.post(f"{neutron}/ports", headers=admin, timeout=30, json={"port": {
        "network_id": net["id"],
        "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": "10.7.0.5"}]}}),
        400, "InvalidIpForSubnet")
    refused(httpx.post(f"{neutron}/ports", headers=theirs, timeout=30, json={"port": {
        "network_id": net["id"]}}), 404, "NetworkNotFound")
    refused(httpx.delete(f"{neutron}/networks/{net['id']}", headers=admin, timeout=30),
            409, "NetworkInUse")
    refused(httpx.post(f"{neutron}/floatingips", headers=admin, timeout=30, json={
        "floatingip": {"floating_network_id": api.public()["id"],
                       "port_id": lonely["id"]}}),
        404, "ExternalGatewayForFloatingIPNotFound")
    refused(httpx.post(f"{neutron}/networks", headers=theirs, timeout=30, json={"network": {
        "name": "one-too-many"}}), 409, "OverQuota")
    # Nothing was recorded either.
    assert api.neutron("GET", f"floatingips?port_id={lonely['id']}")["floatingips"] == []
    assert [s["id"] for s in api.neutron("GET", f"subnets?network_id={net['id']}")[
        "subnets"]] == [subnet["id"]]

    # The agent's next pass, woken by a change of its own (a port made and deleted), finds
    # nothing else to do: the host is as it was.
    probe = api.neutron("POST", "ports", {"port": {
        "network_id": net["id"], "binding:host_id": host}}, 201)["port"]
    wait("the probe plugged", lambda: probe["id"] in fabric.inventory().ports, timeout=60)
    api.neutron("DELETE", f"ports/{probe['id']}", expect=204)
    wait("the probe unplugged", lambda: probe["id"] not in fabric.inventory().ports,
         timeout=60)
    after = host_state(live)
    assert after == before
