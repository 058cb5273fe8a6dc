"""Server use cases and the host reconciler, on real SQLite with in-memory hypervisor
and image twins: intent recorded by the API, carried out by the reconciler."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nuage.domain.compute import ComputeHost, ComputeQuota, Flavor, Keypair
from nuage.domain.compute_errors import ComputeFault, OverLimit
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.drivers.clock import SystemClock
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports.hypervisor import GuestNotFound, HypervisorError
from nuage.services.audit import Auditor
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.base import ComputeConfig, QuotaDefaults, ResourcePorts
from nuage.services.compute.build import build_compute
from nuage.services.compute.quotas import QuotaService
from nuage.services.compute.reconcile import Reconciler
from nuage.services.compute.server_actions import RebuildChanges, ServerActionService
from nuage.services.compute.servers import NewServer, ServerQuery, ServerService
from tests.unit.compute.fakes import AcceptingInspector, MemoryHypervisor, MemoryImages
from tests.unit.compute.wire import WireAssignments

KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t")


@dataclass
class World:
    servers: ServerService
    actions: ServerActionService
    reconciler: Reconciler
    hv: MemoryHypervisor
    images: MemoryImages
    uow: SqlUnitOfWorkFactory
    quotas: QuotaService


class Channel:
    def __init__(self) -> None:
        self.reconciler: Reconciler | None = None

    def notify(self, host: str) -> None:
        pass

    def console_output(self, host: str, guest_id: str, length: int | None) -> str:
        assert self.reconciler is not None
        return self.reconciler.console_output(guest_id, length)

    def trigger_crash_dump(self, host: str, guest_id: str) -> None:
        assert self.reconciler is not None
        try:
            self.reconciler.hv.inject_nmi(guest_id)
        except (GuestNotFound, HypervisorError) as exc:
            raise LookupError(str(exc)) from exc

    def diagnostics(self, host: str, guest_id: str) -> dict[str, Any]:
        raise LookupError(host)

    def host_uptime(self, host: str) -> str:
        raise LookupError(host)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    channel = Channel()
    images = MemoryImages()
    compute = build_compute(ResourcePorts(uow, clock, Auditor(clock), ComputeConfig(
        quotas=QuotaDefaults(instances=3, cores=100, ram=100_000))),
        images=images, agents=channel)
    hv = MemoryHypervisor()
    # The agent reaches the control plane only through its port, as over a bus.
    control = WireAssignments(AgentControlService(uow, clock, compute.hosts).for_host("host1"))
    reconciler = Reconciler(control, images, hv, tmp_path / "cache",
                            inspector=AcceptingInspector())
    channel.reconciler = reconciler
    now = datetime.now(UTC)
    with uow(write=True) as u:
        u.flavors.add(Flavor("1", "m1.tiny", 1, 256, 1, extra_specs={}))
        u.flavors.add(Flavor("2", "m1.huge", 64, 65536, 1, extra_specs={}))
        u.compute_hosts.add(ComputeHost("host1", 4, 8192, 100, "tcg", last_seen=now))
        u.keypairs.add(Keypair("u1", "k", KEY, "aa", now))
        u.commit()
    yield World(compute.servers, compute.server_actions, reconciler, hv, images, uow,
                compute.quotas)
    engine.dispose()


def member(project: str = "p1", user: str = "u1") -> RequestContext:
    return RequestContext(request_id="req-1", user_id=user, project_id=project,
                          roles=frozenset({"member", "reader"}))


def boot(w: World, **kw: Any) -> str:
    new = NewServer(**{"name": "vm", "image_ref": "img-1", "flavor_ref": "1", **kw})
    server = w.servers.create(member(), new)
    w.reconciler.run_once()
    return server.id


def test_create_schedules_and_the_agent_boots_it(world: World) -> None:
    sid = boot(world, key_name="k", user_data="IyEvYmluL3NoCmVjaG8gaGk=",
               metadata={"role": "web"})
    server = world.servers.get(member(), sid)
    assert (server.status, server.task_state, server.power_state) == ("ACTIVE", None, 1)
    assert server.host == "host1" and server.launched_at is not None
    spec = world.hv.specs[sid]
    assert spec.config_drive.meta_data["public_keys"] == {"k": KEY}
    assert spec.config_drive.user_data == b"#!/bin/sh\necho hi"
    assert spec.config_drive.meta_data["meta"] == {"role": "web"}
    assert spec.memory_mb == 256 and spec.vcpus == 1


def test_state_machine_of_actions(world: World) -> None:
    sid = boot(world)
    for action, status in [("stop", "SHUTOFF"), ("start", "ACTIVE"), ("pause", "PAUSED"),
                           ("unpause", "ACTIVE"), ("suspend", "SUSPENDED"),
                           ("resume", "ACTIVE")]:
        world.actions.act(member(), sid, action)
        assert world.servers.get(member(), sid).task_state is not None
        world.reconciler.run_once()
        server = world.servers.get(member(), sid)
        assert (server.status, server.task_state) == (status, None), action
    with pytest.raises(Conflict):
        world.actions.act(member(), sid, "unpause")   # not paused
    world.actions.act(member(), sid, "reboot", reboot_type="HARD")
    assert world.servers.get(member(), sid).status == "HARD_REBOOT"
    world.reconciler.run_once()
    assert world.servers.get(member(), sid).status == "ACTIVE"


def test_an_action_while_another_runs_is_a_conflict(world: World) -> None:
    sid = boot(world)
    world.actions.act(member(), sid, "stop")
    with pytest.raises(Conflict) as exc:
        world.actions.act(member(), sid, "pause")
    assert exc.value.fault is ComputeFault.SERVER_TASK_STATE_CONFLICT
    assert exc.value.fields == {"action": "pause", "server_id": sid,
                                "task_state": "powering-off"}


def test_delete_releases_everything(world: World) -> None:
    sid = boot(world)
    world.servers.delete(member(), sid)
    world.reconciler.run_once()
    with pytest.raises(NotFound):
        world.servers.get(member(), sid)
    assert sid not in world.hv.states
    with world.uow() as u:
        assert u.allocations.find(server_id=sid) == []


def test_bad_requests_change_nothing(world: World) -> None:
    cases: list[dict[str, Any]] = [
        {"image_ref": "missing"}, {"image_ref": "queued"}, {"flavor_ref": "9"},
        {"image_ref": "big"}, {"key_name": "nope"}, {"user_data": "%%%"},
        {"networks": [{"uuid": "x"}]}, {"name": " "},
    ]
    for case in cases:
        with pytest.raises((ValidationError, NotFound)):
            world.servers.create(member(), NewServer(**{"name": "vm", "image_ref": "img-1",
                                                        "flavor_ref": "1", **case}))
    assert world.servers.find(member(), ServerQuery()) == []
    with world.uow() as u:
        assert u.allocations.find() == []


def test_no_valid_host_gives_error_with_fault(world: World) -> None:
    server = world.servers.create(member(), NewServer("big", "img-1", "2"))
    assert server.status == "ERROR"
    assert server.fault is not None and "No valid host" in server.fault["message"]
    with world.uow() as u:
        assert u.allocations.find(server_id=server.id) == []


def test_quota_is_enforced(world: World) -> None:
    for _ in range(3):
        world.servers.create(member(), NewServer("vm", "img-1", "1"))
    with pytest.raises(OverLimit):
        world.servers.create(member(), NewServer("vm", "img-1", "1"))


def test_failed_boot_is_error_with_the_reason(world: World) -> None:
    world.hv.fail_spawn = "qemu: could not open disk"
    sid = boot(world)
    server = world.servers.get(member(), sid)
    assert server.status == "ERROR" and server.task_state is None
    # The tenant reads what happened in its terms; the host's words are the details.
    assert server.fault is not None
    assert server.fault["message"] == (f"Build of instance {sid} aborted: an error occurred "
                                       "on the compute host.")
    assert "could not open disk" in server.fault["details"]


def test_a_guest_that_died_is_reported_shutoff(world: World) -> None:
    sid = boot(world)
    world.hv.states[sid] = world.hv.states[sid].__class__.SHUTDOWN
    world.reconciler.run_once()
    server = world.servers.get(member(), sid)
    assert (server.status, server.power_state) == ("SHUTOFF", 4)


def test_snapshot_becomes_an_image(world: World) -> None:
    sid = boot(world)
    server = world.actions.act(member(), sid, "createImage", snapshot_name="snap")
    image_id = (server.task_args or {})["image_id"]
    world.reconciler.run_once()
    assert world.images.images[image_id].status == "active"
    assert world.images.uploaded[image_id].startswith(b"QFI")
    assert world.servers.get(member(), sid).task_state is None


@pytest.mark.parametrize(("action", "status"), [("pause", "PAUSED"), ("suspend", "SUSPENDED")])
def test_a_paused_or_suspended_server_is_snapshotted_and_stays_so(
        world: World, action: str, status: str) -> None:
    """Nova's createImage takes ACTIVE, SHUTOFF, PAUSED and SUSPENDED servers."""
    sid = boot(world)
    world.actions.act(member(), sid, action)
    world.reconciler.run_once()
    server = world.actions.act(member(), sid, "createImage", snapshot_name="snap")
    image_id = (server.task_args or {})["image_id"]
    world.reconciler.run_once()
    assert world.images.images[image_id].status == "active"
    after = world.servers.get(member(), sid)
    assert (after.status, after.task_state) == (status, None)

