"""Who asks the metadata service: (network, address) and (router, address) name one
server's port, or nobody; the same address on another network is another guest."""

from __future__ import annotations

from nuage.services.network.floatingips import NewFloatingIp
from nuage.services.network.ports import FixedIp, NewPort
from nuage.services.network.routers import GatewayInfo, NewRouter
from tests.unit.network.conftest import Net
from tests.unit.network.test_routers import external

SERVER_A = "11111111-1111-4111-8111-111111111111"
SERVER_B = "22222222-2222-4222-8222-222222222222"
ROUTER = "33333333-3333-4333-8333-333333333333"


def _guest(net: Net, server: str, address: str = "10.0.0.5", ctx_is_bob: bool = False
           ) -> tuple[str, str, str]:
    """A network 10.0.0.0/24 of alice's (or bob's) with `server`'s port at `address`:
    (network id, subnet id, port id)."""
    ctx = net.bob if ctx_is_bob else net.alice
    network_id = net.network(ctx).network.id
    subnet = net.subnet(network_id, "10.0.0.0/24", ctx=ctx)
    port = net.s.ports.create(ctx, NewPort(
        network_id=network_id, device_id=server, device_owner="compute:nova",
        fixed_ips=(FixedIp(subnet.id, address),)))
    return network_id, subnet.id, port.id


def test_the_port_on_that_network_with_that_address(net: Net) -> None:
    network_id, subnet_id, port_id = _guest(net, SERVER_A)
    found = net.s.metadata.by_network(network_id, "10.0.0.5")
    assert found is not None
    assert (found.server_id, found.project_id, found.port_id) == (SERVER_A, "p-a", port_id)
    assert [n.port_id for n in found.nics] == [port_id]
    assert found.nics[0].addresses[0][0].id == subnet_id
    assert found.public_ipv4 is None              # no floating IP: none


def test_another_networks_same_address_is_another_guest(net: Net) -> None:
    net_a, _, _ = _guest(net, SERVER_A)
    net_b, _, _ = _guest(net, SERVER_B, ctx_is_bob=True)
    a = net.s.metadata.by_network(net_a, "10.0.0.5")
    b = net.s.metadata.by_network(net_b, "10.0.0.5")
    assert a is not None and b is not None
    assert (a.server_id, a.project_id) == (SERVER_A, "p-a")
    assert (b.server_id, b.project_id) == (SERVER_B, "p-b")


def test_unknown_addresses_and_networks_are_nobody(net: Net) -> None:
    network_id, _, _ = _guest(net, SERVER_A)
    for address in ("10.0.0.6", "not-an-address", "", "10.0.0.5, 10.0.0.6"):
        assert net.s.metadata.by_network(network_id, address) is None
    assert net.s.metadata.by_network("", "10.0.0.5") is None
    assert net.s.metadata.by_network("other", "10.0.0.5") is None
    assert net.s.metadata.by_router(ROUTER, "10.0.0.5") is None     # no such router


def test_only_a_servers_port_answers(net: Net) -> None:
    network_id = net.network().network.id
    subnet = net.subnet(network_id, "10.0.0.0/24")
    for owner, device, address in (("", "", "10.0.0.7"), ("compute:nova", "", "10.0.0.8"),
                                   ("", SERVER_A, "10.0.0.9")):
        net.s.ports.create(net.alice, NewPort(network_id=network_id, device_owner=owner,
                                              device_id=device,
                                              fixed_ips=(FixedIp(subnet.id, address),)))
        assert net.s.metadata.by_network(network_id, address) is None


def test_ipv6_addresses_are_compared_as_addresses(net: Net) -> None:
    network_id = net.network().network.id
    subnet = net.subnet(network_id, "fd00:1::/64")
    net.s.ports.create(net.alice, NewPort(network_id=network_id, device_id=SERVER_A,
                                          device_owner="compute:nova",
                                          fixed_ips=(FixedIp(subnet.id, "fd00:1::5"),)))
    found = net.s.metadata.by_network(network_id, "FD00:1:0:0::5")
    assert found is not None and found.server_id == SERVER_A


