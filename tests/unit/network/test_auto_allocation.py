"""The auto-allocated topology's choices without the wire: which prefix of the pool a
topology gets, what happens when the pool is used up, the audit trail, and a topology
whose network was deleted by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nuage.domain.errors import Conflict
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.auto_allocation import free_prefix
from nuage.services.network.base import NetworkConfig
from nuage.services.network.networks import NewNetwork
from nuage.services.network.subnets import NewSubnet
from tests.unit.network.conftest import Net, make_net, member_of


def test_free_prefix_skips_what_overlaps() -> None:
    assert free_prefix("10.128.0.0/22", 24, []) == "10.128.0.0/24"
    assert free_prefix("10.128.0.0/22", 24, ["10.128.0.0/24", "10.128.1.128/25"]) == \
        "10.128.2.0/24"
    # A wider subnet covering the start, other versions and other ranges.
    assert free_prefix("10.128.0.0/22", 24, ["10.128.0.0/23", "fd00::/64",
                                             "192.168.0.0/16"]) == "10.128.2.0/24"
    assert free_prefix("10.128.0.0/22", 24, ["10.0.0.0/8"]) is None
    # A pool smaller than one prefix holds none.
    assert free_prefix("10.128.0.0/26", 24, []) is None


@pytest.fixture
def tiny() -> Iterator[Net]:
    """A pool of two /24s."""
    yield from make_net(NetworkConfig(auto_allocation_pool="10.128.0.0/23",
                                      auto_allocation_prefixlen=24))


def _external(net: Net) -> str:
    made = net.s.networks.create(net.admin, NewNetwork(
        name="public", external=True, is_default=True, network_type="flat",
        physical_network="public")).network
    net.s.subnets.create(net.admin, NewSubnet(network_id=made.id, cidr="203.0.113.0/24",
                                              enable_dhcp=False))
    return made.id


def _cidr(net: Net, network_id: str) -> str:
    with net.uow() as uow:
        subnet = uow.subnets.first(network_id=network_id)
        assert subnet is not None
        return subnet.cidr


def test_a_used_up_pool_falls_back_to_the_projects_own_room(tiny: Net) -> None:
    _external(tiny)
    auto = tiny.s.auto_allocation
    first = auto.get(tiny.alice, "p-a")
    second = auto.get(tiny.bob, "p-b")
    assert {_cidr(tiny, first.network_id), _cidr(tiny, second.network_id)} == {
        "10.128.0.0/24", "10.128.1.0/24"}
    # The cloud's pool is used up: a third project overlaps another project's range
    # (its segment and router are its own), never one of its own subnets.
    carol = member_of("p-c")
    mine = tiny.s.networks.create(carol, NewNetwork(name="mine")).network
    tiny.s.subnets.create(carol, NewSubnet(network_id=mine.id, cidr="10.128.0.0/24"))
    third = auto.get(carol, "p-c")
    assert _cidr(tiny, third.network_id) == "10.128.1.0/24"
    # A fourth project with both ranges in use in its own project: nothing left.
    dave = member_of("p-d")
    for cidr in ("10.128.0.0/24", "10.128.1.0/24"):
        made = tiny.s.networks.create(dave, NewNetwork(name=cidr)).network
        tiny.s.subnets.create(dave, NewSubnet(network_id=made.id, cidr=cidr))
    with pytest.raises(Conflict) as refused:
        auto.get(dave, "p-d")
    assert refused.value.fault == NetworkFault.AUTO_ALLOCATION_FAILED
    assert refused.value.fields["reason"] == "Unable to provide tenant private network"
    with tiny.uow() as uow:
        # What was made before the refusal went again.
        assert [n.name for n in uow.networks.find(project_id="p-d")] == [
            "10.128.0.0/24", "10.128.1.0/24"]


def test_audit_and_a_network_deleted_by_hand(net: Net) -> None:
    _external(net)
    auto = net.s.auto_allocation
    made = auto.get(net.alice, "p-a")
    (event,) = net.events("network.auto_allocated_topology.create")
    assert event.detail == {"network_id": made.network_id, "router_id": made.router_id}
    # The user takes it apart by hand: the next ask builds a new one.
    net.s.routers.remove_interface(net.alice, made.router_id,
                                   subnet_id=None, port_id=_interface(net, made.router_id))
    net.s.routers.delete(net.alice, made.router_id)
    net.s.networks.delete(net.alice, made.network_id)
    again = auto.get(net.alice, "p-a")
    assert again.network_id != made.network_id
    auto.delete(net.alice, "p-a")
    assert len(net.events("network.auto_allocated_topology.delete")) == 1
    with net.uow() as uow:
        assert uow.auto_allocated_topologies.get("p-a") is None
        assert uow.networks.find(project_id="p-a") == []


def _interface(net: Net, router_id: str) -> str:
    with net.uow() as uow:
        (port,) = net.s.routers.interfaces(uow, router_id)
        return port.id
