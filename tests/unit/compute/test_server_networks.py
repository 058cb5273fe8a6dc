"""A server's NICs: ports allocated at create (in the server's transaction), refusals in
Nova's terms, the reconciler waiting for them to be plugged (ACTIVE) before it starts
the guest in the fabric's namespace, network_data on the config drive, and the ports
released when the guest is gone. Real SQLite, the real network use cases; in-memory
hypervisor and fabric."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nuage.domain.compute import ComputeHost, Flavor
from nuage.domain.compute_errors import ComputeFault, OverLimit
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, ValidationError
from nuage.drivers.clock import SystemClock
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports.compute_network import DEVICE_OWNER
from nuage.ports.hypervisor import Nic
from nuage.ports.repositories import AuditQuery
from nuage.services.audit import Auditor
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.base import ComputeConfig, ResourcePorts
from nuage.services.compute.build import ComputeServices, build_compute
from nuage.services.compute.reconcile import Reconciler
from nuage.services.compute.servers import NewServer, ServerQuery
from nuage.services.network.base import NetworkConfig, NetworkPorts, QuotaDefaults
from nuage.services.network.build import NetworkServices, build_network
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from nuage.services.network.security_groups import NewSecurityGroup
from nuage.services.network.subnets import NewSubnet
from tests.unit.compute.fakes import AcceptingInspector, MemoryHypervisor, MemoryImages
from tests.unit.compute.test_servers import Channel
from tests.unit.compute.wire import WireAssignments
from tests.unit.network.fake_fabric import MemoryNetworkFabric


def member(project: str = "p1") -> RequestContext:
    return RequestContext(request_id="req-1", user_id=f"u-{project}", project_id=project,
                          roles=frozenset({"member", "reader"}))


@dataclass
class World:
    compute: ComputeServices
    network: NetworkServices
    uow: SqlUnitOfWorkFactory
    hv: MemoryHypervisor
    fabric: MemoryNetworkFabric
    woken: list[str]
    tmp: Path
    images: MemoryImages

    def reconciler(self, fabric: MemoryNetworkFabric | None = None,
                   nic_deadline: float = 60.0) -> Reconciler:
        control = WireAssignments(AgentControlService(
            self.uow, SystemClock(), self.compute.hosts,
            self.compute.ports.networks).for_host("host1"))
        return Reconciler(control, self.images, self.hv, self.tmp / "cache",
                          inspector=AcceptingInspector(), fabric=fabric,
                          nic_deadline=nic_deadline)

    def net(self, ctx: RequestContext | None = None, cidr: str = "10.0.0.0/24",
            name: str = "private", **subnet: Any) -> str:
        made = self.network.networks.create(ctx or member(), NewNetwork(name=name)).network
        self.network.subnets.create(ctx or member(), NewSubnet(
            network_id=made.id, cidr=cidr, ip_version=4, **subnet))
        return made.id

    def create(self, networks: Any, ctx: RequestContext | None = None, count: int = 1
               ) -> list[str]:
        made = self.compute.servers.create_many(ctx or member(), NewServer(
            "vm", "img-1", "1", networks=networks), count, count)
        return [s.id for s in made]

    def ports(self, **filters: Any) -> list[Any]:
        with self.uow() as uow:
            return list(uow.ports.find(**filters))

    def plug(self, server_id: str) -> None:
        """What the host's network agent records once ensure_port succeeded."""
        with self.uow(write=True) as uow:
            for port in uow.ports.find(device_id=server_id):
                port.status, port.binding_vif_type = "ACTIVE", "tap"
            uow.commit()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    network = build_network(NetworkPorts(uow=uow, clock=clock, auditor=Auditor(clock),
                                         config=NetworkConfig(quotas=QuotaDefaults(port=4))))
    woken: list[str] = []
    network.compute_binding.notify = woken.append
    images = MemoryImages()
    compute = build_compute(ResourcePorts(uow, clock, Auditor(clock), ComputeConfig()),
                            images=images, agents=Channel(),
                            networks=network.compute_binding)
    with uow(write=True) as u:
        u.flavors.add(Flavor("1", "m1.tiny", 1, 256, 1, extra_specs={}))
        u.compute_hosts.add(ComputeHost("host1", 4, 8192, 100, "tcg",
                                        last_seen=datetime.now(UTC)))
        u.commit()
    yield World(compute, network, uow, MemoryHypervisor(), MemoryNetworkFabric("t"), woken,
                tmp_path, images)
    engine.dispose()


