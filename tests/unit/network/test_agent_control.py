"""The control plane's side of the network agent's port: the desired state of a host built
from networks, subnets and ports; the DHCP ports it makes; the ports' statuses recorded
with compare-and-set; the agents woken after each change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from nuage.domain.network import Network, Port, Subnet, eui64_address
from nuage.domain.network_l3 import FloatingIp, Router
from nuage.ports.network_agent import FloatingIpReport, PortReport, RouterReport
from nuage.ports.network_fabric import (
    DhcpHost,
    FixedIp,
    FloatingIpSpec,
    HostRoute,
    RouterGateway,
    RouterInterface,
)
from nuage.services.network.agent_control import build_state
from nuage.services.network.floatingips import NewFloatingIp
from nuage.services.network.networks import NewNetwork
from nuage.services.network.routers import NewRouter
from nuage.services.network.subnets import NewSubnet
from tests.unit.network.agent_support import ADMIN, ALICE, HOST, Plane, make_plane

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def plane() -> Iterator[Plane]:
    yield from make_plane()


def _records() -> tuple[list[Network], list[Subnet], list[Port]]:
    net = Network(id="net-1", project_id="p", created_at=T0, updated_at=T0, mtu=1450,
                  segmentation_id=7)
    flat = Network(id="net-flat", project_id="p", created_at=T0, updated_at=T0,
                   network_type="flat", physical_network="physnet1", segmentation_id=None)
    other = Network(id="net-2", project_id="p", created_at=T0, updated_at=T0, segmentation_id=8)
    subnets = [
        Subnet(id="sub-1", project_id="p", network_id="net-1", ip_version=4,
               cidr="10.0.0.0/24", created_at=T0, updated_at=T0, gateway_ip="10.0.0.1",
               dns_nameservers=["192.0.2.53"],
               host_routes=[{"destination": "192.0.2.0/24", "nexthop": "10.0.0.254"}]),
        Subnet(id="sub-2", project_id="p", network_id="net-1", ip_version=4,
               cidr="10.9.0.0/24", created_at=T0, updated_at=T0, enable_dhcp=False),
    ]

    def port(pid: str, network: str, host: str, owner: str = "compute:nova",
             ips: tuple[tuple[str, str], ...] = (), **kw: object) -> Port:
        return Port(id=pid, project_id="p", network_id=network,
                    mac_address=f"fa:16:3e:00:00:{len(pid):02x}", created_at=T0,
                    updated_at=T0, device_owner=owner, binding_host_id=host,
                    fixed_ips=[{"subnet_id": s, "ip_address": a} for s, a in ips],
                    revision_number=3, **kw)  # type: ignore[arg-type]

    ports = [
        port("dhcp", "net-1", HOST, "network:dhcp", (("sub-1", "10.0.0.2"),)),
        port("vm-here", "net-1", HOST, ips=(("sub-1", "10.0.0.5"), ("sub-2", "10.9.0.5"))),
        port("vm-elsewhere1", "net-1", "node-2", ips=(("sub-1", "10.0.0.6"),)),
        port("router-leg", "net-1", HOST, "network:router_interface",
             (("sub-1", "10.0.0.1"),)),
        port("unbound", "net-2", ""),
        port("flat-vm", "net-flat", HOST),
    ]
    return [net, flat, other], subnets, ports


def test_the_dhcp_host_carries_every_segmented_network_and_only_its_own_ports() -> None:
    state = build_state(HOST, *_records(), serves_dhcp=True)
    desired = state.desired
    # The flat network (no segment) is a seam, as are routers; no port names a group.
    assert [n.network_id for n in desired.networks] == ["net-1", "net-2"]
    assert (desired.routers, desired.security_groups) == ((), ())
    # Only VM ports bound here are plugged: not the DHCP or router legs, not other hosts'
    # ports, not a port of a network this host does not carry.
    assert [p.port_id for p in desired.ports] == ["vm-here"]
    vm = desired.ports[0]
    assert vm.fixed_ips == (FixedIp("sub-1", "10.0.0.5"), FixedIp("sub-2", "10.9.0.5"))
    assert (vm.port_security, vm.security_groups, vm.guest_netns) == (True, (), None)
    net = desired.networks[0]
    assert (net.segment_id, net.mtu) == (7, 1450)
    assert net.dhcp is not None and net.dhcp.port_id == "dhcp"
    assert net.dhcp.fixed_ips == (FixedIp("sub-1", "10.0.0.2"),)
    # Static leases for every other port of the network (wherever bound), on DHCP subnets.
    assert set(net.dhcp_hosts) == {
        DhcpHost("fa:16:3e:00:00:07", "10.0.0.5", "host-10-0-0-5"),
        DhcpHost("fa:16:3e:00:00:0d", "10.0.0.6", "host-10-0-0-6"),
        DhcpHost("fa:16:3e:00:00:0a", "10.0.0.1", "host-10-0-0-1")}
    subnet = net.subnets[0]
    assert (subnet.gateway_ip, subnet.dns_nameservers) == ("10.0.0.1", ("192.0.2.53",))
    assert subnet.host_routes[0].nexthop == "10.0.0.254"
    assert net.subnets[1].enable_dhcp is False
    # The revisions the agent reports against: the ports it may report on.
    assert state.revisions == {"dhcp": 3, "vm-here": 3}


def test_another_host_carries_only_the_networks_of_its_ports_without_dhcp() -> None:
    state = build_state("node-2", *_records(), serves_dhcp=False)
    assert [n.network_id for n in state.desired.networks] == ["net-1"]
    assert state.desired.networks[0].dhcp is None
    assert [p.port_id for p in state.desired.ports] == ["vm-elsewhere1"]
    assert state.revisions == {"vm-elsewhere1": 3}


def test_a_record_the_fabric_refuses_leaves_the_other_objects(caplog: pytest.LogCaptureFixture
                                                             ) -> None:
    networks, subnets, ports = _records()
    bad = Port(id="bad id", project_id="p", network_id="net-2", mac_address="fa:16:3e:1:2:3",
               created_at=T0, updated_at=T0, binding_host_id=HOST)
    state = build_state(HOST, networks, subnets, [*ports, bad], serves_dhcp=True)
    assert [p.port_id for p in state.desired.ports] == ["vm-here"]
    assert "bad id" not in state.revisions
    assert "is not plugged" in caplog.text


def test_the_dhcp_host_gets_one_dhcp_port_per_network_addressed_on_each_dhcp_subnet(
        plane: Plane) -> None:
    plain = plane.network("10.0.0.0/24")
    plane.network(None)                                   # no subnet: no DHCP port
    quiet = plane.network("10.1.0.0/24", enable_dhcp=False)
    first = plane.control.desired(HOST)
    second = plane.control.desired(HOST)
    with plane.ports.uow() as uow:
        dhcp = uow.ports.find(device_owner="network:dhcp")
    assert [p.network_id for p in dhcp] == [plain]        # made once, not per pass
    port = dhcp[0]
    assert (port.binding_host_id, port.project_id) == (HOST, "p-a")
    assert [f["ip_address"] for f in port.fixed_ips] == ["10.0.0.2"]
    spec = next(n for n in second.desired.networks if n.network_id == plain)
    assert spec.dhcp is not None and spec.dhcp.port_id == port.id
    assert next(n for n in first.desired.networks if n.network_id == quiet).dhcp is None
    # A second DHCP subnet: the DHCP port gets an address there too, keeping its first.
    plane.subnet(plain, "10.2.0.0/24")
    again = plane.control.desired(HOST)
    readdressed = plane.get(port.id)
    assert [f["ip_address"] for f in readdressed.fixed_ips] == ["10.0.0.2", "10.2.0.2"]
    spec = next(n for n in again.desired.networks if n.network_id == plain)
    assert spec.dhcp is not None and len(spec.dhcp.fixed_ips) == 2
    # Another host never makes DHCP ports.
    assert plane.control.for_host("node-2").desired().desired.networks == ()


def test_a_dhcpv6_stateless_subnet_gets_the_dhcp_port_and_a_slaac_one_does_not(
        plane: Plane) -> None:
    """Stateless: the DHCP server answers information requests there, from its EUI-64
    address; SLAAC: nothing for it to do."""
    stateless = plane.network("fd00:1::/64", ipv6_ra_mode="dhcpv6-stateless",
                              ipv6_address_mode="dhcpv6-stateless")
    slaac = plane.network("fd00:2::/64", ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    state = plane.control.desired(HOST)
    with plane.ports.uow() as uow:
        (dhcp,) = uow.ports.find(device_owner="network:dhcp")
    assert dhcp.network_id == stateless
    (address,) = [f["ip_address"] for f in dhcp.fixed_ips]
    assert address == eui64_address("fd00:1::/64", dhcp.mac_address)
    spec = next(n for n in state.desired.networks if n.network_id == stateless)
    assert spec.dhcp is not None and spec.dhcp.port_id == dhcp.id
    assert next(n for n in state.desired.networks if n.network_id == slaac).dhcp is None


def test_statuses_are_written_only_for_the_revision_and_host_the_agent_acted_on(
        plane: Plane) -> None:
    network = plane.network()
    port = plane.port(network)
    control = plane.control.for_host(HOST)
    state = control.desired()
    revision = state.revisions[port.id]
    # Another host's agent cannot write it, nor can a report on an older revision.
    assert plane.control.for_host("node-2").record_ports(
        [PortReport(port.id, revision, "ACTIVE")]) == frozenset()
    assert control.record_ports([PortReport(port.id, revision - 1, "ACTIVE")]) == frozenset()
    assert control.record_ports([PortReport("no-such-port", 0, "ACTIVE")]) == frozenset()
    assert plane.get(port.id).status == "DOWN"
    assert control.record_ports([PortReport(port.id, revision, "ACTIVE")]) == {port.id}
    active = plane.get(port.id)
    assert (active.status, active.binding_vif_type) == ("ACTIVE", "tap")
    # The same report again writes nothing (a pass every 30 s is not a write every 30 s).
    assert control.record_ports([PortReport(port.id, revision, "ACTIVE")]) == frozenset()
    # An update meanwhile bumps the revision: the agent's report on the old one loses.
    plane.s.ports.update(ADMIN, port.id, {"name": "renamed"})
    assert control.record_ports([PortReport(port.id, revision, "DOWN")]) == frozenset()
    assert plane.get(port.id).status == "ACTIVE"
    # Moved to another host: DOWN and unbound until that host's agent plugs it.
    plane.s.ports.update(ADMIN, port.id, {"binding_host_id": "node-2"})
    moved = plane.get(port.id)
    assert (moved.status, moved.binding_vif_type) == ("DOWN", "unbound")


def test_every_change_wakes_the_agents_after_its_commit(plane: Plane) -> None:
    network = plane.network()
    assert [c[0] for c in plane.channel.changes] == [network, network]  # network, subnet
    plane.channel.changes.clear()
    port = plane.port(network)
    assert plane.channel.changes == [(network, ()), (network, (HOST,))]
    plane.channel.changes.clear()
    plane.s.ports.update(ADMIN, port.id, {"binding_host_id": "node-2"})
    plane.s.ports.delete(ADMIN, port.id)
    assert plane.channel.changes == [(network, (HOST, "node-2")), (network, ("node-2",))]
    plane.channel.changes.clear()
    plane.s.networks.delete(ADMIN, network)
    assert plane.channel.changes == [(network, ())]


def test_a_failed_wake_up_is_logged_not_raised(plane: Plane,
                                               caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def changed(self, network_id: str, hosts: object = ()) -> None:
            raise ConnectionError("bus down")

    plane.channel.then = Broken()
    network = plane.network(None)
    assert plane.s.networks.get(ADMIN, network).network.id == network
    assert "were not woken" in caplog.text


def test_plugged_ports_carry_their_security_groups_with_rules_and_members() -> None:
    from nuage.domain.network_security import SecurityGroup, SecurityGroupRule
    from nuage.ports.network_fabric import SecurityRule
    networks, subnets, ports = _records()
    for p in ports:
        if p.id in ("vm-here", "vm-elsewhere1"):
            p.security_groups = ["sg-web"]
    ports[1].allowed_address_pairs = [{"ip_address": "10.0.0.99"}]
    groups = [SecurityGroup(id=g, project_id="p", created_at=T0, updated_at=T0)
              for g in ("sg-web", "sg-admins", "sg-unused")]
    rules = [
        SecurityGroupRule(id="r1", project_id="p", security_group_id="sg-web",
                          created_at=T0, updated_at=T0, direction="ingress",
                          protocol="tcp", port_range_min=22, port_range_max=22,
                          remote_group_id="sg-admins"),
        SecurityGroupRule(id="r2", project_id="p", security_group_id="sg-web",
                          created_at=T0, updated_at=T0, direction="egress",
                          ethertype="IPv6"),
        SecurityGroupRule(id="r3", project_id="p", security_group_id="sg-unused",
                          created_at=T0, updated_at=T0, direction="ingress"),
    ]
    desired = build_state(HOST, networks, subnets, ports, True, groups, rules).desired
    assert [p.security_groups for p in desired.ports] == [("sg-web",)]
    # The port's groups and the groups their rules name as remote; not an unused one.
    by_id = {g.group_id: g for g in desired.security_groups}
    assert set(by_id) == {"sg-web", "sg-admins"}
    web = by_id["sg-web"]
    assert web.rules == (
        SecurityRule(direction="ingress", protocol="tcp", port_range_min=22,
                     port_range_max=22, remote_group_id="sg-admins"),
        SecurityRule(direction="egress", ethertype="IPv6"))
    # Members are every port in the group on any host, address pairs included.
    assert set(web.members) == {"10.0.0.5", "10.9.0.5", "10.0.0.99", "10.0.0.6"}
    assert by_id["sg-admins"].members == ()


# -- routers and floating IPs --------------------------------------------------------------

def _l3_records() -> tuple[list[Network], list[Subnet], list[Port], list[Router],
                           list[FloatingIp]]:
    networks, subnets, ports = _records()
    public = Network(id="public", project_id="admin", created_at=T0, updated_at=T0,
                     external=True, network_type="flat", physical_network="public")
    vlan_ext = Network(id="ext-vlan", project_id="admin", created_at=T0, updated_at=T0,
                       external=True, network_type="vlan", physical_network="dc",
                       segmentation_id=100)
    subnets = [*subnets,
               Subnet(id="pub-sub", project_id="admin", network_id="public", ip_version=4,
                      cidr="203.0.113.0/24", created_at=T0, updated_at=T0,
                      gateway_ip="203.0.113.1", enable_dhcp=False),
               Subnet(id="vlan-sub", project_id="admin", network_id="ext-vlan", ip_version=4,
                      cidr="198.51.100.0/24", created_at=T0, updated_at=T0,
                      gateway_ip="198.51.100.1", enable_dhcp=False),
               Subnet(id="v6-sub", project_id="p", network_id="net-1", ip_version=6,
                      cidr="fd00::/64", created_at=T0, updated_at=T0, gateway_ip="fd00::1",
                      ipv6_ra_mode="slaac", ipv6_address_mode="slaac")]

    def leg(pid: str, owner: str, device: str, network: str, ips: list[tuple[str, str]],
            project: str = "p") -> Port:
        return Port(id=pid, project_id=project, network_id=network,
                    mac_address="fa:16:3e:11:00:" + f"{len(ports) + 1:02x}", created_at=T0,
                    updated_at=T0, device_owner=owner, device_id=device,
                    fixed_ips=[{"subnet_id": s, "ip_address": a} for s, a in ips])

    ports = [p for p in ports if p.id != "router-leg"]
    ports += [
        leg("r1-leg", "network:router_interface", "r1", "net-1",
            [("sub-1", "10.0.0.1"), ("v6-sub", "fd00::1")]),
        leg("r1-gw", "network:router_gateway", "r1", "public", [("pub-sub", "203.0.113.10")],
            project=""),
        # The router service attached project q's router to p's subnet by subnet: the
        # port is the subnet's project's and holds its gateway address.
        leg("r2-leg", "network:router_interface", "r2", "net-2", [("sub-3", "10.2.0.1")]),
        # Another project's port naming r2 (an old row past the API's check): not a leg.
        leg("graft", "network:router_interface", "r2", "net-1", [("sub-1", "10.0.0.77")]),
        leg("r3-gw", "network:router_gateway", "r3", "ext-vlan",
            [("vlan-sub", "198.51.100.10")], project=""),
    ]
    subnets.append(Subnet(id="sub-3", project_id="p", network_id="net-2", ip_version=4,
                          cidr="10.2.0.0/24", created_at=T0, updated_at=T0,
                          gateway_ip="10.2.0.1"))
    routers = [
        Router(id="r1", project_id="p", created_at=T0, updated_at=T0, gw_network_id="public",
               gw_port_id="r1-gw", enable_snat=False,
               routes=[{"destination": "192.0.2.0/24", "nexthop": "10.0.0.254"}]),
        Router(id="r2", project_id="q", created_at=T0, updated_at=T0),
        Router(id="r3", project_id="p", created_at=T0, updated_at=T0, gw_network_id="ext-vlan",
               gw_port_id="r3-gw"),
        Router(id="r-down", project_id="p", created_at=T0, updated_at=T0,
               admin_state_up=False),
    ]
    fips = [
        FloatingIp(id="f1", project_id="p", floating_network_id="public",
                   floating_ip_address="203.0.113.20", floating_port_id="fp1", created_at=T0,
                   updated_at=T0, port_id="vm-here", fixed_ip_address="10.0.0.5",
                   router_id="r1", status="ACTIVE"),
        FloatingIp(id="f2", project_id="p", floating_network_id="public",
                   floating_ip_address="203.0.113.21", floating_port_id="fp2", created_at=T0,
                   updated_at=T0),
    ]
    return [*networks, public, vlan_ext], subnets, ports, routers, fips


def test_the_router_host_carries_each_router_with_legs_gateway_floating_ips_and_routes(
        caplog: pytest.LogCaptureFixture) -> None:
    networks, subnets, ports, routers, fips = _l3_records()
    desired = build_state(HOST, networks, subnets, ports, True, (), (), routers, fips).desired
    by_id = {r.router_id: r for r in desired.routers}
    assert set(by_id) == {"r1", "r2", "r3"}            # r-down is down: no namespace
    r1 = by_id["r1"]
    leg_mac = next(p.mac_address for p in ports if p.id == "r1-leg")
    assert r1.interfaces == (
        RouterInterface("r1-leg", "net-1", leg_mac, "10.0.0.1/24"),
        RouterInterface("r1-leg", "net-1", leg_mac, "fd00::1/64", ipv6_ra_mode="slaac"))
    gw_mac = next(p.mac_address for p in ports if p.id == "r1-gw")
    assert r1.gateway == RouterGateway("r1-gw", gw_mac, "203.0.113.10/24",
                                       gateway_ip="203.0.113.1", enable_snat=False)
    assert r1.floating_ips == (FloatingIpSpec("203.0.113.20", "10.0.0.5"),)
    assert r1.routes == (HostRoute("192.0.2.0/24", "10.0.0.254"),)
    # The router service's leg on p's subnet counts for q's router; the graft does not.
    assert [i.port_id for i in by_id["r2"].interfaces] == ["r2-leg"]
    assert "port graft of project p names router r2 of project q" in caplog.text
    # A gateway on an external network the external bridge does not stand for: none.
    assert by_id["r3"].gateway is None
    # The external network itself is no tenant network: the external bridge is it.
    assert "public" not in {n.network_id for n in desired.networks}


def test_only_the_router_host_carries_routers_and_only_legs_on_carried_networks() -> None:
    networks, subnets, ports, routers, fips = _l3_records()
    elsewhere = build_state("node-2", networks, subnets, ports, False, (), (), routers, fips)
    assert elsewhere.desired.routers == ()
    without_net2 = [n for n in networks if n.id != "net-2"]
    desired = build_state(HOST, without_net2, subnets, ports, True, (), (), routers,
                          fips).desired
    assert {r.router_id: r.interfaces for r in desired.routers}["r2"] == ()


def test_a_router_the_fabric_refuses_leaves_the_others(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    networks, subnets, ports, routers, fips = _l3_records()
    routers = [*routers, Router(id="bad router", project_id="p", created_at=T0,
                                updated_at=T0)]
    desired = build_state(HOST, networks, subnets, ports, True, (), (), routers, fips).desired
    assert {r.router_id for r in desired.routers} == {"r1", "r2", "r3"}
    assert "router bad router is not carried" in caplog.text


def test_router_and_floating_ip_statuses_are_written_by_the_router_host_on_its_revision(
        plane: Plane) -> None:
    router = plane.s.routers.create(ALICE, NewRouter(name="r"))
    fip_net = plane.s.networks.create(ADMIN, NewNetwork(name="public", external=True)).network
    plane.s.subnets.create(ADMIN, NewSubnet(network_id=fip_net.id, cidr="203.0.113.0/24",
                                            ip_version=4))
    fip = plane.s.floatingips.create(ALICE, NewFloatingIp(floating_network_id=fip_net.id))
    control = plane.control.for_host(HOST)
    state = control.desired()
    revision = state.router_revisions[router.id]
    (held,) = [f for f in state.floating_ips if f.floating_ip_id == fip.id]
    assert held.address == fip.floating_ip_address
    # Another host answers for no router: it is told none, and cannot write one.
    assert plane.control.for_host("node-2").desired().router_revisions == {}
    assert plane.control.for_host("node-2").record_routers(
        [RouterReport(router.id, revision, "DOWN")]) == frozenset()
    assert plane.control.for_host("node-2").record_floating_ips(
        [FloatingIpReport(fip.id, held.revision, "ACTIVE")]) == frozenset()
    # An older revision loses; the same status writes nothing.
    assert control.record_routers([RouterReport(router.id, revision - 1, "DOWN")]) == set()
    assert control.record_routers([RouterReport(router.id, revision, "ACTIVE")]) == set()
    assert control.record_routers([RouterReport(router.id, revision, "DOWN")]) == {router.id}
    assert plane.s.routers.get(ALICE, router.id).status == "DOWN"
    plane.s.routers.update(ALICE, router.id, {"name": "renamed"})
    assert control.record_routers([RouterReport(router.id, revision, "ACTIVE")]) == set()
    assert plane.s.routers.get(ALICE, router.id).status == "DOWN"
    assert control.record_floating_ips(
        [FloatingIpReport(fip.id, held.revision, "ACTIVE")]) == {fip.id}
    assert plane.s.floatingips.get(ALICE, fip.id).status == "ACTIVE"
    assert control.record_floating_ips(
        [FloatingIpReport("no-such-fip", 0, "ACTIVE")]) == frozenset()


@pytest.mark.parametrize("mode", ["dhcpv6-stateless", "dhcpv6-stateful"])
def test_a_dhcpv6_subnet_reaches_the_fabric_with_its_modes(mode: str) -> None:
    """The router leg advertises with the subnet's ra mode, and the network's subnet
    carries its address mode, so its DHCP server answers DHCPv6."""
    networks, subnets, ports, routers, fips = _l3_records()
    for s in subnets:
        if s.id == "v6-sub":
            s.ipv6_ra_mode = s.ipv6_address_mode = mode
    desired = build_state(HOST, networks, subnets, ports, True, (), (), routers, fips).desired
    (r1,) = [r for r in desired.routers if r.router_id == "r1"]
    assert [i.ipv6_ra_mode for i in r1.interfaces] == [None, mode]
    (net,) = [n for n in desired.networks if n.network_id == "net-1"]
    assert {s.subnet_id: s.ipv6_address_mode for s in net.subnets}["v6-sub"] == mode
