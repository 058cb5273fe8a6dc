"""The ServerNetworks port as the network service answers it (compute_binding.py), in a
unit of work of the caller's: what "auto" picks, what a NIC description holds, what
release deletes and what it only unbinds, and the audit trail of both."""

from __future__ import annotations

from typing import Any

import pytest

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, NotFound, ValidationError
from nuage.ports.compute_network import DEVICE_OWNER, NetworkRequest
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from nuage.services.network.security_groups import NewSecurityGroup
from tests.unit.network.conftest import Net


def _network(net: Net, ctx: RequestContext | None = None, **kw: Any) -> str:
    made = net.s.networks.create(ctx or net.alice, NewNetwork(**kw)).network
    net.subnet(made.id, "10.1.0.0/24", ctx=ctx or net.alice, dns_nameservers=["192.0.2.53"])
    return made.id


def test_auto_takes_the_one_own_or_shared_network_and_refuses_several(net: Net) -> None:
    binding = net.s.compute_binding
    shared = _network(net, ctx=net.admin, name="public-ish", shared=True)
    _network(net, ctx=net.admin, name="outside", external=True)
    with net.uow() as uow:
        # Alice has none of her own: the one shared network (the external one is not a
        # network servers plug into).
        assert binding.auto(uow, net.alice) == (NetworkRequest(network_id=shared),)
    # A cloud administrator sees every network: still only its own project's or shared.
    _network(net, ctx=net.bob, name="bobs")
    with net.uow() as uow:
        assert binding.auto(uow, net.admin) == (NetworkRequest(network_id=shared),)
    # Her own and the shared one: Nova counts both, and several is NetworkAmbiguous.
    _network(net, name="mine")
    with net.uow() as uow, pytest.raises(Conflict) as refused:
        binding.auto(uow, net.alice)
    assert refused.value.fault == ComputeFault.SERVER_NETWORK_AMBIGUOUS
    # Bob has his own and the shared one too.
    with net.uow() as uow, pytest.raises(Conflict):
        binding.auto(uow, net.bob)


def test_auto_with_no_network_and_none_to_build_is_nothing(net: Net) -> None:
    with net.uow() as uow:
        assert net.s.compute_binding.auto(uow, net.alice) == ()


def test_allocate_describe_release(net: Net) -> None:
    binding = net.s.compute_binding
    net_id = _network(net, name="private", mtu=1400)
    passed = net.s.ports.create(net.alice, NewPort(network_id=net_id, name="kept"))
    with net.uow(write=True) as uow:
        nics = binding.allocate(uow, net.alice, "srv-1", "p-a", "host-a", (
            NetworkRequest(port_id=passed.id), NetworkRequest(network_id=net_id)))
        uow.commit()
    assert [n.port_id for n in nics] == [passed.id, nics[1].port_id]
    with net.uow() as uow:
        described = binding.describe(uow, ["srv-1", "srv-unknown"])
    assert list(described) == ["srv-1"]
    assert described["srv-1"] == nics
    nic = nics[1]
    assert (nic.network_name, nic.mtu, nic.status) == ("private", 1400, "DOWN")
    [address] = nic.addresses
    assert (address.version, address.cidr, address.gateway, address.dns_nameservers) == (
        4, "10.1.0.0/24", "10.1.0.1", ("192.0.2.53",))
    with net.uow() as uow:
        made = uow.ports.get(nic.port_id)
        assert made is not None
        assert (made.device_owner, made.device_id, made.binding_host_id, made.project_id) == (
            DEVICE_OWNER, "srv-1", "host-a", "p-a")
    with net.uow(write=True) as uow:
        assert binding.release(uow, "srv-1") == ["host-a"]
        uow.commit()
    with net.uow() as uow:
        assert uow.ports.get(nic.port_id) is None
        assert uow.ip_allocations.find(port_id=nic.port_id) == []
        kept = uow.ports.get(passed.id)
        assert kept is not None
        assert (kept.device_id, kept.device_owner, kept.binding_host_id,
                kept.binding_profile) == ("", "", "", {})
        assert kept.fixed_ips == passed.fixed_ips          # its address stays its own
        assert binding.describe(uow, ["srv-1"]) == {}
    created = [e for e in net.events("network.port.create") if e.target_id == nic.port_id]
    assert created and created[0].actor_user_id == net.alice.user_id
    assert [e.target_id for e in net.events("network.port.delete")] == [nic.port_id]


def test_another_projects_port_is_unknown(net: Net) -> None:
    theirs = net.s.ports.create(net.bob, NewPort(network_id=_network(net, ctx=net.bob)))
    with net.uow() as uow, pytest.raises(ValidationError) as exc:
        net.s.compute_binding.check(uow, net.alice, (NetworkRequest(port_id=theirs.id),), 1)
    assert exc.value.fault is ComputeFault.SERVER_PORT_NOT_FOUND


def test_wake_reaches_each_host_once_and_survives_a_failure(net: Net) -> None:
    binding = net.s.compute_binding
    binding.wake(["h1"])                                  # nobody listening: nothing
    woken: list[str] = []

    def notify(host: str) -> None:
        woken.append(host)
        if host == "h1":
            raise RuntimeError("bus down")

    binding.notify = notify
    binding.wake(["h2", "h1", "h2"])
    assert woken == ["h1", "h2"]


def test_groups_by_name_or_id_and_on_and_off_a_servers_ports(net: Net) -> None:
    binding = net.s.compute_binding
    net_id = _network(net, name="private")
    web = net.s.security_groups.create(net.alice, NewSecurityGroup(name="web")).group
    # A group named as another group's id: the name wins, as in Nova's lookup.
    decoy = net.s.security_groups.create(net.alice, NewSecurityGroup(name=web.id)).group
    theirs = net.s.security_groups.create(net.bob, NewSecurityGroup(name="theirs")).group
    with net.uow(write=True) as uow:
        assert binding.find_groups(uow, net.alice, ("web", web.id, "web")) == (
            web.id, decoy.id)
        for unknown in ("theirs", theirs.id, "nope"):
            with pytest.raises(ValidationError) as err:
                binding.find_groups(uow, net.alice, (unknown,))
            assert err.value.fault == ComputeFault.SERVER_SECURITY_GROUP_NOT_FOUND
        binding.allocate(uow, net.alice, "srv-1", "p-a", "host-a",
                         (NetworkRequest(network_id=net_id),), (web.id,))
        uow.commit()
    with net.uow(write=True) as uow:
        assert binding.add_group(uow, net.alice, "srv-1", "default") == ["host-a"]
        uow.commit()
    with net.uow() as uow:
        [groups] = binding.groups(uow, net.alice, ["srv-1", "srv-none"]).values()
        # Bob sees neither of Alice's groups.
        assert binding.groups(uow, net.bob, ["srv-1"]) == {}
    assert [g.name for g in groups] == ["web", "default"]
    with net.uow(write=True) as uow:
        binding.remove_group(uow, net.alice, "srv-1", "web")
        with pytest.raises(NotFound) as missing:
            binding.remove_group(uow, net.alice, "srv-1", "web")
        assert missing.value.fault == ComputeFault.SERVER_GROUP_NOT_ON_SERVER
        with pytest.raises(NotFound) as none:
            binding.add_group(uow, net.alice, "srv-2", "web")
        assert none.value.fault == ComputeFault.SERVER_WITHOUT_PORTS
        quotas = binding.quotas(uow, "p-a")
    assert set(quotas) == {"floating_ips", "networks", "security_groups",
                           "security_group_rules"}
    assert quotas["networks"] == (100, 1) and quotas["security_groups"] == (10, 3)