def test_a_port_is_made_bound_and_plugged_before_the_guest_starts(world: World) -> None:
    net_id = world.net(dns_nameservers=["192.0.2.53"],
                       host_routes=[{"destination": "198.51.100.0/24",
                                     "nexthop": "10.0.0.254"}])
    [sid] = world.create([{"uuid": net_id}])
    [port] = world.ports(device_id=sid)
    assert (port.device_owner, port.binding_host_id, port.network_id) == (
        DEVICE_OWNER, "host1", net_id)
    assert port.fixed_ips[0]["ip_address"] == "10.0.0.2"
    # Like any port made without groups: the project's default security group.
    [group] = port.security_groups
    assert world.network.security_groups.get(member(), group).group.name == "default"
    assert world.woken == ["host1"]                 # the host's network agent is woken
    reconciler = world.reconciler(world.fabric)
    # Not plugged yet: the task stays, no guest.
    reconciler.run_once()
    assert world.compute.servers.get(member(), sid).task_state == "spawning"
    assert sid not in world.hv.specs
    world.plug(sid)
    reconciler.run_once()
    assert world.compute.servers.get(member(), sid).status == "ACTIVE"
    spec = world.hv.specs[sid]
    assert spec.nics == (Nic(mac=port.mac_address, tap=world.fabric.tap_name(port.id)),)
    assert spec.netns == world.fabric.guest_netns()
    data = spec.config_drive.network_data
    assert data["links"] == [{"id": f"tap{port.id[:11]}", "vif_id": port.id, "type": "tap",
                              "ethernet_mac_address": port.mac_address, "mtu": 1450}]
    # A DHCP subnet: the guest asks dnsmasq (its static lease, and the route to the
    # metadata service), as Nova writes it; the metadata service says the same.
    [network] = data["networks"]
    assert (network["type"], network["link"]) == ("ipv4_dhcp", f"tap{port.id[:11]}")
    assert data["services"] == [{"type": "dns", "address": "192.0.2.53"}]
    # The views' addresses.
    [nic] = world.compute.servers.nics([world.compute.servers.get(member(), sid)])[sid]
    assert (nic.network_name, nic.mac, nic.addresses[0].address) == (
        "private", port.mac_address, "10.0.0.2")


def test_delete_removes_created_ports_and_unbinds_passed_ones(world: World) -> None:
    net_id = world.net()
    passed = world.network.ports.create(member(), NewPort(network_id=net_id, name="mine"))
    [sid] = world.create([{"uuid": net_id}, {"port": passed.id}])
    created = [p for p in world.ports(device_id=sid) if p.id != passed.id]
    assert len(created) == 1
    reconciler = world.reconciler(world.fabric)
    world.plug(sid)
    reconciler.run_once()
    assert [n.mac for n in world.hv.specs[sid].nics] == [created[0].mac_address,
                                                          passed.mac_address]
    world.woken.clear()
    world.compute.servers.delete(member(), sid)
    # The guest first: the ports stay until the agent destroyed it.
    assert len(world.ports(device_id=sid)) == 2
    reconciler.run_once()
    assert world.ports(device_id=sid) == []
    assert [p.id for p in world.ports()] == [passed.id]
    [kept] = world.ports()
    assert (kept.device_id, kept.device_owner, kept.binding_host_id, kept.status) == (
        "", "", "", "DOWN")
    with world.uow() as uow:
        assert uow.ip_allocations.find(port_id=created[0].id) == []
    assert world.woken == ["host1"]                 # to unplug them