def test_other_projects_cannot_see_or_touch(world: World) -> None:
    sid = boot(world)
    intruder = member("p2", "u2")
    with pytest.raises(NotFound):
        world.servers.get(intruder, sid)
    with pytest.raises(NotFound):
        world.actions.act(intruder, sid, "stop")
    with pytest.raises(NotFound):
        world.servers.delete(intruder, sid)
    assert world.servers.find(intruder, ServerQuery()) == []


def test_listing_filters_and_paging(world: World) -> None:
    ids = [world.servers.create(member(), NewServer(f"web-{i}", "img-1", "1")).id
           for i in range(3)]
    assert {s.id for s in world.servers.find(member(), ServerQuery(name="^web-[12]$"))} == \
        set(ids[1:])
    page = world.servers.find(member(), ServerQuery(limit=2))
    rest = world.servers.find(member(), ServerQuery(marker=page[-1].id))
    assert [s.id for s in page + rest] == [s.id for s in world.servers.find(member(),
                                                                            ServerQuery())]
    assert world.servers.find(member(), ServerQuery(limit=0)) == []
    assert len(world.servers.find(member(), ServerQuery(status="build"))) == 3


def test_crash_dump_injects_an_nmi_into_a_running_guest(world: World) -> None:
    sid = boot(world)
    world.actions.trigger_crash_dump(member(), sid)
    assert ("nmi", sid) in world.hv.calls
    actions = [a.action for a in world.servers.actions(member(), sid)]
    assert actions[0] == "trigger_crash_dump"
    assert world.servers.actions(member(), sid)[0].finish_time is not None
    world.actions.act(member(), sid, "pause")
    world.reconciler.run_once()
    world.actions.trigger_crash_dump(member(), sid)     # paused guests take NMIs too
    world.actions.act(member(), sid, "unpause")
    world.reconciler.run_once()
    world.actions.act(member(), sid, "stop")
    with pytest.raises(Conflict):                        # a task is running
        world.actions.trigger_crash_dump(member(), sid)
    world.reconciler.run_once()
    with pytest.raises(Conflict):                        # stopped
        world.actions.trigger_crash_dump(member(), sid)
    world.hv.states.pop(sid)
    with world.uow(write=True) as u:                     # the guest vanished behind us
        server = u.servers.get(sid)
        assert server is not None
        server.vm_state = "active"
        u.commit()
    with pytest.raises(Conflict) as exc:
        world.actions.trigger_crash_dump(member(), sid)
    assert exc.value.fault is ComputeFault.SERVER_NOT_RUNNING
    assert exc.value.fields == {"server_id": sid}


