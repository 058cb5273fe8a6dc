"""Floating IPs: an address of the external network, bound to a port's fixed address only
along a router path, one per fixed address, let go when the port goes."""

from __future__ import annotations

import pytest

from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.external import ExternalSpec
from nuage.services.network.floatingips import NewFloatingIp
from nuage.services.network.listing import ListQuery
from nuage.services.network.ports import NewPort
from nuage.services.network.routers import GatewayInfo, NewRouter
from tests.unit.network.conftest import Net
from tests.unit.network.test_routers import external


def routed_port(net: Net, ext: str, cidr: str = "10.0.0.0/24") -> tuple[str, str, str]:
    """Alice's port behind her router to `ext`: (port id, its address, router id)."""
    router = net.s.routers.create(net.alice, NewRouter(gateway=GatewayInfo(ext)))
    private = net.network().network
    subnet = net.subnet(private.id, cidr)
    net.s.routers.add_interface(net.alice, router.id, subnet_id=subnet.id)
    port = net.s.ports.create(net.alice, NewPort(network_id=private.id))
    return port.id, port.fixed_ips[0]["ip_address"], router.id


def test_create_associate_disassociate_delete(net: Net) -> None:
    ext, ext_subnet = external(net)
    port_id, fixed, router_id = routed_port(net, ext)
    fip = net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext))
    # The router's gateway holds .10: the floating IP takes the next address.
    assert (fip.floating_ip_address, fip.status, fip.port_id) == ("203.0.113.11", "DOWN", None)
    holder = net.s.ports.get(net.admin, fip.floating_port_id)
    assert (holder.device_owner, holder.device_id, holder.project_id) == (
        "network:floatingip", fip.id, "")
    bound = net.s.floatingips.update(net.alice, fip.id, {"port_id": port_id})
    assert (bound.port_id, bound.fixed_ip_address, bound.router_id, bound.status) == (
        port_id, fixed, router_id, "ACTIVE")
    # One floating IP per fixed address.
    second = net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext))
    with pytest.raises(Conflict) as taken:
        net.s.floatingips.update(net.alice, second.id, {"port_id": port_id})
    assert taken.value.fault is NetworkFault.FIXED_IP_ALREADY_ASSOCIATED
    # The interface and the gateway it goes through stay while it is bound.
    subnet_id = net.s.ports.get(net.alice, port_id).fixed_ips[0]["subnet_id"]
    with pytest.raises(Conflict) as needed:
        net.s.routers.remove_interface(net.alice, router_id, subnet_id=subnet_id)
    assert needed.value.fault is NetworkFault.INTERFACE_IN_USE_BY_FLOATINGIP
    with pytest.raises(Conflict) as gateway:
        net.s.routers.update(net.alice, router_id, {"gateway": None})
    assert gateway.value.fault is NetworkFault.GATEWAY_IN_USE_BY_FLOATINGIP
    free = net.s.floatingips.update(net.alice, fip.id, {"port_id": None})
    assert (free.port_id, free.fixed_ip_address, free.router_id, free.status) == (
        None, None, None, "DOWN")
    net.s.floatingips.delete(net.alice, fip.id)
    with pytest.raises(NotFound):
        net.s.ports.get(net.admin, holder.id)
    assert [e.target_id for e in net.events("network.floatingip.delete")] == [fip.id]
    assert ext_subnet


def test_association_needs_a_router_path(net: Net) -> None:
    ext, _ = external(net)
    private = net.network().network
    subnet = net.subnet(private.id, "10.5.0.0/24")
    port = net.s.ports.create(net.alice, NewPort(network_id=private.id))
    with pytest.raises(NotFound) as no_path:
        net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext,
                                                          port_id=port.id))
    assert no_path.value.fault is NetworkFault.EXTERNAL_GATEWAY_NOT_FOUND
    # A router on the subnet without a gateway is no path either.
    router = net.s.routers.create(net.alice, NewRouter())
    net.s.routers.add_interface(net.alice, router.id, subnet_id=subnet.id)
    with pytest.raises(NotFound):
        net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext,
                                                          port_id=port.id))
    net.s.routers.update(net.alice, router.id, {"gateway": GatewayInfo(ext)})
    fip = net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext,
                                                            port_id=port.id))
    assert (fip.router_id, fip.status) == (router.id, "ACTIVE")
    # Nothing was left behind by the refused creates: one floating IP, one holder port.
    assert len(net.s.floatingips.list_floatingips(net.admin, ListQuery()).items) == 1