def test_through_a_router_its_subnets_only(net: Net) -> None:
    network_id, subnet_id, port_id = _guest(net, SERVER_A)
    other_net, _, _ = _guest(net, SERVER_B, address="10.0.0.6", ctx_is_bob=True)
    net.s.ports.create(net.admin, NewPort(
        network_id=network_id, device_id=ROUTER, device_owner="network:router_interface",
        project_id="p-a", fixed_ips=(FixedIp(subnet_id, "10.0.0.1"),)))
    found = net.s.metadata.by_router(ROUTER, "10.0.0.5")
    assert found is not None and (found.server_id, found.port_id) == (SERVER_A, port_id)
    # bob's guest at 10.0.0.6 sits on a subnet this router is not attached to.
    assert net.s.metadata.by_router(ROUTER, "10.0.0.6") is None
    assert net.s.metadata.by_network(other_net, "10.0.0.6") is not None
    # The router's own address is its port's, not a server's.
    assert net.s.metadata.by_router(ROUTER, "10.0.0.1") is None


def test_all_of_a_servers_ports_make_its_nics_in_order(net: Net) -> None:
    _, _, first = _guest(net, SERVER_A)
    second_net = net.network().network.id
    subnet = net.subnet(second_net, "10.1.0.0/24")
    second = net.s.ports.create(net.alice, NewPort(
        network_id=second_net, device_id=SERVER_A, device_owner="compute:nova",
        fixed_ips=(FixedIp(subnet.id, "10.1.0.9"),)))
    # Another project's port claiming the same server is not one of its NICs.
    bob_net, _, _ = _guest(net, SERVER_A, address="10.0.0.7", ctx_is_bob=True)
    found = net.s.metadata.by_network(second_net, "10.1.0.9")
    assert found is not None
    assert [n.port_id for n in found.nics] == [first, second.id]
    assert found.port_id == second.id
    # ... and asking through it names the server with bob's project: compute refuses it.
    bobs = net.s.metadata.by_network(bob_net, "10.0.0.7")
    assert bobs is not None and bobs.project_id == "p-b"


def test_public_ipv4_is_the_servers_floating_ip_and_goes_with_it(net: Net) -> None:
    ext, _ = external(net)
    router = net.s.routers.create(net.alice, NewRouter(gateway=GatewayInfo(ext)))
    network_id, subnet_id, port_id = _guest(net, SERVER_A)
    net.s.routers.add_interface(net.alice, router.id, subnet_id=subnet_id)
    # A second port of the same server, on another network behind the same router.
    other_net = net.network().network.id
    other_subnet = net.subnet(other_net, "10.1.0.0/24")
    net.s.routers.add_interface(net.alice, router.id, subnet_id=other_subnet.id)
    second = net.s.ports.create(net.alice, NewPort(
        network_id=other_net, device_id=SERVER_A, device_owner="compute:nova"))
    assert net.s.metadata.by_router(router.id, "10.0.0.5") is not None
    on_second = net.s.floatingips.create(net.alice, NewFloatingIp(
        floating_network_id=ext, port_id=second.id))
    found = net.s.metadata.by_network(network_id, "10.0.0.5")
    # The server's only floating IP, though on its other port (Nova's instance-wide value).
    assert found is not None and found.public_ipv4 == on_second.floating_ip_address
    own = net.s.floatingips.create(net.alice, NewFloatingIp(floating_network_id=ext,
                                                            port_id=port_id))
    by_router = net.s.metadata.by_router(router.id, "10.0.0.5")
    assert by_router is not None and by_router.public_ipv4 == own.floating_ip_address
    from_second = net.s.metadata.by_network(other_net, second.fixed_ips[0]["ip_address"])
    assert from_second is not None
    assert from_second.public_ipv4 == on_second.floating_ip_address
    # Disassociated, then deleted: none.
    net.s.floatingips.update(net.alice, own.id, {"port_id": None})
    net.s.floatingips.delete(net.alice, on_second.id)
    found = net.s.metadata.by_network(network_id, "10.0.0.5")
    assert found is not None and found.public_ipv4 is None
