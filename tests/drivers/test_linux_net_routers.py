"""Routers on the Linux datapath: SNAT out of the external gateway, 1:1 NAT for floating
IPs, static routes, overlapping tenant ranges behind separate routers; a client namespace
on the external bridge stands for the outside world."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces
from nuage.ports.network_fabric import (
    FixedIp,
    FloatingIpSpec,
    HostRoute,
    NetworkSpec,
    PortSpec,
    RouterGateway,
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.netns import (
    configure,
    eventually_pings,
    external_client,
    linux_fabric,
    needs_root_net,
    pings,
    sh,
    stand_in,
    tcp_peer,
    tcp_server,
)

pytestmark = needs_root_net

GROUP = SecurityGroupSpec("icmp-ssh", rules=(
    SecurityRule(direction="egress"),
    SecurityRule(direction="ingress", protocol="icmp"),
    SecurityRule(direction="ingress", protocol="tcp", port_range_min=22, port_range_max=22)))
CLIENT = "203.0.113.1"


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path) as real:
        real.ensure_security_group(GROUP)
        yield real


def uid() -> str:
    return str(uuid.uuid4())


def project(fabric: LinuxNetworkFabric, segment: int, name: str, external_ip: str,
            mac_byte: int) -> tuple[RouterSpec, str]:
    """A network 10.0.0.0/24, a guest at 10.0.0.5 and a router with a gateway."""
    net = NetworkSpec(network_id=uid(), segment_id=segment,
                      subnets=(SubnetSpec(uid(), "10.0.0.0/24", gateway_ip="10.0.0.1"),))
    fabric.ensure_network(net)
    guest = stand_in(fabric, name)
    fabric.ensure_port(PortSpec(uid(), net.network_id, f"fa:16:3e:00:{mac_byte:02x}:05",
                                fixed_ips=(FixedIp(net.subnets[0].subnet_id, "10.0.0.5"),),
                                security_groups=(GROUP.group_id,), guest_netns=guest))
    configure(guest, "10.0.0.5/24", gateway="10.0.0.1")
    router = RouterSpec(
        router_id=uid(),
        interfaces=(RouterInterface(uid(), net.network_id, f"fa:16:3e:00:{mac_byte:02x}:01",
                                    "10.0.0.1/24"),),
        gateway=RouterGateway(uid(), f"fa:16:3e:01:{mac_byte:02x}:01", f"{external_ip}/24"))
    fabric.ensure_router(router)
    return router, guest


def test_snat_and_floating_ip(fabric: LinuxNetworkFabric) -> None:
    router, guest = project(fabric, 501, "a", "203.0.113.10", 0x50)
    client = external_client(fabric, "client", f"{CLIENT}/24")
    # SNAT: the guest reaches the outside, which sees the router's external address.
    assert eventually_pings(guest, CLIENT)
    with tcp_server(client, 8080):
        assert tcp_peer(guest, CLIENT, 8080) == "203.0.113.10"
    assert not pings(client, "10.0.0.5")

    with_fip = dataclasses.replace(router, floating_ips=(
        FloatingIpSpec("203.0.113.20", "10.0.0.5"),))
    fabric.ensure_router(with_fip)
    # The inventory reads the translation back from the router's NAT table.
    assert fabric.inventory().floating_ips == {"203.0.113.20"}
    assert eventually_pings(client, "203.0.113.20")
    with tcp_server(guest, 22):
        assert tcp_peer(client, "203.0.113.20", 22) == CLIENT
    with tcp_server(client, 8080):
        assert tcp_peer(guest, CLIENT, 8080) == "203.0.113.20"     # 1:1 both ways
    # Disassociated: gone from the outside, SNAT again.
    fabric.ensure_router(router)
    assert fabric.inventory().floating_ips == frozenset()
    sh(client, "ip", "neigh", "flush", "all")
    assert not pings(client, "203.0.113.20")
    with tcp_server(client, 8080):
        assert tcp_peer(guest, CLIENT, 8080) == "203.0.113.10"


def test_no_snat_without_the_flag(fabric: LinuxNetworkFabric) -> None:
    router, guest = project(fabric, 502, "a", "203.0.113.10", 0x51)
    external_client(fabric, "client", f"{CLIENT}/24")
    assert eventually_pings(guest, CLIENT)
    assert router.gateway is not None
    fabric.ensure_router(dataclasses.replace(
        router, gateway=dataclasses.replace(router.gateway, enable_snat=False)))
    # Unnatted, the client has no route back to 10.0.0.0/24: no answer.
    assert not pings(guest, CLIENT)


def test_overlapping_projects_behind_their_routers(fabric: LinuxNetworkFabric) -> None:
    r1, g1 = project(fabric, 503, "p1", "203.0.113.11", 0x53)
    r2, g2 = project(fabric, 504, "p2", "203.0.113.12", 0x54)
    fabric.ensure_router(dataclasses.replace(
        r1, floating_ips=(FloatingIpSpec("203.0.113.21", "10.0.0.5"),)))
    fabric.ensure_router(dataclasses.replace(
        r2, floating_ips=(FloatingIpSpec("203.0.113.22", "10.0.0.5"),)))
    client = external_client(fabric, "client", f"{CLIENT}/24")
    with tcp_server(g1, 22):
        assert tcp_peer(client, "203.0.113.21", 22) == CLIENT
        with tcp_server(g2, 22):
            assert tcp_peer(client, "203.0.113.22", 22) == CLIENT
    # From one project to the other only through the floating IP, as from outside.
    with tcp_server(g2, 22):
        assert tcp_peer(g1, "203.0.113.22", 22) == "203.0.113.21"


def test_static_routes_and_removal(fabric: LinuxNetworkFabric) -> None:
    router, _ = project(fabric, 505, "a", "203.0.113.10", 0x55)
    assert router.gateway is not None
    routed = dataclasses.replace(
        router, routes=(HostRoute("192.168.7.0/24", "10.0.0.254"),),
        gateway=dataclasses.replace(router.gateway, gateway_ip="203.0.113.1"))
    fabric.ensure_router(routed)
    ns = fabric.names.router_ns(router.router_id)
    routes = sh(ns, "ip", "route").stdout
    assert "192.168.7.0/24 via 10.0.0.254" in routes
    assert "default via 203.0.113.1" in routes
    fabric.ensure_router(router)
    assert "192.168.7.0/24" not in sh(ns, "ip", "route").stdout
    fabric.remove_router(router.router_id)
    assert ns not in namespaces()
    links = sh(fabric.guest_netns(), "ip", "-o", "link").stdout
    assert " ri" not in links and " rg" not in links
    assert fabric.inventory().routers == set()


def test_hairpin_to_a_floating_ip_behind_the_same_router(fabric: LinuxNetworkFabric) -> None:
    router, a = project(fabric, 506, "a", "203.0.113.10", 0x56)
    network_id = router.interfaces[0].network_id
    b = stand_in(fabric, "b")
    fabric.ensure_port(PortSpec(uid(), network_id, "fa:16:3e:00:56:06",
                                fixed_ips=(FixedIp("s", "10.0.0.6"),),
                                security_groups=(GROUP.group_id,), guest_netns=b))
    configure(b, "10.0.0.6/24", gateway="10.0.0.1")
    fabric.ensure_router(dataclasses.replace(router, floating_ips=(
        FloatingIpSpec("203.0.113.20", "10.0.0.5"),)))
    with tcp_server(a, 22):
        # b has no floating IP: it is seen as the router's external address.
        assert tcp_peer(b, "203.0.113.20", 22) == "203.0.113.10"
    fabric.ensure_router(dataclasses.replace(router, floating_ips=(
        FloatingIpSpec("203.0.113.20", "10.0.0.5"), FloatingIpSpec("203.0.113.21",
                                                                   "10.0.0.6"))))
    with tcp_server(a, 22):
        assert tcp_peer(b, "203.0.113.20", 22) == "203.0.113.21"
    with tcp_server(b, 22):
        assert tcp_peer(a, "203.0.113.21", 22) == "203.0.113.20"


def test_a_dual_stack_leg_is_one_device_with_both_addresses(fabric: LinuxNetworkFabric
                                                             ) -> None:
    """The control plane gives one RouterInterface per fixed IP of an interface port: a
    port on a dual-stack network is one leg holding both addresses."""
    net = NetworkSpec(network_id=uid(), segment_id=31, subnets=(
        SubnetSpec(uid(), "10.0.0.0/24", gateway_ip="10.0.0.1"),
        SubnetSpec(uid(), "fd00:31::/64", gateway_ip="fd00:31::1")))
    fabric.ensure_network(net)
    port_id, mac = uid(), "fa:16:3e:00:31:01"
    router = RouterSpec(router_id=uid(), interfaces=(
        RouterInterface(port_id, net.network_id, mac, "10.0.0.1/24"),
        RouterInterface(port_id, net.network_id, mac, "fd00:31::1/64")))
    fabric.ensure_router(router)
    shown = sh(fabric.names.router_ns(router.router_id), "ip", "-o", "addr", "show",
               "dev", fabric.names.router_iface(port_id)).stdout
    assert "inet 10.0.0.1/24" in shown and "inet6 fd00:31::1/64" in shown
    # The v6 address goes: the leg keeps the other one.
    fabric.ensure_router(dataclasses.replace(router, interfaces=router.interfaces[:1]))
    shown = sh(fabric.names.router_ns(router.router_id), "ip", "-o", "addr", "show",
               "dev", fabric.names.router_iface(port_id)).stdout
    assert "inet 10.0.0.1/24" in shown and "fd00:31::1" not in shown