def test_rules_on_the_network_the_address_and_the_port(net: Net) -> None:
    ext, ext_subnet = external(net)
    private = net.network().network
    net.subnet(private.id)
    with pytest.raises(ValidationError) as internal:
        net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=private.id))
    assert internal.value.fault is NetworkFault.NOT_EXTERNAL
    with pytest.raises(Forbidden):
        net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext,
                                                          floating_ip_address="203.0.113.15"))
    chosen = net.s.floatingips.create(net.admin, NewFloatingIp(
        floating_network_id=ext, floating_ip_address="203.0.113.15", project_id="p-a"))
    assert (chosen.floating_ip_address, chosen.project_id) == ("203.0.113.15", "p-a")
    with pytest.raises(Conflict) as taken:
        net.s.floatingips.create(net.admin, NewFloatingIp(
            floating_network_id=ext, floating_ip_address="203.0.113.15"))
    assert taken.value.fault is NetworkFault.IP_TAKEN
    # Bob neither sees Alice's floating IP nor binds his port to it.
    with pytest.raises(NotFound):
        net.s.floatingips.get(net.bob, chosen.id)
    bob_port, _, _ = routed_port_of_bob(net, ext)
    with pytest.raises(NotFound):
        net.s.floatingips.update(net.alice, chosen.id, {"port_id": bob_port})
    assert ext_subnet


def routed_port_of_bob(net: Net, ext: str) -> tuple[str, str, str]:
    router = net.s.routers.create(net.bob, NewRouter(gateway=GatewayInfo(ext)))
    private = net.network(net.bob).network
    subnet = net.subnet(private.id, "10.7.0.0/24", ctx=net.bob)
    net.s.routers.add_interface(net.bob, router.id, subnet_id=subnet.id)
    port = net.s.ports.create(net.bob, NewPort(network_id=private.id))
    return port.id, port.fixed_ips[0]["ip_address"], router.id


def test_deleting_the_port_lets_the_floating_ip_go(net: Net) -> None:
    ext, _ = external(net)
    port_id, _, _ = routed_port(net, ext)
    fip = net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext,
                                                            port_id=port_id))
    net.s.ports.delete(net.alice, port_id)
    after = net.s.floatingips.get(net.alice, fip.id)
    assert (after.port_id, after.status) == (None, "DOWN")
    # The floating IP's own port goes only with it.
    with pytest.raises(Conflict) as own:
        net.s.ports.delete(net.admin, fip.floating_port_id)
    assert own.value.fault is NetworkFault.L3_PORT_IN_USE


def test_floating_ip_quota_and_exhaustion(small: Net) -> None:
    ext, _ = external(small)
    small.s.quotas.update(small.admin, "p-a", {"floatingip": 2})
    for _ in range(2):
        small.s.floatingips.create(small.alice, NewFloatingIp(floating_network_id=ext))
    with pytest.raises(Conflict) as over:
        small.s.floatingips.create(small.alice, NewFloatingIp(floating_network_id=ext))
    assert over.value.fault is NetworkFault.OVER_QUOTA
    # The pool holds 11 addresses (.10 - .20): 9 more for Bob, then none.
    for _ in range(9):
        small.s.floatingips.create(small.bob, NewFloatingIp(floating_network_id=ext))
    with pytest.raises(Conflict) as full:
        small.s.floatingips.create(small.bob, NewFloatingIp(floating_network_id=ext))
    assert full.value.fault is NetworkFault.NO_MORE_IPS


def test_the_external_network_is_seeded_once(net: Net) -> None:
    spec = ExternalSpec(name="public", cidr="203.0.113.0/24", gateway_ip=None,
                        pool_start="203.0.113.10", pool_end="203.0.113.250")
    made = net.s.external.ensure(net.admin, spec)
    assert made is not None
    assert (made.name, made.external, made.project_id, made.network_type) == (
        "public", True, "p-admin", "flat")
    assert net.s.external.ensure(net.admin, spec) is None
    # Every project sees it and its subnet, and can take floating IPs from it.
    info = net.s.networks.get(net.bob, made.id)
    (subnet_id,) = info.subnet_ids
    subnet = net.s.subnets.get(net.bob, subnet_id)
    assert (subnet.cidr, subnet.gateway_ip, subnet.allocation_pools, subnet.enable_dhcp) == (
        "203.0.113.0/24", "203.0.113.1", [{"start": "203.0.113.10", "end": "203.0.113.250"}],
        False)
    fip = net.s.floatingips.create(net.bob, NewFloatingIp(floating_network_id=made.id))
    assert fip.floating_ip_address == "203.0.113.10"


def test_unbound_floating_ips_go_with_their_external_network(net: Net) -> None:
    ext, _ = external(net)
    fip = net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext))
    router = net.s.routers.create(net.alice, NewRouter(gateway=GatewayInfo(ext)))
    # A router's gateway keeps the network; without it, the unbound floating IP goes too.
    with pytest.raises(Conflict) as busy:
        net.s.networks.delete(net.admin, ext)
    assert busy.value.fault is NetworkFault.NETWORK_IN_USE
    assert net.s.floatingips.get(net.alice, fip.id).id == fip.id
    net.s.routers.delete(net.alice, router.id)
    net.s.networks.delete(net.admin, ext)
    with pytest.raises(NotFound):
        net.s.floatingips.get(net.alice, fip.id)
    assert [e.target_id for e in net.events("network.floatingip.delete")] == [fip.id]
