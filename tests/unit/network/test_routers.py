"""Routers: the gateway on an external network, interfaces by subnet and by port with
Neutron's checks, static routes, and what keeps a router, subnet or port from going."""

from __future__ import annotations

import pytest

from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.listing import ListQuery
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import FixedIp, NewPort
from nuage.services.network.routers import GatewayInfo, NewRouter
from nuage.services.network.subnets import NewSubnet
from tests.unit.network.conftest import Net


def external(net: Net) -> tuple[str, str]:
    """An admin's external network with a 203.0.113.0/24 subnet: (network id, subnet id)."""
    info = net.s.networks.create(net.admin, NewNetwork(name="public", external=True))
    subnet = net.s.subnets.create(net.admin, NewSubnet(
        network_id=info.network.id, cidr="203.0.113.0/24",
        allocation_pools=[{"start": "203.0.113.10", "end": "203.0.113.20"}]))
    return info.network.id, subnet.id


def test_a_router_gets_a_gateway_port_on_the_external_network(net: Net) -> None:
    ext, ext_subnet = external(net)
    router = net.s.routers.create(net.alice, NewRouter(name="r", gateway=GatewayInfo(ext)))
    assert (router.project_id, router.gw_network_id, router.enable_snat) == ("p-a", ext, True)
    assert router.external_fixed_ips == [{"subnet_id": ext_subnet, "ip_address": "203.0.113.10"}]
    gw = net.s.ports.get(net.admin, router.gw_port_id or "")
    assert (gw.device_owner, gw.device_id, gw.project_id) == ("network:router_gateway",
                                                              router.id, "")
    # The gateway port is the cloud's: the project does not see it among its ports.
    with pytest.raises(NotFound):
        net.s.ports.get(net.alice, gw.id)
    # SNAT and the gateway's address are the cloud administrator's to choose.
    with pytest.raises(Forbidden):
        net.s.routers.update(net.alice, router.id, {"gateway": GatewayInfo(ext, False)})
    with pytest.raises(Forbidden):
        net.s.routers.create(net.alice, NewRouter(gateway=GatewayInfo(
            ext, external_fixed_ips=(FixedIp(ext_subnet, "203.0.113.15"),))))
    changed = net.s.routers.update(net.admin, router.id, {"gateway": GatewayInfo(
        ext, False, (FixedIp(ext_subnet, "203.0.113.15"),))})
    assert changed.enable_snat is False
    assert changed.external_fixed_ips == [{"subnet_id": ext_subnet,
                                           "ip_address": "203.0.113.15"}]
    cleared = net.s.routers.update(net.alice, router.id, {"gateway": None})
    assert (cleared.gw_network_id, cleared.gw_port_id, cleared.external_fixed_ips) == (
        None, None, [])
    with pytest.raises(NotFound):
        net.s.ports.get(net.admin, gw.id)
    assert [e.target_id for e in net.events("network.router.create")] == [router.id]


def test_the_gateway_must_be_an_external_network(net: Net) -> None:
    private = net.network(name="private").network
    with pytest.raises(ValidationError) as exc:
        net.s.routers.create(net.alice, NewRouter(gateway=GatewayInfo(private.id)))
    assert exc.value.fault is NetworkFault.NOT_EXTERNAL
    assert net.s.routers.list_routers(net.alice, ListQuery()).items == []


def test_interfaces_by_subnet_take_the_gateway_address(net: Net) -> None:
    router = net.s.routers.create(net.alice, NewRouter(name="r"))
    private = net.network().network
    subnet = net.subnet(private.id, "10.0.0.0/24")
    info = net.s.routers.add_interface(net.alice, router.id, subnet_id=subnet.id)
    assert (info.subnet_id, info.network_id, info.subnet_ids) == (subnet.id, private.id,
                                                                  [subnet.id])
    port = net.s.ports.get(net.alice, info.port_id)
    assert (port.device_owner, port.device_id) == ("network:router_interface", router.id)
    assert port.fixed_ips == [{"subnet_id": subnet.id, "ip_address": "10.0.0.1"}]
    assert port.status == "ACTIVE"          # as up as its router
    # The same subnet twice, an overlapping one, one without a gateway: refused.
    with pytest.raises(ValidationError) as again:
        net.s.routers.add_interface(net.alice, router.id, subnet_id=subnet.id)
    assert again.value.fault is NetworkFault.SUBNET_ALREADY_ATTACHED
    other = net.network().network
    overlapping = net.subnet(other.id, "10.0.0.0/16")
    with pytest.raises(ValidationError) as overlap:
        net.s.routers.add_interface(net.alice, router.id, subnet_id=overlapping.id)
    assert overlap.value.fault is NetworkFault.ROUTER_SUBNETS_OVERLAP
    bare = net.subnet(net.network().network.id, "10.9.0.0/24", gateway_ip=None,
                      gateway_given=True)
    with pytest.raises(ValidationError) as no_gateway:
        net.s.routers.add_interface(net.alice, router.id, subnet_id=bare.id)
    assert no_gateway.value.fault is NetworkFault.SUBNET_WITHOUT_GATEWAY
    # Neither or both of subnet_id and port_id.
    with pytest.raises(ValidationError):
        net.s.routers.add_interface(net.alice, router.id)
    with pytest.raises(ValidationError):
        net.s.routers.add_interface(net.alice, router.id, subnet_id=subnet.id,
                                    port_id=port.id)
    # In use: the router, the subnet, the interface port itself.
    with pytest.raises(Conflict) as busy:
        net.s.routers.delete(net.alice, router.id)
    assert busy.value.fault is NetworkFault.ROUTER_IN_USE
    with pytest.raises(Conflict) as subnet_busy:
        net.s.subnets.delete(net.alice, subnet.id)
    assert subnet_busy.value.fault is NetworkFault.SUBNET_IN_USE
    with pytest.raises(Conflict) as port_busy:
        net.s.ports.delete(net.alice, port.id)
    assert port_busy.value.fault is NetworkFault.L3_PORT_IN_USE

    removed = net.s.routers.remove_interface(net.alice, router.id, subnet_id=subnet.id)
    assert removed.port_id == port.id
    with pytest.raises(NotFound):
        net.s.ports.get(net.alice, port.id)
    with pytest.raises(NotFound) as gone:
        net.s.routers.remove_interface(net.alice, router.id, subnet_id=subnet.id)
    assert gone.value.fault is NetworkFault.INTERFACE_NOT_FOUND_FOR_SUBNET
    net.s.routers.delete(net.alice, router.id)
    net.s.subnets.delete(net.alice, subnet.id)


