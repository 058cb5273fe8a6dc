"""Ports: MACs, fixed IP allocation from the pools, explicit addresses checked, SLAAC
addresses from the MAC, who may set what, another project's network."""

from __future__ import annotations

import pytest

from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.listing import ListQuery
from nuage.services.network.ports import FixedIp, NewPort
from tests.unit.network.conftest import Net


def _with_subnet(net: Net, cidr: str = "10.0.0.0/29") -> tuple[str, str]:
    made = net.network().network
    subnet = net.subnet(made.id, cidr)
    return made.id, subnet.id


def test_ports_get_unique_macs_and_the_pool_in_order(net: Net) -> None:
    network_id, subnet_id = _with_subnet(net)          # pool 10.0.0.2 - 10.0.0.6
    ports = [net.s.ports.create(net.alice, NewPort(network_id=network_id)) for _ in range(5)]
    assert [p.fixed_ips[0]["ip_address"] for p in ports] == [
        "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]
    macs = {p.mac_address for p in ports}
    assert len(macs) == 5 and all(m.startswith("fa:16:3e:") for m in macs)
    with pytest.raises(Conflict) as exc:
        net.s.ports.create(net.alice, NewPort(network_id=network_id))
    assert exc.value.fault is NetworkFault.NO_MORE_IPS
    net.s.ports.delete(net.alice, ports[1].id)
    again = net.s.ports.create(net.alice, NewPort(network_id=network_id))
    assert again.fixed_ips == [{"subnet_id": subnet_id, "ip_address": "10.0.0.3"}]


@pytest.mark.parametrize(("ip", "error", "fault"), [
    ("10.0.0.200", ValidationError, NetworkFault.IP_INVALID_FOR_SUBNET),
    ("10.0.0.0", ValidationError, NetworkFault.IP_INVALID_FOR_SUBNET),
    ("10.0.0.7", ValidationError, NetworkFault.IP_INVALID_FOR_SUBNET),   # broadcast
    ("10.0.0.1", Conflict, NetworkFault.IP_TAKEN),                        # the gateway
    ("bogus", ValidationError, NetworkFault.IP_INVALID_FOR_SUBNET),
])
def test_explicit_addresses_are_checked(net: Net, ip: str, error: type[Exception],
                                        fault: NetworkFault) -> None:
    network_id, subnet_id = _with_subnet(net)
    with pytest.raises(error) as exc:
        net.s.ports.create(net.alice, NewPort(network_id=network_id, fixed_ips=(
            FixedIp(subnet_id=subnet_id, ip_address=ip),)))
    assert getattr(exc.value, "fault", None) is fault


def test_an_address_outside_every_subnet_and_one_taken(net: Net) -> None:
    network_id, _ = _with_subnet(net)
    with pytest.raises(ValidationError) as outside:
        net.s.ports.create(net.alice, NewPort(network_id=network_id, fixed_ips=(
            FixedIp(ip_address="192.0.2.9"),)))
    assert outside.value.fault is NetworkFault.IP_INVALID_FOR_NETWORK
    first = net.s.ports.create(net.alice, NewPort(network_id=network_id, fixed_ips=(
        FixedIp(ip_address="10.0.0.5"),)))
    assert first.fixed_ips[0]["ip_address"] == "10.0.0.5"
    with pytest.raises(Conflict) as taken:
        net.s.ports.create(net.alice, NewPort(network_id=network_id, fixed_ips=(
            FixedIp(ip_address="10.0.0.5"),)))
    assert taken.value.fault is NetworkFault.IP_TAKEN
    # Allocation skips an address someone chose.
    auto = [net.s.ports.create(net.alice, NewPort(network_id=network_id)) for _ in range(3)]
    assert [p.fixed_ips[0]["ip_address"] for p in auto] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]


def test_a_subnet_of_another_network_is_refused(net: Net) -> None:
    network_id, _ = _with_subnet(net)
    _, elsewhere = _with_subnet(net)
    with pytest.raises(ValidationError) as exc:
        net.s.ports.create(net.alice, NewPort(network_id=network_id, fixed_ips=(
            FixedIp(subnet_id=elsewhere),)))
    assert exc.value.fault is NetworkFault.SUBNET_NOT_ON_NETWORK


