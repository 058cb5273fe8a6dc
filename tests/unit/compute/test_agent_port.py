"""The compute agent's port (ports/compute_agent.py) and its control-plane side
(AgentControlService), on real SQLite: what an agent may read and write, and who wakes it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from nuage.domain.compute import ComputeHost, TaskState, VmState
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.errors import Conflict, NotFound
from nuage.drivers.clock import SystemClock
from nuage.ports import compute_agent as port
from nuage.ports.compute_agent import AllocationRatios
from nuage.ports.hypervisor import HostCapabilities, PowerState
from nuage.services.audit import Auditor
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.base import ComputeConfig, ResourcePorts
from nuage.services.compute.hosts import HostService
from nuage.services.compute.server_actions import ServerActionService
from nuage.services.compute.servers import NewServer, ServerService
from tests.unit.compute.test_servers import World, boot, member
from tests.unit.compute.test_servers import world as world  # the fixture
from tests.unit.compute.wire import (
    OUTCOMES,
    WireAssignments,
    decode_assignment,
    decode_outcome,
    encode_outcome,
)


def _control(w: World) -> AgentControlService:
    clock = SystemClock()
    hosts = HostService(ResourcePorts(w.uow, clock, Auditor(clock), ComputeConfig()))
    return AgentControlService(w.uow, clock, hosts)


def _create(w: World) -> str:
    return w.servers.create(member(), NewServer("vm", "img-1", "1")).id


def test_assignments_are_plain_copies_of_this_hosts_servers(world: World) -> None:
    sid = _create(world)
    found = _control(world).for_host("host1").servers()
    assert [a.id for a in found] == [sid]
    a = found[0]
    assert isinstance(a, port.ServerAssignment)
    assert (a.task_state, a.vm_state, a.vcpus, a.memory_mb) == ("spawning", "building", 1, 256)
    # Plain data: it goes through JSON unchanged (a bus can carry it; its NICs are
    # nested dataclasses, rebuilt by the wire's decoder).
    assert decode_assignment(json.loads(json.dumps(dataclasses.asdict(a)))) == a


def test_every_outcome_survives_the_wire() -> None:
    fault = port.Fault("m", "d")
    outcomes: list[port.Outcome] = [
        port.Spawned(), port.Rebuilt(running=False), port.Settled("stopped", 4),
        port.Destroyed(), port.SnapshotEnded(), port.Failed(fault, 1),
        port.DeleteFailed(fault), port.Observed(4, "stopped", None), port.Observed(fault=fault)]
    assert {type(o).__name__ for o in outcomes} == set(OUTCOMES)
    for outcome in outcomes:
        assert decode_outcome(encode_outcome(outcome)) == outcome


def test_an_outcome_for_another_task_is_not_written(world: World) -> None:
    """Compare-and-set: the agent booted the server, but a delete was asked meanwhile.
    The boot's outcome is dropped; the delete stays for the next pass."""
    sid = _create(world)
    control = _control(world).for_host("host1")
    world.servers.delete(member(), sid)
    assert control.record(sid, TaskState.SPAWNING.value, port.Spawned()) is False
    server = world.servers.get(member(), sid)
    assert (server.task_state, server.vm_state, server.launched_at) == (
        "deleting", "building", None)
    assert control.record(sid, TaskState.DELETING.value, port.Destroyed()) is True
    with world.uow() as u:
        stored = u.servers.get(sid)
        assert stored is not None and stored.deleted and stored.task_state is None
        # Released in the same write as the deletion.
        assert u.allocations.find(server_id=sid) == []


def test_an_agent_sees_and_changes_only_its_own_hosts_servers(world: World) -> None:
    with world.uow(write=True) as u:
        u.compute_hosts.add(ComputeHost("host2", 4, 8192, 100, "tcg",
                                        last_seen=datetime.now(UTC)))
        u.commit()
    sid = _create(world)
    with world.uow() as u:
        stored = u.servers.get(sid)
        assert stored is not None
        host = stored.host
    assert host is not None
    other = "host2" if host == "host1" else "host1"
    intruder = _control(world).for_host(other)
    assert intruder.servers() == []
    assert intruder.record(sid, TaskState.SPAWNING.value, port.Failed(
        port.Fault("no"), int(PowerState.NOSTATE))) is False
    assert world.servers.get(member(), sid).task_state == "spawning"
    assert _control(world).for_host(host).record(sid, "spawning", port.Spawned()) is True
    assert world.servers.get(member(), sid).status == "ACTIVE"


