"""The network agent against the in-memory fabric (which keeps the fabric port's contract,
checked against the Linux driver): what it converges, what it records, how it recovers
from drift and from a fabric that refuses, how a change wakes it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.agent.network import LocalNetworkAgentChannel, NetworkAgent
from nuage.ports.network_fabric import DesiredState, FabricError, NetworkSpec
from nuage.services.network.base import NetworkConfig
from nuage.services.network.floatingips import NewFloatingIp
from nuage.services.network.networks import NewNetwork
from nuage.services.network.routers import GatewayInfo, NewRouter
from nuage.services.network.subnets import NewSubnet
from tests.unit.network.agent_support import ADMIN, ALICE, HOST, Plane, make_plane
from tests.unit.network.fake_fabric import MemoryNetworkFabric


@pytest.fixture
def plane() -> Iterator[Plane]:
    yield from make_plane()


@pytest.fixture
def threaded(tmp_path: Path) -> Iterator[Plane]:
    """For the tests where the agent runs in its thread."""
    yield from make_plane(db_url=f"sqlite:///{tmp_path / 'nuage.db'}")


@pytest.fixture
def fabric() -> MemoryNetworkFabric:
    return MemoryNetworkFabric(prefix="t")


def _agent(plane: Plane, fabric: MemoryNetworkFabric, interval: float = 3600) -> NetworkAgent:
    return NetworkAgent(plane.control.for_host(HOST), fabric, interval=interval)


def test_a_pass_builds_the_datapath_and_records_the_ports(plane: Plane,
                                                          fabric: MemoryNetworkFabric) -> None:
    network = plane.network()
    port = plane.port(network)
    elsewhere = plane.port(network, host="node-2")
    _agent(plane, fabric).converge()
    held = fabric.inventory()
    assert held.networks == {network} and held.dhcp == {network}
    assert held.ports == {port.id}
    assert (plane.get(port.id).status, plane.get(port.id).binding_vif_type) == ("ACTIVE", "tap")
    assert plane.get(elsewhere.id).status == "DOWN"      # node-2's agent reports it
    dhcp = fabric.networks[network].dhcp
    assert dhcp is not None and plane.get(dhcp.port_id).status == "ACTIVE"
    # Its lease is served: the VM port's MAC gets its address.
    assert {(h.mac, h.ip_address) for h in fabric.networks[network].dhcp_hosts} >= {
        (port.mac_address, port.fixed_ips[0]["ip_address"])}


def test_an_administratively_down_port_is_plugged_and_reported_down(
        plane: Plane, fabric: MemoryNetworkFabric) -> None:
    network = plane.network()
    port = plane.port(network, admin_state_up=False)
    _agent(plane, fabric).converge()
    assert port.id in fabric.inventory().ports
    assert plane.get(port.id).status == "DOWN"


def test_drift_is_repaired_and_stale_objects_go(plane: Plane,
                                                fabric: MemoryNetworkFabric) -> None:
    network = plane.network()
    port = plane.port(network)
    agent = _agent(plane, fabric)
    agent.converge()
    # By hand while no agent ran: the bridge removed, a foreign network added.
    fabric.remove_network(network)
    fabric.ensure_network(NetworkSpec(network_id="stale", segment_id=999))
    agent.converge()
    assert fabric.inventory().networks == {network}
    assert fabric.inventory().ports == {port.id}
    # Deleted through the API: nothing left.
    plane.s.ports.delete(ADMIN, port.id)
    plane.s.networks.delete(ADMIN, network)
    agent.converge()
    held = fabric.inventory()
    assert (held.networks, held.dhcp, held.ports) == (frozenset(), frozenset(), frozenset())


def test_a_fabric_error_is_logged_the_rest_converges_and_the_next_pass_retries(
        fabric: MemoryNetworkFabric, caplog: pytest.LogCaptureFixture) -> None:
    # Segment ids above 65535 are refused by the fabric (they are its conntrack zones):
    # the first network gets 65535, the second 65536.
    for plane in make_plane(config=NetworkConfig(segment_min=65535, segment_max=65600)):
        good = plane.network()
        good_port = plane.port(good)
        big = plane.network()
        bad_port = plane.port(big)
        _agent(plane, fabric).converge()                  # does not raise
        assert "did not fully converge" in caplog.text
        assert plane.get(good_port.id).status == "ACTIVE"
        assert plane.get(bad_port.id).status == "DOWN"
        assert fabric.inventory().networks == {good}


def test_a_failing_pass_does_not_stop_the_agent(threaded: Plane, fabric: MemoryNetworkFabric,
                                                caplog: pytest.LogCaptureFixture) -> None:
    plane = threaded
    network = plane.network()
    port = plane.port(network)
    calls = {"n": 0}
    real = fabric.converge

    def flaky(desired: DesiredState) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise FabricError("nft: transaction refused")
        real(desired)

    fabric.converge = flaky                               # type: ignore[method-assign]
    agent = _agent(plane, fabric, interval=0.05)
    agent.start()
    try:
        _wait(lambda: plane.get(port.id).status == "ACTIVE")
    finally:
        agent.stop()
    assert "nft: transaction refused" in caplog.text
    assert calls["n"] >= 2


def test_a_change_wakes_the_agent_and_stopping_leaves_the_datapath(
        threaded: Plane, fabric: MemoryNetworkFabric) -> None:
    plane = threaded
    local = LocalNetworkAgentChannel()
    plane.channel.then = local
    agent = _agent(plane, fabric)                         # periodic pass: an hour away
    local.attach(agent)
    agent.start()
    try:
        network = plane.network()
        port = plane.port(network)
        _wait(lambda: plane.get(port.id).status == "ACTIVE")
    finally:
        agent.stop()
    # Guests outlive the agent: nothing is removed when it stops.
    assert fabric.inventory().ports == {port.id}
    assert fabric.inventory().dhcp == {network}


def _wait(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("not reached in time")


def _routed(plane: Plane) -> tuple[str, str, str]:
    """Alice's server port behind her router to a flat 'public' external network (the one
    the fabric's external bridge stands for): (router id, port id, external network id)."""
    ext = plane.s.networks.create(ADMIN, NewNetwork(
        name="public", external=True, network_type="flat", physical_network="public")).network
    plane.s.subnets.create(ADMIN, NewSubnet(network_id=ext.id, cidr="203.0.113.0/24",
                                            ip_version=4, enable_dhcp=False))
    network = plane.network(cidr=None)
    private = plane.subnet(network, "10.0.0.0/24")
    router = plane.s.routers.create(ALICE, NewRouter(gateway=GatewayInfo(ext.id)))
    plane.s.routers.add_interface(ALICE, router.id, subnet_id=private)
    port = plane.port(network)
    return router.id, port.id, ext.id


