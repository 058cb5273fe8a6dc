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
from tests.unit.network.agent_support import ADMIN, HOST, Plane, make_plane
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