@pytest.mark.parametrize(("networks", "error", "fault"), [
    ([{"uuid": "5f1c2a9e-0000-4000-8000-000000000000"}], ValidationError,
     ComputeFault.SERVER_NETWORK_NOT_FOUND),
    ([{"port": "5f1c2a9e-0000-4000-8000-000000000000"}], ValidationError,
     ComputeFault.SERVER_PORT_NOT_FOUND),
    ([{"uuid": "NET", "fixed_ip": "10.0.0.1"}], ValidationError,
     ComputeFault.SERVER_FIXED_IP_IN_USE),              # the gateway
    ([{"uuid": "NET", "fixed_ip": "192.0.2.9"}], ValidationError,
     ComputeFault.SERVER_FIXED_IP_INVALID),
    ([{"uuid": "BARE"}], ValidationError, ComputeFault.SERVER_NETWORK_REQUIRES_SUBNET),
    ([{"uuid": "OTHER"}], ValidationError, ComputeFault.SERVER_NETWORK_NOT_FOUND),
    ([{"port": "USED"}], Conflict, ComputeFault.SERVER_PORT_IN_USE),
    ([{"port": "FREE"}, {"port": "FREE"}], Conflict, ComputeFault.SERVER_PORT_IN_USE),
    ([{"fixed_ip": "10.0.0.9"}], ValidationError, ComputeFault.SERVER_FIELD_INVALID),
    ([{"uuid": "NET", "fixed_ip": "nope"}], ValidationError,
     ComputeFault.SERVER_FIELD_INVALID),
])
def test_refusals_store_nothing(world: World, networks: list[dict[str, str]],
                                error: type[Exception], fault: ComputeFault) -> None:
    ids = {"NET": world.net(), "OTHER": world.net(member("p2"), name="theirs"),
           "BARE": world.network.networks.create(member(), NewNetwork(name="bare")).network.id}
    free = world.network.ports.create(member(), NewPort(network_id=ids["NET"]))
    used = world.network.ports.create(member(), NewPort(network_id=ids["NET"],
                                                        device_id="x", device_owner="y"))
    ids |= {"FREE": free.id, "USED": used.id}
    asked = [{k: ids.get(v, v) for k, v in entry.items()} for entry in networks]
    before = {p.id for p in world.ports()}
    with pytest.raises(error) as exc:
        world.create(asked)
    assert exc.value.fault is fault       # type: ignore[attr-defined]
    assert world.compute.servers.find(member(), ServerQuery()) == []
    assert {p.id for p in world.ports()} == before
    assert world.ports(device_id="x")[0].id == used.id


def test_a_port_or_an_address_cannot_serve_several_servers(world: World) -> None:
    net_id = world.net()
    port = world.network.ports.create(member(), NewPort(network_id=net_id))
    with pytest.raises(ValidationError) as by_port:
        world.create([{"port": port.id}], count=2)
    assert by_port.value.fault is ComputeFault.SERVER_PORT_WITH_COUNT
    with pytest.raises(ValidationError) as by_ip:
        world.create([{"uuid": net_id, "fixed_ip": "10.0.0.9"}], count=2)
    assert by_ip.value.fault is ComputeFault.SERVER_FIXED_IP_WITH_COUNT


def test_the_quota_counts_the_ports_of_the_request_so_far(world: World) -> None:
    # Three servers with two NICs each against a quota of 4 ports: the first two
    # servers' ports are written, the third's are refused, and all of it is undone.
    net_id = world.net()
    with pytest.raises(OverLimit) as exc:
        world.compute.servers.create_many(member(), NewServer(
            "vm", "img-1", "1", networks=[{"uuid": net_id}, {"uuid": net_id}]), 3, 3)
    assert exc.value.fault is ComputeFault.SERVER_PORT_LIMIT_EXCEEDED
    assert world.ports() == []
    assert world.compute.servers.find(member(), ServerQuery()) == []


def test_no_more_addresses_is_refused_and_rolled_back(world: World) -> None:
    net_id = world.net(cidr="10.0.0.0/30")            # one address: 10.0.0.2
    with pytest.raises(ValidationError) as exc:
        world.create([{"uuid": net_id}], count=2)
    assert exc.value.fault is ComputeFault.SERVER_NO_MORE_FIXED_IPS
    assert world.ports() == []
    assert world.compute.servers.find(member(), ServerQuery()) == []
    # One fits.
    world.create([{"uuid": net_id}])
    assert len(world.ports()) == 1


def test_the_port_quota_is_a_403(world: World) -> None:
    net_id = world.net()
    with pytest.raises(OverLimit) as exc:
        world.create([{"uuid": net_id}] * 5)
    assert exc.value.fault is ComputeFault.SERVER_PORT_LIMIT_EXCEEDED
    assert world.ports() == []


def test_auto_uses_the_one_network_else_none(world: World) -> None:
    [none] = world.create("none")
    assert world.ports(device_id=none) == []
    # No network at all, and a cloud without a default external network (no
    # auto-allocation): no NIC.
    [alone] = world.create("auto")
    assert world.ports(device_id=alone) == []
    net_id = world.net()
    [one] = world.create("auto")
    [omitted] = world.create(None)
    assert [p.network_id for p in world.ports(device_id=one)] == [net_id]
    assert [p.network_id for p in world.ports(device_id=omitted)] == [net_id]
    world.net(name="second")
    # Several: Nova's NetworkAmbiguous (409), nothing stored.
    for asked in ("auto", None):
        with pytest.raises(Conflict) as ambiguous:
            world.create(asked)
        assert ambiguous.value.fault == ComputeFault.SERVER_NETWORK_AMBIGUOUS