def test_router_and_floating_ip_statuses_come_from_the_datapath(
        plane: Plane, fabric: MemoryNetworkFabric) -> None:
    router_id, port_id, ext = _routed(plane)
    fip = plane.s.floatingips.create(ALICE, NewFloatingIp(floating_network_id=ext,
                                                          port_id=port_id))
    spare = plane.s.floatingips.create(ALICE, NewFloatingIp(floating_network_id=ext))
    agent = _agent(plane, fabric)
    agent.converge()
    assert fabric.inventory().floating_ips == {fip.floating_ip_address}
    assert plane.s.routers.get(ALICE, router_id).status == "ACTIVE"
    assert plane.s.floatingips.get(ALICE, fip.id).status == "ACTIVE"
    assert plane.s.floatingips.get(ALICE, spare.id).status == "DOWN"

    # The router's namespace gone (by hand, or the fabric failing to build it): both DOWN
    # as recorded by the agent, as long as nothing rebuilt them.
    def lose_router(desired: DesiredState) -> None:
        real(desired)
        fabric.remove_router(router_id)

    real = fabric.converge
    fabric.converge = lose_router                          # type: ignore[method-assign]
    agent.converge()
    assert plane.s.routers.get(ALICE, router_id).status == "DOWN"
    assert plane.s.floatingips.get(ALICE, fip.id).status == "DOWN"
    fabric.converge = real                                 # type: ignore[method-assign]
    agent.converge()
    assert plane.s.routers.get(ALICE, router_id).status == "ACTIVE"
    assert plane.s.floatingips.get(ALICE, fip.id).status == "ACTIVE"

    # Administratively down: no namespace, DOWN; its floating IP with it.
    plane.s.routers.update(ALICE, router_id, {"admin_state_up": False})
    agent.converge()
    assert router_id not in fabric.inventory().routers
    assert plane.s.routers.get(ALICE, router_id).status == "DOWN"
    assert plane.s.floatingips.get(ALICE, fip.id).status == "DOWN"
    plane.s.routers.update(ALICE, router_id, {"admin_state_up": True})
    agent.converge()
    assert plane.s.routers.get(ALICE, router_id).status == "ACTIVE"

    # Disassociated: DOWN, and its translation gone from the datapath.
    plane.s.floatingips.update(ALICE, fip.id, {"port_id": None})
    agent.converge()
    assert fabric.inventory().floating_ips == frozenset()
    assert plane.s.floatingips.get(ALICE, fip.id).status == "DOWN"
