"""os-interface on the host: the reconciler hot-plugs a NIC once its port is plugged
(ACTIVE), a stopped guest gets it in its record (its next start), a detached one is
unplugged, and a paused guest keeps a detached NIC until it runs again. Real SQLite and
the real network use cases; in-memory hypervisor and fabric."""

from __future__ import annotations

from nuage.domain.compute import VmState
from nuage.ports.hypervisor import PowerState
from nuage.services.compute.interfaces import InterfaceRequest
from tests.unit.compute.test_server_networks import World, member, world

__all__ = ["world"]


def _running(world: World, net_id: str) -> str:
    [sid] = world.create([{"uuid": net_id}])
    world.plug(sid)
    world.reconciler(world.fabric).run_once()
    assert world.compute.servers.get(member(), sid).vm_state == VmState.ACTIVE.value
    return sid


def test_a_port_attached_is_hot_plugged_once_active_and_unplugged_on_detach(
        world: World) -> None:
    first, second = world.net(), world.net(cidr="10.1.0.0/24", name="second")
    sid = _running(world, first)
    reconciler = world.reconciler(world.fabric)
    nic = world.compute.interfaces.attach(member(), sid, InterfaceRequest(network_id=second))
    assert nic.status == "DOWN"
    # Not plugged by the network agent yet: the guest waits.
    reconciler.run_once()
    assert len(world.hv.nics(sid)) == 1
    world.plug(sid)
    reconciler.run_once()
    macs = [n.mac for n in world.hv.nics(sid)]
    assert macs[1] == nic.mac and len(macs) == 2
    assert world.hv.specs[sid].nics[1].tap == world.fabric.tap_name(nic.port_id)
    # Again: nothing more to do.
    calls = len(world.hv.calls)
    reconciler.run_once()
    assert [c for c in world.hv.calls[calls:] if c[0].endswith("_nic")] == []
    world.compute.interfaces.detach(member(), sid, nic.port_id)
    reconciler.run_once()
    assert [n.mac for n in world.hv.nics(sid)] == macs[:1]
    assert ("detach_nic", nic.mac) in world.hv.calls


def test_a_stopped_guest_gets_the_nic_in_its_record_and_a_paused_one_waits(
        world: World) -> None:
    net_id = world.net()
    sid = _running(world, net_id)
    reconciler = world.reconciler(world.fabric)
    world.compute.server_actions.act(member(), sid, "stop")
    reconciler.run_once()
    assert world.hv.state(sid) == PowerState.SHUTDOWN
    nic = world.compute.interfaces.attach(member(), sid, InterfaceRequest(network_id=net_id))
    world.plug(sid)
    reconciler.run_once()
    assert [n.mac for n in world.hv.nics(sid)][-1] == nic.mac
    world.compute.server_actions.act(member(), sid, "start")
    reconciler.run_once()
    world.compute.server_actions.act(member(), sid, "pause")
    reconciler.run_once()
    assert world.hv.state(sid) == PowerState.PAUSED
    world.compute.interfaces.detach(member(), sid, nic.port_id)
    reconciler.run_once()
    # A paused guest cannot release a device: it keeps it until it runs.
    assert nic.mac in [n.mac for n in world.hv.nics(sid)]
    world.compute.server_actions.act(member(), sid, "unpause")
    reconciler.run_once()
    reconciler.run_once()
    assert nic.mac not in [n.mac for n in world.hv.nics(sid)]