def test_no_datapath_fails_the_build_with_a_clear_fault(world: World) -> None:
    [sid] = world.create([{"uuid": world.net()}])
    world.reconciler(fabric=None).run_once()
    server = world.compute.servers.get(member(), sid)
    assert server.status == "ERROR"
    assert server.fault is not None and "NUAGE_NETWORK_DATAPATH" in server.fault["message"]
    assert sid not in world.hv.specs


def test_ports_never_plugged_fail_the_build_after_the_deadline(world: World) -> None:
    [sid] = world.create([{"uuid": world.net()}])
    reconciler = world.reconciler(world.fabric, nic_deadline=0.2)
    reconciler.run_once()
    assert world.compute.servers.get(member(), sid).status == "BUILD"
    time.sleep(0.3)
    reconciler.run_once()
    server = world.compute.servers.get(member(), sid)
    assert server.status == "ERROR"
    assert server.fault is not None and "not plugged" in server.fault["message"]
    # Deleting it releases its port (the guest never existed).
    world.compute.servers.delete(member(), sid)
    reconciler.run_once()
    assert world.ports() == []


def test_a_server_without_nics_boots_as_before(world: World) -> None:
    [sid] = world.create("none")
    world.reconciler(world.fabric).run_once()
    spec = world.hv.specs[sid]
    assert (spec.nics, spec.netns) == ((), None)
    assert spec.config_drive.network_data == {"links": [], "networks": [], "services": []}


def test_security_groups_of_a_create_and_the_group_actions(world: World) -> None:
    net_id = world.net()
    web = world.network.security_groups.create(member(), NewSecurityGroup(name="web")).group
    [sid] = [s.id for s in world.compute.servers.create_many(member(), NewServer(
        "vm", "img-1", "1", networks=[{"uuid": net_id}], security_groups=("web",)), 1, 1)]
    [port] = world.ports(device_id=sid)
    assert port.security_groups == [web.id]
    [shown] = world.compute.servers.security_groups(member(), [
        world.compute.servers.get(member(), sid)]).values()
    assert [g.name for g in shown] == ["web"]
    # addSecurityGroup: on the port, and the host's network agent is woken to apply it.
    world.woken.clear()
    world.compute.servers.add_security_group(member(), sid, "default")
    assert world.woken == ["host1"]
    [port] = world.ports(device_id=sid)
    assert len(port.security_groups) == 2
    world.compute.servers.remove_security_group(member(), sid, web.id)
    [port] = world.ports(device_id=sid)
    assert [g.name for g in world.compute.servers.server_security_groups(member(), sid)
            ] == ["default"]
    with world.uow() as uow:
        changes = [e for e in uow.audit.query(AuditQuery(action="network.port.update", limit=100))
                   if e.target_id == port.id]
    assert len(changes) == 2
    # A reader (no member role) may list the groups but not change them.
    reader = RequestContext(request_id="r", user_id="u-r", project_id="p1",
                            roles=frozenset({"reader"}))
    assert len(world.compute.servers.server_security_groups(reader, sid)) == 1
    with pytest.raises(Forbidden):
        world.compute.servers.add_security_group(reader, sid, "web")
    # An unknown group at create stores nothing.
    with pytest.raises(ValidationError) as err:
        world.compute.servers.create_many(member(), NewServer(
            "vm", "img-1", "1", networks=[{"uuid": net_id}], security_groups=("nope",)),
            1, 1)
    assert err.value.fault == ComputeFault.SERVER_SECURITY_GROUP_NOT_FOUND
    assert len(world.compute.servers.find(member(), ServerQuery())) == 1


def test_quotas_show_the_network_services_limits_and_usage(world: World) -> None:
    world.network.security_groups.create(member(), NewSecurityGroup(name="web"))
    shown = world.compute.quotas.detail(member(), "p1")
    # The project's default group was made with its first group: two groups.
    assert shown["security_groups"] == {"limit": 10, "in_use": 2, "reserved": 0}
    assert shown["floating_ips"]["limit"] == 50
    absolute = world.compute.quotas.absolute_limits(member())
    assert (absolute["maxSecurityGroups"], absolute["totalSecurityGroupsUsed"]) == (10, 2)