def test_a_locked_server_refuses_its_owner_not_an_admin(world: World) -> None:
    sid = boot(world)
    admin = RequestContext(request_id="req-2", user_id="adm", project_id="admin",
                           roles=frozenset({"admin", "member", "reader"}), is_admin_project=True)
    world.actions.lock(member(), sid)
    assert world.servers.get(member(), sid).locked_by == "owner"
    for attempt in (lambda: world.actions.act(member(), sid, "stop"),
                    lambda: world.servers.delete(member(), sid),
                    lambda: world.servers.set_metadata(member(), sid, {"a": "b"}, False),
                    lambda: world.actions.trigger_crash_dump(member(), sid)):
        with pytest.raises(Conflict) as exc:
            attempt()
        assert exc.value.fault is ComputeFault.SERVER_LOCKED
        assert exc.value.fields == {"server_id": sid}
    world.actions.act(admin, sid, "stop")
    world.reconciler.run_once()
    world.actions.unlock(member(), sid)
    world.actions.lock(admin, sid)
    assert world.servers.get(member(), sid).locked_by == "admin"
    with pytest.raises(Forbidden):
        world.actions.unlock(member(), sid)
    world.actions.unlock(admin, sid)
    world.servers.delete(member(), sid)


# -- min_count / max_count: one request, all or nothing --------------------------------------
def _stored(w: World) -> tuple[int, int, int]:
    with w.uow() as u:
        return (len(u.servers.find()), len(u.allocations.find()),
                len(u.instance_actions.find()))