def test_interfaces_by_port(net: Net) -> None:
    router = net.s.routers.create(net.alice, NewRouter())
    private = net.network().network
    subnet = net.subnet(private.id, "10.1.0.0/24")
    port = net.s.ports.create(net.alice, NewPort(network_id=private.id,
                                                 fixed_ips=(FixedIp(subnet.id, "10.1.0.9"),)))
    info = net.s.routers.add_interface(net.alice, router.id, port_id=port.id)
    assert (info.port_id, info.subnet_id) == (port.id, subnet.id)
    attached = net.s.ports.get(net.alice, port.id)
    assert (attached.device_id, attached.device_owner) == (router.id,
                                                           "network:router_interface")
    # A port already serving a device.
    used = net.s.ports.create(net.alice, NewPort(network_id=private.id, device_id="vm-1"))
    with pytest.raises(Conflict) as in_use:
        net.s.routers.add_interface(net.alice, router.id, port_id=used.id)
    assert in_use.value.fault is NetworkFault.PORT_IN_USE
    with pytest.raises(NotFound) as not_on:
        net.s.routers.remove_interface(net.alice, router.id, port_id=used.id)
    assert not_on.value.fault is NetworkFault.INTERFACE_NOT_FOUND
    with pytest.raises(ValidationError) as mismatch:
        net.s.routers.remove_interface(net.alice, router.id, port_id=port.id,
                                       subnet_id="other")
    assert mismatch.value.fault is NetworkFault.SUBNET_MISMATCH_FOR_PORT
    net.s.routers.remove_interface(net.alice, router.id, port_id=port.id)
    with pytest.raises(NotFound):
        net.s.ports.get(net.alice, port.id)


def test_static_routes_need_a_nexthop_on_an_attached_subnet(net: Net) -> None:
    router = net.s.routers.create(net.alice, NewRouter())
    subnet = net.subnet(net.network().network.id, "10.2.0.0/24")
    route = {"destination": "192.168.0.0/24", "nexthop": "10.2.0.5"}
    with pytest.raises(ValidationError) as unconnected:
        net.s.routers.update(net.alice, router.id, {"routes": [route]})
    assert unconnected.value.fault is NetworkFault.ROUTES_INVALID
    net.s.routers.add_interface(net.alice, router.id, subnet_id=subnet.id)
    updated = net.s.routers.update(net.alice, router.id, {"routes": [route, route]})
    assert updated.routes == [route]
    with pytest.raises(ValidationError) as own:
        net.s.routers.update(net.alice, router.id, {"routes": [
            {"destination": "192.168.1.0/24", "nexthop": "10.2.0.1"}]})
    assert own.value.fault is NetworkFault.ROUTES_INVALID
    with pytest.raises(ValidationError) as many:
        net.s.routers.update(net.alice, router.id, {"routes": [
            {"destination": f"192.168.{i}.0/24", "nexthop": "10.2.0.5"} for i in range(31)]})
    assert many.value.fault is NetworkFault.ROUTES_EXHAUSTED
    with pytest.raises(Conflict) as needed:
        net.s.routers.remove_interface(net.alice, router.id, subnet_id=subnet.id)
    assert needed.value.fault is NetworkFault.INTERFACE_IN_USE_BY_ROUTE
    net.s.routers.update(net.alice, router.id, {"routes": []})
    net.s.routers.remove_interface(net.alice, router.id, subnet_id=subnet.id)


def test_routers_are_private_to_their_project_and_counted(small: Net) -> None:
    router = small.s.routers.create(small.alice, NewRouter(name="a"))
    with pytest.raises(NotFound):
        small.s.routers.get(small.bob, router.id)
    with pytest.raises(NotFound):
        small.s.routers.update(small.bob, router.id, {"name": "x"})
    with pytest.raises(NotFound):
        small.s.routers.delete(small.bob, router.id)
    # Bob cannot hang his subnet on Alice's router, nor Alice hers on Bob's subnet.
    bob_subnet = small.subnet(small.network(small.bob).network.id, ctx=small.bob)
    with pytest.raises(NotFound):
        small.s.routers.add_interface(small.alice, router.id, subnet_id=bob_subnet.id)
    small.s.quotas.update(small.admin, "p-a", {"router": 1})
    with pytest.raises(Conflict) as over:
        small.s.routers.create(small.alice, NewRouter())
    assert over.value.fault is NetworkFault.OVER_QUOTA
