"""Subnets: address rules (stdlib ipaddress underneath), overlap within a network, IPv6
modes, deletion while addresses are held."""

from __future__ import annotations

from typing import Any

import pytest

from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.network import Subnet
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.listing import ListQuery
from nuage.services.network.ports import NewPort
from nuage.services.network.subnets import NewSubnet
from tests.unit.network.conftest import Net


def _subnet(net: Net, network_id: str, cidr: str = "10.0.0.0/24", **kw: Any) -> Subnet:
    return net.subnet(network_id, cidr, **kw)


def test_defaults_gateway_first_address_pool_the_rest(net: Net) -> None:
    made = net.network().network
    s = _subnet(net, made.id, "192.168.5.0/24")
    assert (s.gateway_ip, s.allocation_pools) == (
        "192.168.5.1", [{"start": "192.168.5.2", "end": "192.168.5.254"}])
    assert net.s.networks.get(net.alice, made.id).subnet_ids == [s.id]


def test_a_gateway_inside_splits_the_default_pool_none_gives_all(net: Net) -> None:
    made = net.network().network
    s = _subnet(net, made.id, "10.1.0.0/28", gateway_ip="10.1.0.5", gateway_given=True)
    assert s.allocation_pools == [{"start": "10.1.0.1", "end": "10.1.0.4"},
                                  {"start": "10.1.0.6", "end": "10.1.0.14"}]
    t = _subnet(net, made.id, "10.2.0.0/29", gateway_ip=None, gateway_given=True)
    assert (t.gateway_ip, t.allocation_pools) == (None, [{"start": "10.2.0.1",
                                                          "end": "10.2.0.6"}])


@pytest.mark.parametrize(("kw", "error", "fault"), [
    ({"cidr": "10.0.0.1/24"}, ValidationError, NetworkFault.CIDR_INVALID),
    ({"cidr": "nonsense"}, ValidationError, NetworkFault.CIDR_INVALID),
    ({"cidr": "10.0.0.0/32"}, ValidationError, NetworkFault.CIDR_TOO_SMALL),
    ({"cidr": "2001:db8::/64", "ip_version": 4}, ValidationError,
     NetworkFault.CIDR_VERSION_MISMATCH),
    ({"gateway_ip": "10.0.0.255", "gateway_given": True}, ValidationError,
     NetworkFault.GATEWAY_INVALID),
    ({"gateway_ip": "10.0.0.10", "gateway_given": True,
      "allocation_pools": [{"start": "10.0.0.5", "end": "10.0.0.20"}]}, Conflict,
     NetworkFault.GATEWAY_IN_POOL),
    ({"allocation_pools": [{"start": "10.0.0.20", "end": "10.0.0.5"}]}, ValidationError,
     NetworkFault.POOL_INVALID),
    ({"allocation_pools": [{"start": "10.0.0.200", "end": "10.0.1.5"}]}, ValidationError,
     NetworkFault.POOL_OUT_OF_BOUNDS),
    ({"allocation_pools": [{"start": "10.0.0.10", "end": "10.0.0.20"},
                           {"start": "10.0.0.15", "end": "10.0.0.30"}]}, Conflict,
     NetworkFault.POOLS_OVERLAP),
    ({"dns_nameservers": ["not-an-ip"]}, ValidationError, NetworkFault.ADDRESS_INVALID),
    ({"ipv6_address_mode": "slaac"}, ValidationError, NetworkFault.IPV6_MODES_INVALID),
])
def test_bad_subnets_are_refused_with_their_fault(net: Net, kw: dict[str, object],
                                                   error: type[Exception],
                                                   fault: NetworkFault) -> None:
    made = net.network().network
    args: dict[str, object] = {"network_id": made.id, "cidr": "10.0.0.0/24", "ip_version": 4,
                               **kw}
    with pytest.raises(error) as exc:
        net.s.subnets.create(net.alice, NewSubnet(**args))  # type: ignore[arg-type]
    assert getattr(exc.value, "fault", None) is fault


def test_overlapping_subnets_in_one_network_are_refused_not_across_networks(net: Net) -> None:
    one = net.network().network
    two = net.network().network
    first = _subnet(net, one.id, "10.0.0.0/24")
    with pytest.raises(ValidationError) as exc:
        net.subnet(one.id, "10.0.0.128/25")
    assert exc.value.fault is NetworkFault.SUBNET_OVERLAPS
    assert exc.value.fields == {"cidr": "10.0.0.128/25", "network_id": one.id,
                                "subnet_id": first.id}
    # Tenants' address ranges overlap freely across networks (and projects).
    _subnet(net, two.id, "10.0.0.0/24")
    other = net.network(net.bob).network
    _subnet(net, other.id, "10.0.0.0/24", ctx=net.bob)