def test_multiple_create_names_and_shares_one_reservation(world: World) -> None:
    made = world.servers.create_many(member(), NewServer("web", "img-1", "1"), 2, 3)
    assert [s.name for s in made] == ["web-1", "web-2", "web-3"]
    assert [s.hostname for s in made] == ["web-1", "web-2", "web-3"]
    assert [s.launch_index for s in made] == [0, 1, 2]
    assert len({s.reservation_id for s in made}) == 1
    assert str(made[0].reservation_id).startswith("r-")
    assert all(s.host == "host1" and s.task_state == "spawning" for s in made)
    assert _stored(world) == (3, 3, 3)


def test_multiple_create_makes_as_many_as_the_quota_allows(world: World) -> None:
    world.servers.create(member(), NewServer("old", "img-1", "1"))
    made = world.servers.create_many(member(), NewServer("web", "img-1", "1"), 1, 5)
    assert [s.name for s in made] == ["web-1", "web-2"]
    with pytest.raises(OverLimit):
        world.servers.create_many(member(), NewServer("more", "img-1", "1"), 1, 5)


def test_one_left_by_the_quota_keeps_its_name(world: World) -> None:
    for _ in range(2):
        world.servers.create(member(), NewServer("old", "img-1", "1"))
    made = world.servers.create_many(member(), NewServer("web", "img-1", "1"), 1, 4)
    assert [s.name for s in made] == ["web"]


def test_cores_and_ram_bound_the_count_too(world: World) -> None:
    with world.uow(write=True) as u:
        u.compute_quotas.add(ComputeQuota("p1", instances=10, cores=2, ram=51200,
                                          key_pairs=100, metadata_items=128))
        u.commit()
    made = world.servers.create_many(member(), NewServer("web", "img-1", "1"), 1, 6)
    assert len(made) == 2


def test_min_count_over_the_quota_stores_nothing(world: World) -> None:
    world.servers.create(member(), NewServer("old", "img-1", "1"))
    before = _stored(world)
    with pytest.raises(OverLimit):
        world.servers.create_many(member(), NewServer("web", "img-1", "1"), 3, 4)
    assert _stored(world) == before
    with pytest.raises(ValidationError):
        world.servers.create_many(member(), NewServer("web", "img-1", "1"), 3, 2)
    assert _stored(world) == before


def test_not_enough_room_for_all_puts_all_in_error_without_claims(world: World) -> None:
    with world.uow(write=True) as u:
        u.flavors.add(Flavor("3", "m1.half", 1, 4096, 1, extra_specs={}))
        # Servers in ERROR count against the quota, as in Nova.
        u.compute_quotas.add(ComputeQuota("p1", instances=10))
        u.commit()
    made = world.servers.create_many(member(), NewServer("web", "img-1", "3"), 3, 3)
    assert [s.status for s in made] == ["ERROR"] * 3
    assert all(s.host is None and s.fault is not None
               and "No valid host" in s.fault["message"] for s in made)
    with world.uow() as u:
        assert u.allocations.find() == []
    # Two of them would have fitted: they still do.
    assert all(s.host == "host1" for s in world.servers.create_many(
        member(), NewServer("two", "img-1", "3"), 2, 2))


def test_the_guest_gets_the_hostname_tags_and_rebuild_changes(world: World) -> None:
    """2.90's hostname reaches the config drive; 2.52's tags are stored at create; a
    rebuild (2.54, 2.57) gives the guest its new key pair and user data."""
    sid = boot(world, hostname="web-1.example.org", tags=("b", "a"))
    spec = world.hv.specs[sid]
    assert spec.config_drive.meta_data["hostname"] == "web-1.example.org"
    assert world.servers.get(member(), sid).tags == ["a", "b"]
    world.actions.act(member(), sid, "rebuild", image_ref="img-1", rebuild=RebuildChanges(
        key_name=None, user_data="YnllCg=="))
    world.reconciler.run_once()
    spec = world.hv.specs[sid]
    assert spec.config_drive.meta_data["public_keys"] == {}
    assert spec.config_drive.user_data == b"bye\n"
    with pytest.raises(ValidationError):
        world.actions.act(member(), sid, "rebuild", image_ref="img-1",
                          rebuild=RebuildChanges(key_name="nope"))