def test_a_failed_delete_keeps_its_task_and_shows_the_fault(world: World) -> None:
    sid = boot(world)
    world.servers.delete(member(), sid)
    control = _control(world).for_host("host1")
    assert control.record(sid, "deleting", port.DeleteFailed(port.Fault("gone wrong", "x")))
    with world.uow() as u:
        stored = u.servers.get(sid)
        assert stored is not None and stored.fault is not None
        assert stored.task_state == "deleting" and not stored.deleted
        assert (stored.fault["message"], stored.fault["details"]) == ("gone wrong", "x")
        actions = u.instance_actions.find(server_id=sid, action="delete")
        assert [a.message for a in actions] == ["Error"]


class _Waker:
    """An AgentChannel that notes, when woken, what a fresh read of the database shows:
    the wake-up must come after the commit, or the agent's pass would miss the change."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.seen: list[tuple[str, list[str | None]]] = []

    def notify(self, host: str) -> None:
        with self.w.uow() as u:
            self.seen.append((host, sorted(
                (s.task_state for s in u.servers.find(host=host)), key=str)))

    def console_output(self, host: str, guest_id: str, length: int | None) -> str:
        raise LookupError(host)

    def trigger_crash_dump(self, host: str, guest_id: str) -> None:
        raise LookupError(host)

    def diagnostics(self, host: str, guest_id: str) -> dict[str, Any]:
        raise LookupError(host)

    def host_uptime(self, host: str) -> str:
        raise LookupError(host)


def test_the_services_wake_the_agent_after_the_commit(world: World) -> None:
    """No HTTP here: creating, acting on and deleting a server through the services alone
    wakes its host's agent, once the change is readable."""
    waker = _Waker(world)
    ports = dataclasses.replace(world.servers.p, agents=waker)
    servers, actions = ServerService(ports), ServerActionService(ports)
    sid = servers.create(member(), NewServer("vm", "img-1", "1")).id
    assert waker.seen == [("host1", ["spawning"])]
    world.reconciler.run_once()
    actions.act(member(), sid, "stop")
    assert waker.seen[-1] == ("host1", ["powering-off"])
    world.reconciler.run_once()
    actions.lock(member(), sid)                 # the API does it all: no agent woken
    actions.unlock(member(), sid)
    assert len(waker.seen) == 2
    servers.delete(member(), sid)
    assert waker.seen[-1] == ("host1", ["deleting"])
    with pytest.raises(Conflict) as exc:
        actions.act(member(), sid, "start")     # refused: nothing committed, nobody woken
    assert exc.value.fault is ComputeFault.SERVER_TASK_STATE_CONFLICT
    assert exc.value.fields["action"] == "start"
    assert len(waker.seen) == 3


def test_the_reconciler_records_typed_outcomes_over_the_wire(world: World) -> None:
    sid = boot(world)
    world.actions.act(member(), sid, "stop")
    world.reconciler.run_once()
    control = world.reconciler.control
    assert isinstance(control, WireAssignments)
    kinds = [json.loads(m)["kind"] for m in control.recorded]
    assert kinds == ["Spawned", "Settled"]
    assert world.servers.get(member(), sid).vm_state == VmState.STOPPED.value


def test_an_agent_registers_and_beats_only_for_its_own_host(world: World) -> None:
    control = _control(world).for_host("host9")
    with pytest.raises(ValueError, match="cannot register host1"):
        control.register(HostCapabilities("host1", "tcg", 1, 1, 1), AllocationRatios())
    with pytest.raises(NotFound):
        control.heartbeat()                     # never registered
    control.register(HostCapabilities("host9", "kvm", 8, 4096, 50), AllocationRatios(cpu=2.0))
    control.heartbeat()
    with world.uow() as u:
        host = u.compute_hosts.first(hostname="host9")
        assert host is not None and host.last_seen is not None
        assert (host.vcpus, host.accelerator, host.cpu_allocation_ratio) == (8, "kvm", 2.0)
        mine = u.compute_hosts.first(hostname="host1")
        assert mine is not None and mine.vcpus == 4   # the other host's record unchanged
