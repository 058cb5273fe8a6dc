"""A server's volumes: os-volume_attachments' use cases (states Nova attaches in, locks,
the volume service's refusals passed on), and the reconciler making the guest follow
the attachments through GuestDisks (attach, detach, a failed attach, CAS lost, resize
and snapshot of a running vs a stopped guest, keys before a start), with the volumes
released with the server. Real SQLite and compute use cases; in-memory hypervisor,
GuestDisks and ServerVolumes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nuage.domain.compute import ComputeHost, Flavor
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.drivers.clock import SystemClock
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports.compute_volumes import Attached, VolumeRequest
from nuage.services.audit import Auditor
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.base import ComputeConfig, ResourcePorts
from nuage.services.compute.build import ComputeServices, build_compute
from nuage.services.compute.reconcile import Reconciler
from nuage.services.compute.server_actions import Backup
from nuage.services.compute.servers import NewServer, ServerQuery
from tests.support.server_volumes import (
    MemoryBlockDevices,
    MemoryGuestDisks,
    MemoryServerVolumes,
)
from tests.unit.compute.fakes import AcceptingInspector, MemoryHypervisor, MemoryImages
from tests.unit.compute.test_servers import Channel
from tests.unit.compute.wire import WireAssignments


def member(project: str = "p1") -> RequestContext:
    return RequestContext(request_id="req-1", user_id=f"u-{project}", project_id=project,
                          roles=frozenset({"member", "reader"}))


def reader() -> RequestContext:
    return RequestContext(request_id="req-1", user_id="u-r", project_id="p1",
                          roles=frozenset({"reader"}))


@dataclass
class World:
    compute: ComputeServices
    volumes: MemoryServerVolumes
    hv: MemoryHypervisor
    disks: MemoryGuestDisks
    devices: MemoryBlockDevices
    reconciler: Reconciler
    control: WireAssignments
    images: MemoryImages

    def running(self) -> str:
        server = self.compute.servers.create(member(), NewServer("vm", "img-1", "1"))
        self.reconciler.run_once()
        assert self.compute.servers.get(member(), server.id).status == "ACTIVE"
        return server.id

    def act(self, sid: str, action: str) -> None:
        self.compute.server_actions.act(member(), sid, action)
        self.reconciler.run_once()


def status(world: World, volume_id: str) -> str | None:
    found = world.volumes.of(volume_id)
    return None if found is None else found.status


def pending(world: World, volume_id: str) -> tuple[int, int | None, list[str]]:
    volume = world.volumes.volumes[volume_id]
    return volume.size_gb, volume.resize_to, volume.snapshots


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    volumes = MemoryServerVolumes()
    images = MemoryImages()
    compute = build_compute(ResourcePorts(uow, clock, Auditor(clock), ComputeConfig()),
                            images=images, agents=Channel(), volumes=volumes)
    hv = MemoryHypervisor()
    disks = MemoryGuestDisks(hv.states)
    devices = MemoryBlockDevices()
    control = WireAssignments(AgentControlService(
        uow, clock, compute.hosts, volumes=volumes).for_host("host1"))
    reconciler = Reconciler(control, images, hv, tmp_path / "cache",
                            inspector=AcceptingInspector(), disks=disks,
                            block_devices=devices)
    with uow(write=True) as u:
        u.flavors.add(Flavor("1", "m1.tiny", 1, 256, 1, extra_specs={}))
        u.compute_hosts.add(ComputeHost("host1", 4, 8192, 100, "tcg",
                                        last_seen=datetime.now(UTC)))
        u.commit()
    yield World(compute, volumes, hv, disks, devices, reconciler, control, images)
    engine.dispose()


def test_attach_hot_plugs_the_volume_and_detach_unplugs_it(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    attached = world.compute.volume_attachments.attach(member(), sid, vid, tag="db",
                                                       delete_on_termination=True)
    assert (attached.status, attached.device, attached.tag) == ("attaching", "/dev/vdb", "db")
    world.reconciler.run_once()
    assert world.disks.volumes(sid) == {vid: 1 << 30}
    [shown] = world.compute.volume_attachments.index(member(), sid)
    assert (shown.status, shown.volume_id) == ("attached", vid)
    assert world.volumes.volumes[vid].status == "in-use"
    # Converged: nothing more to do.
    calls = len(world.disks.calls)
    world.reconciler.run_once()
    assert world.disks.calls[calls:] == []
    world.compute.volume_attachments.detach(member(), sid, vid)
    world.reconciler.run_once()
    assert world.disks.volumes(sid) == {}
    assert world.compute.volume_attachments.index(member(), sid) == []
    assert world.volumes.volumes[vid].status == "available"


def test_a_stopped_guest_gets_the_volume_in_its_record(world: World) -> None:
    sid = world.running()
    world.act(sid, "stop")
    vid = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid)
    world.reconciler.run_once()
    assert vid in world.disks.volumes(sid)
    assert status(world, vid) == "attached"


def test_a_refused_attach_is_recorded_failed_and_the_volume_is_free(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    world.disks.refuse = "qemu: Could not open: wrong key"
    world.compute.volume_attachments.attach(member(), sid, vid)
    world.reconciler.run_once()
    assert world.volumes.of(vid) is None
    assert world.volumes.volumes[vid].status == "available"
    # The tenant's reason never carries QEMU's words.
    assert "qemu" not in world.control.recorded[-1]


def test_an_outcome_whose_status_moved_on_is_not_written(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    attached = world.compute.volume_attachments.attach(member(), sid, vid)
    # The attach is recorded once (by a pass); a second pass's stale outcome loses.
    assert world.control.record_volume(attached.attachment_id, "attaching",
                                       Attached("/dev/vdb"))
    assert not world.control.record_volume(attached.attachment_id, "attaching",
                                           Attached("/dev/vdb"))
    # Another host's agent cannot write this host's attachments.
    other = AgentControlService(world.compute.ports.uow, SystemClock(),
                                world.compute.hosts, volumes=world.volumes)
    assert not other.for_host("host2").record_volume(attached.attachment_id, "attached",
                                                     Attached("/dev/vdc"))


def test_a_guest_that_keeps_the_volume_is_asked_again(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid)
    world.reconciler.run_once()
    world.compute.volume_attachments.detach(member(), sid, vid)
    world.disks.stuck = True
    world.reconciler.run_once()
    assert status(world, vid) == "detaching"
    world.disks.stuck = False
    world.reconciler.run_once()
    assert world.volumes.of(vid) is None


def test_resize_and_snapshot_go_through_qemu_when_running_and_the_file_when_stopped(
        world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid)
    world.reconciler.run_once()
    volume = world.volumes.volumes[vid]
    volume.resize_to, volume.snapshots = 2, ["snap-1"]
    world.reconciler.run_once()
    assert ("resize_volume", vid) in world.disks.calls
    assert ("snapshot_volume", "snap-1") in world.disks.calls
    assert pending(world, vid) == (2, None, [])
    assert world.devices.calls == []
    world.act(sid, "stop")
    volume.resize_to, volume.snapshots = 3, ["snap-2"]
    world.reconciler.run_once()
    assert world.devices.calls == [("extend", vid), ("snapshot", "snap-2")]
    assert pending(world, vid) == (3, None, [])


def test_a_snapshot_of_an_attached_volume_is_deleted_through_qemu_or_the_file(
        world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid)
    world.reconciler.run_once()
    volume = world.volumes.volumes[vid]
    volume.delete_snapshots = ["snap-1"]
    world.reconciler.run_once()
    assert ("delete_snapshot_volume", "snap-1") in world.disks.calls
    assert volume.delete_snapshots == [] and world.devices.calls == []
    world.act(sid, "stop")
    volume.delete_snapshots = ["snap-2"]
    world.reconciler.run_once()
    assert world.devices.calls == [("delete_snapshot", "snap-2")]
    assert volume.delete_snapshots == []


def test_keys_are_provided_before_a_start(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid)
    world.reconciler.run_once()
    world.act(sid, "stop")
    world.disks.calls.clear()
    world.hv.calls.clear()
    world.act(sid, "start")
    assert world.disks.calls[0] == ("provide_keys", sid)
    assert world.disks.keys[sid] == (vid,)
    assert ("start", sid) in world.hv.calls


def test_deleting_the_server_releases_its_volumes(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    kept = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid, delete_on_termination=True)
    world.compute.volume_attachments.attach(member(), sid, kept)
    world.reconciler.run_once()
    world.compute.servers.delete(member(), sid)
    # Not before the guest is gone.
    assert world.volumes.released == []
    world.reconciler.run_once()
    assert world.volumes.released == [sid]
    assert vid not in world.volumes.volumes
    assert world.volumes.volumes[kept].status == "available"


def test_refusals(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    attach = world.compute.volume_attachments.attach
    with pytest.raises(NotFound):
        attach(member("p2"), sid, vid)                      # another project's server
    with pytest.raises(NotFound) as missing:
        attach(member(), sid, "00000000-0000-0000-0000-000000000000")
    assert missing.value.fault is ComputeFault.SERVER_VOLUME_NOT_FOUND
    with pytest.raises(Forbidden):
        attach(reader(), sid, vid)
    attach(member(), sid, vid)
    with pytest.raises(ValidationError) as again:
        attach(member(), sid, vid)
    assert again.value.fault is ComputeFault.SERVER_VOLUME_ALREADY_ATTACHED
    other = world.running()
    with pytest.raises(ValidationError) as busy:
        attach(member(), other, vid)
    assert busy.value.fault is ComputeFault.SERVER_VOLUME_UNAVAILABLE
    with pytest.raises(NotFound) as absent:
        world.compute.volume_attachments.detach(member(), other, vid)
    assert absent.value.fault is ComputeFault.SERVER_VOLUME_NOT_ATTACHED
    with pytest.raises(NotFound) as unmapped:
        world.compute.volume_attachments.show(member(), other, vid)
    assert unmapped.value.fault is ComputeFault.SERVER_VOLUME_NO_MAPPING
    # A task in flight, then a state Nova does not attach in.
    world.compute.server_actions.act(member(), other, "stop")
    with pytest.raises(Conflict) as task:
        attach(member(), other, world.volumes.add("p1"))
    assert task.value.fault is ComputeFault.SERVER_TASK_STATE_CONFLICT
    world.reconciler.run_once()
    world.compute.server_actions.lock(member(), other)
    with pytest.raises(Conflict) as locked:
        attach(member(), other, world.volumes.add("p1"))
    assert locked.value.fault is ComputeFault.SERVER_LOCKED


def test_swap_is_for_administrators_and_refused_and_update_changes_the_flag(
        world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid)
    service = world.compute.volume_attachments
    with pytest.raises(Forbidden):
        service.update(member(), sid, vid, world.volumes.add("p1"))
    admin = RequestContext(request_id="r", user_id="admin", project_id="p1",
                           roles=frozenset({"admin", "member", "reader"}),
                           is_admin_project=True)
    with pytest.raises(Conflict) as swap:
        service.update(admin, sid, vid, world.volumes.add("p1"))
    assert swap.value.fault is ComputeFault.SERVER_VOLUME_SWAP_UNSUPPORTED
    changed = service.update(member(), sid, vid, vid, delete_on_termination=True)
    assert changed.delete_on_termination


def test_a_cloud_without_volumes_has_none(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    images = MemoryImages()
    compute = build_compute(ResourcePorts(uow, clock, Auditor(clock), ComputeConfig()),
                            images=images, agents=Channel())
    with uow(write=True) as u:
        u.flavors.add(Flavor("1", "m1.tiny", 1, 256, 1, extra_specs={}))
        u.compute_hosts.add(ComputeHost("host1", 4, 8192, 100, "tcg",
                                        last_seen=datetime.now(UTC)))
        u.commit()
    server = compute.servers.create(member(), NewServer("vm", "img-1", "1"))
    with uow(write=True) as u:
        found = u.servers.get(server.id)
        assert found is not None
        found.vm_state, found.task_state = "active", None
        u.commit()
    assert compute.volume_attachments.index(member(), server.id) == []
    with pytest.raises(NotFound) as refused:
        compute.volume_attachments.attach(member(), server.id,
                                          "00000000-0000-0000-0000-000000000000")
    assert refused.value.fault is ComputeFault.SERVER_VOLUME_NOT_FOUND
    # A volume-backed server's snapshot image needs volumes to boot from: 400.
    images.images["bdm"] = replace(images.images["img-1"], id="bdm", properties={
        "bdm_v2": "True", "block_device_mapping": json.dumps([{
            "source_type": "snapshot", "destination_type": "volume", "boot_index": 0,
            "snapshot_id": "s-1", "volume_size": 1}])})
    with pytest.raises(ValidationError) as no_volumes:
        compute.servers.create(member(), NewServer("vm", "bdm", "1"))
    assert no_volumes.value.fault is ComputeFault.SERVER_VOLUMES_UNAVAILABLE
    with pytest.raises(ValidationError) as no_volumes:
        compute.servers.create(member(), NewServer("vm", "img-1", "1", volumes=(
            VolumeRequest(source="blank", volume_size=1),)))
    assert no_volumes.value.fault is ComputeFault.SERVER_VOLUMES_UNAVAILABLE
    with pytest.raises(ValidationError) as no_image:
        compute.servers.create(member(), NewServer("vm", "", "1"))
    assert no_image.value.fault is ComputeFault.SERVER_VOLUME_BOOT_UNSUPPORTED
    engine.dispose()


# -- boot from volume ---------------------------------------------------------------------

def test_boot_from_a_new_volume_waits_until_it_is_ready(world: World) -> None:
    boot = VolumeRequest(source="image", uuid="img-1", volume_size=2, boot_index=0,
                         delete_on_termination=True)
    server = world.compute.servers.create(member(), NewServer("vm", "", "1",
                                                              volumes=(boot,)))
    # The image the volume is made from is the guest's; its view shows none.
    assert server.image_id == "img-1"
    [attached] = world.volumes.attachments.values()
    assert (attached.device, attached.boot_index, attached.status) == ("/dev/vda", 0,
                                                                       "attaching")
    world.reconciler.run_once()
    assert world.compute.servers.get(member(), server.id).task_state == "spawning"
    assert server.id not in world.hv.specs
    world.volumes.volumes[attached.volume_id].ready = True
    world.reconciler.run_once()
    assert world.compute.servers.get(member(), server.id).status == "ACTIVE"
    [given] = world.hv.specs[server.id].volumes
    assert (given.volume_id, given.boot) == (attached.volume_id, True)
    assert status(world, attached.volume_id) == "attached"
    # Its key came with the spawn's spec; keys are given again before each later start.
    assert given.key == b"k" * 32
    # The boot volume stays: Nova refuses to detach the root.
    with pytest.raises(ValidationError) as root:
        world.compute.volume_attachments.detach(member(), server.id, attached.volume_id)
    assert root.value.fault is ComputeFault.SERVER_VOLUME_ROOT_DETACH


def test_a_boot_volume_not_ready_in_time_fails_the_build(world: World,
                                                         tmp_path: Path) -> None:
    reconciler = Reconciler(world.control, MemoryImages(), world.hv, tmp_path / "c2",
                            inspector=AcceptingInspector(), disks=world.disks,
                            volume_deadline=0.0)
    boot = VolumeRequest(source="blank", volume_size=1, boot_index=1)
    server = world.compute.servers.create(member(), NewServer("vm", "img-1", "1",
                                                              volumes=(boot,)))
    reconciler.run_once()
    reconciler.run_once()
    failed = world.compute.servers.get(member(), server.id)
    assert failed.status == "ERROR"
    assert failed.fault is not None and "were not ready" in failed.fault["message"]


def test_an_existing_volume_is_checked_before_anything_is_stored(world: World) -> None:
    vid = world.volumes.add("p1")
    world.volumes.volumes[vid].status = "in-use"
    with pytest.raises(ValidationError) as busy:
        world.compute.servers.create(member(), NewServer("vm", "", "1", volumes=(
            VolumeRequest(source="volume", uuid=vid, boot_index=0),)))
    assert busy.value.fault is ComputeFault.SERVER_VOLUME_UNAVAILABLE
    assert world.compute.servers.find(member(), ServerQuery()) == []
    with pytest.raises(ValidationError) as no_boot:
        world.compute.servers.create(member(), NewServer("vm", "", "1"))
    assert no_boot.value.fault is ComputeFault.SERVER_VOLUME_MAPPING_INVALID


def test_a_rebuilt_guest_keeps_its_volumes(world: World) -> None:
    sid = world.running()
    vid = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), sid, vid)
    world.reconciler.run_once()
    world.compute.server_actions.act(member(), sid, "rebuild", image_ref="img-1")
    world.reconciler.run_once()
    assert world.compute.servers.get(member(), sid).status == "ACTIVE"
    assert [v.volume_id for v in world.hv.specs[sid].volumes] == [vid]


def test_a_volume_backed_server_is_not_rebuilt_on_another_image_nor_backed_up(
        world: World) -> None:
    world.images.images["img-2"] = world.images.images["img-1"]
    boot = VolumeRequest(source="image", uuid="img-1", volume_size=1, boot_index=0)
    server = world.compute.servers.create(member(), NewServer("vm", "", "1",
                                                              volumes=(boot,)))
    [attached] = world.volumes.attachments.values()
    world.volumes.volumes[attached.volume_id].ready = True
    world.reconciler.run_once()
    with pytest.raises(ValidationError) as rebuild:
        world.compute.server_actions.act(member(), server.id, "rebuild", image_ref="img-2")
    assert rebuild.value.fault is ComputeFault.SERVER_VOLUME_REBUILD_IMAGE
    # Nova refuses a backup of a volume-backed server (createImage snapshots its volumes).
    with pytest.raises(ValidationError) as backup:
        world.compute.server_actions.act(member(), server.id, "createBackup",
                                         snapshot_name="s", backup=Backup("daily", 1))
    assert backup.value.fault is ComputeFault.SERVER_VOLUME_SNAPSHOT_UNSUPPORTED
    # The image reserved for it is given up, as for any refused snapshot.
    assert world.images.discarded


def volume_backed(world: World) -> tuple[str, str, str]:
    """A running server booted from a volume made from img-1, with a second volume
    attached: (server, boot volume, data volume)."""
    boot = VolumeRequest(source="image", uuid="img-1", volume_size=1, boot_index=0,
                         delete_on_termination=True)
    server = world.compute.servers.create(member(), NewServer("vm", "", "1",
                                                              volumes=(boot,)))
    [attached] = world.volumes.attachments.values()
    world.volumes.volumes[attached.volume_id].ready = True
    world.reconciler.run_once()
    data = world.volumes.add("p1")
    world.compute.volume_attachments.attach(member(), server.id, data, tag="db")
    world.reconciler.run_once()
    return server.id, attached.volume_id, data


def test_a_snapshot_of_a_volume_backed_server_snapshots_its_volumes(world: World) -> None:
    world.images.images["img-1"] = replace(world.images.images["img-1"],
                                           properties={"os_distro": "cirros",
                                                       "other": "x"})
    sid, root, data = volume_backed(world)
    server = world.compute.server_actions.act(member(), sid, "createImage",
                                              snapshot_name="snap",
                                              snapshot_metadata={"k": "v"})
    image_id = (server.task_args or {})["image_id"]
    image = world.images.images[image_id]
    # Nova's shape: no data, active at once, properties saying how to boot.
    assert (image.name, image.status, image.size) == ("snap", "active", 0)
    props = image.properties
    assert props["bdm_v2"] == "True" and props["root_device_name"] == "/dev/vda"
    assert props["image_type"] == "snapshot" and props["k"] == "v"
    assert props["instance_uuid"] == sid and props["base_image_ref"] == "img-1"
    assert props["os_distro"] == "cirros" and "other" not in props
    first, second = json.loads(props["block_device_mapping"])
    assert first == {**first, "source_type": "snapshot", "destination_type": "volume",
                     "snapshot_id": world.volumes.volumes[root].snapshots[0],
                     "boot_index": 0, "volume_size": 1, "delete_on_termination": True,
                     "device_name": "/dev/vda"}
    assert second["snapshot_id"] == world.volumes.volumes[data].snapshots[0]
    assert (second["boot_index"], second["tag"]) == (None, "db")
    # No task: the server stays as it was, and no queued image was reserved.
    after = world.compute.servers.get(member(), sid)
    assert (after.status, after.task_state, after.task_args) == ("ACTIVE", None, None)
    assert not world.images.discarded


def test_a_server_booted_from_that_image_gets_volumes_made_from_the_snapshots(
        world: World) -> None:
    sid, _, _ = volume_backed(world)
    server = world.compute.server_actions.act(member(), sid, "createImage",
                                              snapshot_name="snap")
    image_id = (server.task_args or {})["image_id"]
    snaps = {world.volumes.volumes[v].snapshots[0]
             for v in world.volumes.volumes if world.volumes.volumes[v].snapshots}
    before = set(world.volumes.attachments)
    booted = world.compute.servers.create(member(), NewServer("vm2", image_id, "1"))
    made = [a for k, a in world.volumes.attachments.items() if k not in before]
    assert {a.server_id for a in made} == {booted.id}
    assert sorted(a.boot_index is not None and a.boot_index for a in made) == [False, 0]
    assert world.volumes.made_from == snaps
    assert booted.image_id == image_id