def test_slaac_ports_take_their_eui64_address(net: Net) -> None:
    made = net.network().network
    net.subnet(made.id, "10.9.0.0/24")
    v6 = net.subnet(made.id, "2001:db8::/64", ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    port = net.s.ports.create(net.alice, NewPort(network_id=made.id,
                                                  mac_address="fa:16:3e:11:22:33"))
    assert {f["ip_address"] for f in port.fixed_ips} == {"10.9.0.2",
                                                         "2001:db8::f816:3eff:fe11:2233"}
    with pytest.raises(ValidationError) as exc:
        net.s.ports.create(net.alice, NewPort(network_id=made.id, fixed_ips=(
            FixedIp(subnet_id=v6.id, ip_address="2001:db8::5"),)))
    assert exc.value.fault is NetworkFault.IP_ON_SLAAC_SUBNET


def test_macs_are_checked_and_unique_per_network(net: Net) -> None:
    network_id, _ = _with_subnet(net)
    net.s.ports.create(net.alice, NewPort(network_id=network_id,
                                          mac_address="FA:16:3E:00:00:01"))
    with pytest.raises(Conflict) as exc:
        net.s.ports.create(net.alice, NewPort(network_id=network_id,
                                              mac_address="fa:16:3e:00:00:01"))
    assert exc.value.fault is NetworkFault.MAC_TAKEN
    with pytest.raises(ValidationError) as bad:
        net.s.ports.create(net.alice, NewPort(network_id=network_id,
                                              mac_address="01:00:5e:00:00:01"))
    assert bad.value.fault is NetworkFault.MAC_INVALID


def test_a_port_on_another_projects_network_is_refused_unless_shared(net: Net) -> None:
    network_id, _ = _with_subnet(net)
    with pytest.raises(NotFound) as exc:
        net.s.ports.create(net.bob, NewPort(network_id=network_id))
    assert exc.value.kind == "network"
    shared = net.network(net.admin, shared=True).network
    net.subnet(shared.id, "10.5.0.0/24", ctx=net.admin)
    mine = net.s.ports.create(net.bob, NewPort(network_id=shared.id))
    assert mine.project_id == "p-b"
    # On a network it does not own, a project picks neither the address nor the owner.
    with pytest.raises(Forbidden) as ip:
        net.s.ports.create(net.bob, NewPort(network_id=shared.id, fixed_ips=(
            FixedIp(ip_address="10.5.0.50"),)))
    assert ip.value.fields["action"] == "network:port:set_fixed_ip_address"
    with pytest.raises(Forbidden):
        net.s.ports.create(net.bob, NewPort(network_id=shared.id, device_owner="network:dhcp"))
    # Ports stay their project's: alice does not see bob's port on the shared network.
    assert [p.id for p in net.s.ports.list_ports(net.bob, ListQuery()).items] == [mine.id]
    with pytest.raises(NotFound):
        net.s.ports.get(net.alice, mine.id)


def test_binding_is_the_admins_and_pairs_need_port_security(net: Net) -> None:
    network_id, _ = _with_subnet(net)
    with pytest.raises(Forbidden):
        net.s.ports.create(net.alice, NewPort(network_id=network_id, binding_host_id="h1"))
    bound = net.s.ports.create(net.admin, NewPort(network_id=network_id, binding_host_id="h1",
                                                  binding_profile={"k": "v"}))
    assert (bound.binding_host_id, bound.binding_profile) == ("h1", {"k": "v"})
    with pytest.raises(Conflict) as exc:
        net.s.ports.create(net.alice, NewPort(
            network_id=network_id, port_security_enabled=False,
            allowed_address_pairs=[{"ip_address": "10.0.0.100"}]))
    assert exc.value.fault is NetworkFault.ADDRESS_PAIRS_NEED_PORT_SECURITY
    paired = net.s.ports.create(net.alice, NewPort(
        network_id=network_id, allowed_address_pairs=[{"ip_address": "10.0.0.96/28"}]))
    assert paired.allowed_address_pairs == [{"ip_address": "10.0.0.96/28"}]


def test_update_moves_fixed_ips_and_keeps_the_rest(net: Net) -> None:
    network_id, subnet_id = _with_subnet(net)
    port = net.s.ports.create(net.alice, NewPort(network_id=network_id))
    moved = net.s.ports.update(net.alice, port.id, {
        "fixed_ips": (FixedIp(subnet_id=subnet_id, ip_address="10.0.0.6"),),
        "name": "renamed", "device_id": "server-1"})
    assert moved.fixed_ips == [{"subnet_id": subnet_id, "ip_address": "10.0.0.6"}]
    assert (moved.name, moved.device_id, moved.revision_number) == ("renamed", "server-1", 1)
    other = net.s.ports.create(net.alice, NewPort(network_id=network_id))
    assert other.fixed_ips[0]["ip_address"] == "10.0.0.2"     # the released address
    with net.uow() as uow:
        held = sorted(a.ip_address for a in uow.ip_allocations.find(network_id=network_id))
    assert held == ["10.0.0.2", "10.0.0.6"]


def test_a_slaac_subnet_addresses_existing_ports_and_takes_them_back(net: Net) -> None:
    made = net.network().network
    net.subnet(made.id, "10.8.0.0/24")
    port = net.s.ports.create(net.alice, NewPort(network_id=made.id,
                                                  mac_address="fa:16:3e:00:00:0a"))
    v6 = net.subnet(made.id, "2001:db8:8::/64", ipv6_ra_mode="slaac",
                    ipv6_address_mode="slaac")
    now = net.s.ports.get(net.alice, port.id)
    assert {"subnet_id": v6.id, "ip_address": "2001:db8:8:0:f816:3eff:fe00:a"} in now.fixed_ips
    # SLAAC addresses follow the prefix: deleting the subnet takes them, no SubnetInUse.
    net.s.subnets.delete(net.alice, v6.id)
    after = net.s.ports.get(net.alice, port.id)
    assert [f["subnet_id"] for f in after.fixed_ips] == [port.fixed_ips[0]["subnet_id"]]
    with net.uow() as uow:
        assert uow.ip_allocations.find(subnet_id=v6.id) == []


def test_a_new_mac_moves_the_slaac_address_only(net: Net) -> None:
    made = net.network().network
    v4 = net.subnet(made.id, "10.6.0.0/24")
    v6 = net.subnet(made.id, "2001:db8:6::/64", ipv6_ra_mode="slaac",
                    ipv6_address_mode="slaac")
    port = net.s.ports.create(net.alice, NewPort(network_id=made.id,
                                                  mac_address="fa:16:3e:00:00:01"))
    moved = net.s.ports.update(net.alice, port.id, {"mac_address": "fa:16:3e:00:00:02"})
    assert moved.fixed_ips == [{"subnet_id": v4.id, "ip_address": "10.6.0.2"},
                               {"subnet_id": v6.id,
                                "ip_address": "2001:db8:6:0:f816:3eff:fe00:2"}]
    with net.uow() as uow:
        held = {a.ip_address for a in uow.ip_allocations.find(port_id=port.id)}
    assert held == {"10.6.0.2", "2001:db8:6:0:f816:3eff:fe00:2"}