def test_ipv6_modes_are_stored_and_need_a_64(net: Net) -> None:
    made = net.network().network
    s = _subnet(net, made.id, "2001:db8:1::/64", ipv6_ra_mode="dhcpv6-stateless",
                ipv6_address_mode="dhcpv6-stateless")
    assert (s.ip_version, s.ipv6_ra_mode, s.ipv6_address_mode) == (
        6, "dhcpv6-stateless", "dhcpv6-stateless")
    assert s.allocation_pools == [{"start": "2001:db8:1::2",
                                   "end": "2001:db8:1:0:ffff:ffff:ffff:ffff"}]
    with pytest.raises(ValidationError) as exc:
        net.subnet(made.id, "2001:db8:2::/80", ipv6_address_mode="slaac")
    assert exc.value.fault is NetworkFault.IPV6_PREFIX_NOT_64
    with pytest.raises(ValidationError) as mixed:
        net.subnet(made.id, "2001:db8:3::/64", ipv6_address_mode="slaac",
                   ipv6_ra_mode="dhcpv6-stateful")
    assert mixed.value.fault is NetworkFault.IPV6_MODES_INVALID


def test_only_the_network_owner_adds_subnets(net: Net) -> None:
    shared = net.network(net.admin, shared=True).network
    with pytest.raises(Forbidden):
        net.subnet(shared.id, ctx=net.bob)
    private = net.network().network
    with pytest.raises(NotFound):
        net.subnet(private.id, ctx=net.bob)


def test_a_subnet_holding_port_addresses_is_in_use(net: Net) -> None:
    made = net.network().network
    s = _subnet(net, made.id)
    port = net.s.ports.create(net.alice, NewPort(network_id=made.id))
    with pytest.raises(Conflict) as exc:
        net.s.subnets.delete(net.alice, s.id)
    assert exc.value.fault is NetworkFault.SUBNET_IN_USE
    net.s.ports.delete(net.alice, port.id)
    net.s.subnets.delete(net.alice, s.id)
    assert net.s.subnets.list_subnets(net.alice, ListQuery()).items == []


def test_update_changes_pools_and_dns_and_keeps_the_rules(net: Net) -> None:
    made = net.network().network
    s = _subnet(net, made.id)
    changed = net.s.subnets.update(net.alice, s.id, {
        "allocation_pools": [{"start": "10.0.0.100", "end": "10.0.0.150"}],
        "dns_nameservers": ["192.0.2.53"], "name": "renamed"})
    assert changed.allocation_pools == [{"start": "10.0.0.100", "end": "10.0.0.150"}]
    assert (changed.dns_nameservers, changed.name, changed.revision_number) == (
        ["192.0.2.53"], "renamed", 1)
    with pytest.raises(Conflict) as exc:
        net.s.subnets.update(net.alice, s.id, {"gateway_ip": "10.0.0.120"})
    assert exc.value.fault is NetworkFault.GATEWAY_IN_POOL


def test_the_network_owner_sees_a_subnet_an_admin_made_on_its_network(net: Net) -> None:
    made = net.network().network
    s = net.subnet(made.id, "10.4.0.0/24", ctx=net.admin)
    assert s.project_id == "p-admin"
    assert net.s.subnets.get(net.alice, s.id).id == s.id
    assert [x.id for x in net.s.subnets.list_subnets(net.alice, ListQuery()).items] == [s.id]
    with pytest.raises(NotFound):
        net.s.subnets.get(net.bob, s.id)
    # ... and, owning the network, changes and deletes it.
    assert net.s.subnets.update(net.alice, s.id, {"name": "mine"}).name == "mine"
    net.s.subnets.delete(net.alice, s.id)


def test_a_refused_change_leaves_neither_row_nor_event(net: Net) -> None:
    made = net.network().network
    _subnet(net, made.id, "10.0.0.0/24")
    before = len(net.events("network.subnet.create"))
    with pytest.raises(ValidationError):
        net.subnet(made.id, "10.0.0.0/16")
    assert len(net.events("network.subnet.create")) == before
    with net.uow() as uow:
        assert [s.cidr for s in uow.subnets.find(network_id=made.id)] == ["10.0.0.0/24"]
