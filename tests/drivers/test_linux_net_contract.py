"""The NetworkFabric port's contract, run against the in-memory fake the layers above use
(tests/unit/network/fake_fabric.py) and the Linux driver: what one does, the other does.
Traffic through the real datapath is proven in the other test_linux_net_* suites."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.ports.network_fabric import (
    AddressPair,
    DesiredState,
    DhcpServer,
    FabricError,
    FixedIp,
    Ipv6Mode,
    NetworkFabric,
    NetworkSpec,
    PortSpec,
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SubnetSpec,
)
from tests.support.netns import linux_fabric, needs_root_net
from tests.unit.network.fake_fabric import MemoryNetworkFabric


@pytest.fixture(params=["memory", pytest.param("linux", marks=needs_root_net)])
def fabric(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NetworkFabric]:
    if request.param == "memory":
        yield MemoryNetworkFabric()
        return
    with linux_fabric(tmp_path) as real:
        yield real


def uid() -> str:
    return str(uuid.uuid4())


def network(segment: int, network_id: str | None = None) -> NetworkSpec:
    return NetworkSpec(network_id=network_id or uid(), segment_id=segment)


def port(net: NetworkSpec, **kw: object) -> PortSpec:
    return PortSpec(port_id=uid(), network_id=net.network_id, mac="fa:16:3e:00:00:01",
                    **kw)  # type: ignore[arg-type]


def test_ensure_is_idempotent_and_inventory_sees_it(fabric: NetworkFabric) -> None:
    net = network(101)
    p = port(net, port_security=False)
    for _ in range(2):
        fabric.ensure_network(net)
        fabric.ensure_port(p)
    inv = fabric.inventory()
    assert inv.networks == {net.network_id}
    assert inv.ports == {p.port_id}


def test_remove_is_idempotent(fabric: NetworkFabric) -> None:
    net = network(102)
    p = port(net, port_security=False)
    fabric.ensure_network(net)
    fabric.ensure_port(p)
    for _ in range(2):
        fabric.remove_port(p.port_id)
        fabric.remove_network(net.network_id)
    assert not fabric.inventory().networks and not fabric.inventory().ports
    fabric.remove_router(uid())


def test_port_needs_its_network(fabric: NetworkFabric) -> None:
    with pytest.raises(FabricError):
        fabric.ensure_port(port(network(103), port_security=False))
    assert not fabric.inventory().ports


def test_segment_carries_one_network(fabric: NetworkFabric) -> None:
    fabric.ensure_network(network(104))
    with pytest.raises(FabricError):
        fabric.ensure_network(network(104))
    with pytest.raises(FabricError):
        fabric.ensure_network(network(0))


def test_router_interface_needs_its_network(fabric: NetworkFabric) -> None:
    iface = RouterInterface(port_id=uid(), network_id=uid(), mac="fa:16:3e:00:00:02",
                            address="10.0.0.1/24")
    with pytest.raises(FabricError):
        fabric.ensure_router(RouterSpec(router_id=uid(), interfaces=(iface,)))


def test_port_needs_its_security_groups(fabric: NetworkFabric) -> None:
    net = network(105)
    fabric.ensure_network(net)
    group = SecurityGroupSpec(group_id=uid())
    p = port(net, security_groups=(group.group_id,))
    with pytest.raises(FabricError):
        fabric.ensure_port(p)
    fabric.ensure_security_group(group)
    fabric.ensure_port(p)
    with pytest.raises(FabricError):
        fabric.remove_security_group(group.group_id)
    fabric.remove_port(p.port_id)
    fabric.remove_security_group(group.group_id)
    assert not fabric.inventory().security_groups


def test_converge_creates_and_removes_stale(fabric: NetworkFabric) -> None:
    keep, drop = network(106), network(107)
    group = SecurityGroupSpec(group_id=uid())
    kept_port = port(keep, security_groups=(group.group_id,))
    fabric.ensure_security_group(group)
    fabric.ensure_network(drop)
    fabric.ensure_port(port(drop, port_security=False))
    router = RouterSpec(router_id=uid())
    fabric.ensure_router(RouterSpec(router_id=uid()))
    fabric.converge(DesiredState(networks=(keep,), ports=(kept_port,), routers=(router,),
                                 security_groups=(group,)))
    inv = fabric.inventory()
    assert inv.networks == {keep.network_id}
    assert inv.ports == {kept_port.port_id}
    assert inv.routers == {router.router_id}
    assert inv.security_groups == {group.group_id}
    fabric.converge(DesiredState())
    assert fabric.inventory().networks == set() and fabric.inventory().routers == set()


def test_converge_reports_what_failed_and_does_the_rest(fabric: NetworkFabric) -> None:
    net = network(108)
    orphan = port(network(109), port_security=False)
    with pytest.raises(FabricError, match=orphan.port_id):
        fabric.converge(DesiredState(networks=(net,), ports=(orphan,)))
    assert fabric.inventory().networks == {net.network_id}


def test_dhcp_server_follows_the_network_spec(fabric: NetworkFabric) -> None:
    sid = uid()
    net = NetworkSpec(network_id=uid(), segment_id=110,
                      subnets=(SubnetSpec(sid, "10.9.0.0/24", gateway_ip="10.9.0.1"),),
                      dhcp=DhcpServer(uid(), "fa:16:3e:00:11:02", (FixedIp(sid, "10.9.0.2"),)))
    fabric.ensure_network(net)
    fabric.ensure_network(net)
    assert fabric.inventory().dhcp == {net.network_id}
    fabric.ensure_network(dataclasses.replace(net, dhcp=None))
    assert fabric.inventory().dhcp == set()
    assert fabric.inventory().networks == {net.network_id}


def test_every_ipv6_ra_mode_is_accepted(fabric: NetworkFabric) -> None:
    """slaac, dhcpv6-stateless and dhcpv6-stateful: each advertised on its own leg."""
    net = network(111)
    fabric.ensure_network(net)
    modes: tuple[Ipv6Mode, ...] = ("slaac", "dhcpv6-stateless", "dhcpv6-stateful")
    legs = tuple(RouterInterface(uid(), net.network_id, f"fa:16:3e:00:11:0{n}",
                                 f"2001:db8:2{n}::1/64", ipv6_ra_mode=mode)
                 for n, mode in enumerate(modes))
    router = RouterSpec(uid(), interfaces=legs)
    fabric.ensure_router(router)
    fabric.ensure_router(router)
    assert fabric.inventory().routers == {router.router_id}
    fabric.remove_router(router.router_id)
    assert fabric.inventory().routers == set()


def test_a_malformed_address_is_refused_and_changes_nothing(fabric: NetworkFabric) -> None:
    net = network(112)
    fabric.ensure_network(net)
    with pytest.raises(FabricError):
        fabric.ensure_port(port(net, port_security=False,
                                fixed_ips=(FixedIp("s", "10.0.0.999"),)))
    with pytest.raises(FabricError):
        fabric.ensure_port(port(net, port_security=False,
                                allowed_address_pairs=(AddressPair("not-an-ip"),)))
    with pytest.raises(FabricError):
        fabric.ensure_router(RouterSpec(uid(), interfaces=(RouterInterface(
            uid(), net.network_id, "fa:16:3e:00:12:01", "10.0.0.1/33"),)))
    inv = fabric.inventory()
    assert inv.ports == set() and inv.routers == set()
