"""Compute's ServerVolumes port as the volume service serves it: reserve, the compute
agent's outcomes (compare-and-set), detach, boot from volume and release."""

from __future__ import annotations

import pytest

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.errors import NotFound, ValidationError
from nuage.ports import compute_volumes as cv
from nuage.ports import volume_agent as agent
from nuage.ports.compute_volumes import ServerVolumes
from nuage.services.volume.snapshots import NewSnapshot
from tests.unit.volume.conftest import HOST, Vol


def binding(vol: Vol) -> ServerVolumes:
    return vol.s.compute_binding        # type-checked against the Protocol


def test_attach_flow(vol: Vol) -> None:
    b = binding(vol)
    v = vol.volume()
    with vol.uow(write=True) as uow:
        sv = b.reserve(uow, vol.alice, "srv-1", "p-a", HOST, v.volume.id)
        uow.commit()
    assert (sv.device, sv.status) == ("/dev/vdb", "attaching")
    assert vol.s.volumes.get(vol.alice, v.volume.id).volume.status == "attaching"
    with vol.uow() as uow:
        [view] = b.describe(uow, ["srv-1"], for_agent=True)["srv-1"]
    assert view.key is not None and len(view.key) == 32 and view.ready
    with vol.uow(write=True) as uow:
        assert b.record(uow, sv.attachment_id, "attaching", cv.Attached(device="/dev/vdb"))
        assert not b.record(uow, sv.attachment_id, "attaching", cv.Attached(device="/dev/vdb"))
        uow.commit()
    info = vol.s.volumes.get(vol.alice, v.volume.id)
    assert (info.volume.status, info.attachments[0].server_id) == ("in-use", "srv-1")
    # A second server: the volume is in use (Nova's 400).
    with vol.uow(write=True) as uow, pytest.raises(ValidationError) as exc:
        b.reserve(uow, vol.alice, "srv-2", "p-a", HOST, v.volume.id)
    assert exc.value.fault is ComputeFault.SERVER_VOLUME_UNAVAILABLE
    assert exc.value.fields["status"] == "in-use"
    with vol.uow(write=True) as uow:
        sv = b.begin_detach(uow, vol.alice, "srv-1", v.volume.id)
        uow.commit()
    assert vol.s.volumes.get(vol.alice, v.volume.id).volume.status == "detaching"
    with vol.uow(write=True) as uow:
        assert b.record(uow, sv.attachment_id, "detaching", cv.Detached())
        uow.commit()
    info = vol.s.volumes.get(vol.alice, v.volume.id)
    assert (info.volume.status, info.attachments) == ("available", [])


def test_refusals(vol: Vol) -> None:
    b = binding(vol)
    other = vol.volume(vol.bob)
    with vol.uow(write=True) as uow, pytest.raises(NotFound):
        b.reserve(uow, vol.alice, "srv-1", "p-a", HOST, other.volume.id)
    with vol.uow(write=True) as uow, pytest.raises(NotFound):
        b.begin_detach(uow, vol.alice, "srv-1", other.volume.id)
    creating = vol.volume(ready=False)
    with vol.uow(write=True) as uow, pytest.raises(ValidationError) as exc:
        b.reserve(uow, vol.alice, "srv-1", "p-a", HOST, creating.volume.id)
    assert exc.value.fault is ComputeFault.SERVER_VOLUME_UNAVAILABLE


def test_in_use_extend_and_forced_snapshot_are_the_compute_agents(vol: Vol) -> None:
    b = binding(vol)
    v = vol.volume()
    with vol.uow(write=True) as uow:
        sv = b.reserve(uow, vol.alice, "srv-1", "p-a", HOST, v.volume.id)
        b.record(uow, sv.attachment_id, "attaching", cv.Attached(device="/dev/vdb"))
        uow.commit()
    snap = vol.s.snapshots.create(vol.alice, NewSnapshot(volume_id=v.volume.id, force=True))
    vol.s.actions.extend(vol.alice, v.volume.id, 2, allow_attached=True)
    with vol.uow() as uow:
        [view] = b.describe(uow, ["srv-1"], for_agent=True)["srv-1"]
    assert (view.resize_to, view.snapshots) == (2, (snap.id,))
    with vol.uow(write=True) as uow:
        assert b.record(uow, sv.attachment_id, "attached", cv.Resized(size_gb=2))
        assert b.record(uow, sv.attachment_id, "attached",
                        cv.SnapshotTaken(snapshot_id=snap.id))
        uow.commit()
    info = vol.s.volumes.get(vol.alice, v.volume.id)
    assert (info.volume.status, info.volume.size) == ("in-use", 2)
    assert vol.s.snapshots.get(vol.alice, snap.id).status == "available"

    # Deleting it while the volume is attached: the compute agent's too.
    vol.s.snapshots.delete(vol.alice, snap.id)
    with vol.uow() as uow:
        [view] = b.describe(uow, ["srv-1"], for_agent=True)["srv-1"]
    assert (view.snapshots, view.delete_snapshots) == ((), (snap.id,))
    with vol.uow(write=True) as uow:
        assert b.record(uow, sv.attachment_id, "attached",
                        cv.SnapshotDeleted(snapshot_id=snap.id))
        assert not b.record(uow, sv.attachment_id, "attached",
                            cv.SnapshotDeleted(snapshot_id=snap.id))
        uow.commit()
    with pytest.raises(NotFound):
        vol.s.snapshots.get(vol.alice, snap.id)
    # The volume agent leaves it to the compute agent.
    [assigned] = [a for a in vol.s.agent_control(HOST).volumes() if a.id == v.volume.id]
    assert assigned.attached

    # Extending through the guest: not detached meanwhile (Cinder's begin_detaching).
    vol.s.actions.extend(vol.alice, v.volume.id, 3, allow_attached=True)
    with vol.uow(write=True) as uow, pytest.raises(ValidationError) as exc:
        b.begin_detach(uow, vol.alice, "srv-1", v.volume.id)
    assert exc.value.fields["status"] == "extending"


def test_boot_from_volume_and_release(vol: Vol) -> None:
    b = binding(vol)
    existing = vol.volume()
    requests = (cv.VolumeRequest(source="blank", volume_size=1, boot_index=0,
                                 delete_on_termination=True),
                cv.VolumeRequest(source="volume", uuid=existing.volume.id))
    with vol.uow(write=True) as uow:
        b.check(uow, vol.alice, requests, 1)
        views = b.prepare(uow, vol.alice, "srv-1", "p-a", HOST, requests)
        uow.commit()
    assert [v.device for v in views] == ["/dev/vda", "/dev/vdb"]
    boot = views[0]
    with vol.uow() as uow:
        agent_views = b.describe(uow, ["srv-1"], for_agent=True)["srv-1"]
    assert [v.ready for v in agent_views] == [False, True]
    # The volume agent makes the new volume (not yet handed to a guest); it waits to be
    # attached.
    assert not next(a for a in vol.agent.volumes() if a.id == boot.volume_id).attached
    assert vol.agent.record(boot.volume_id, "creating", agent.Created(size_gb=1))
    assert vol.s.volumes.get(vol.alice, boot.volume_id).volume.status == "attaching"
    with vol.uow(write=True) as uow:
        for view in views:
            assert b.record(uow, view.attachment_id, "attaching", cv.Attached(view.device))
        uow.commit()
    with vol.uow(write=True) as uow, pytest.raises(ValidationError) as exc:
        b.begin_detach(uow, vol.alice, "srv-1", boot.volume_id)
    assert exc.value.fault is ComputeFault.SERVER_VOLUME_ROOT_DETACH
    with vol.uow(write=True) as uow:
        b.release(uow, "srv-1")
        uow.commit()
    assert vol.s.volumes.get(vol.alice, boot.volume_id).volume.status == "deleting"
    assert vol.s.volumes.get(vol.alice, existing.volume.id).volume.status == "available"


def test_check_refuses_one_volume_for_several_servers(vol: Vol) -> None:
    v = vol.volume()
    with vol.uow() as uow, pytest.raises(ValidationError):
        binding(vol).check(uow, vol.alice, (cv.VolumeRequest(source="volume",
                                                             uuid=v.volume.id),), 2)


def test_source_image_of_a_boot_volume(vol: Vol) -> None:
    """The image a server booting from an existing volume is made with: the volume's own
    source image, else the image_id of its volume_image_metadata (a clone's)."""
    b = binding(vol)
    made, cloned, blank = vol.volume(), vol.volume(), vol.volume()
    with vol.uow(write=True) as uow:
        row = uow.volumes.get_for_update(made.volume.id)
        clone = uow.volumes.get_for_update(cloned.volume.id)
        assert row is not None and clone is not None
        row.source_image_id = "img-1"
        clone.image_metadata = {"image_id": "img-2"}
        uow.commit()
    assert b.source_image(vol.alice, made.volume.id) == "img-1"
    assert b.source_image(vol.alice, cloned.volume.id) == "img-2"
    assert b.source_image(vol.alice, blank.volume.id) is None
    assert b.source_image(vol.bob, made.volume.id) is None


def test_snapshot_of_a_servers_volumes_is_forced_and_taken_by_the_compute_agent(
        vol: Vol) -> None:
    b = binding(vol)
    boot, data = vol.volume(), vol.volume()
    requests = (cv.VolumeRequest(source="volume", uuid=boot.volume.id, boot_index=0,
                                 delete_on_termination=True),
                cv.VolumeRequest(source="volume", uuid=data.volume.id, tag="db"))
    with vol.uow(write=True) as uow:
        views = b.prepare(uow, vol.alice, "srv-1", "p-a", HOST, requests)
        # Attaching: a volume not yet in use is not snapshotted (Cinder's 400).
        with pytest.raises(ValidationError) as exc:
            b.snapshot(uow, vol.alice, "srv-1", "snapshot for s")
        assert exc.value.fault is ComputeFault.SERVER_VOLUME_UNAVAILABLE
        for view in views:
            b.record(uow, view.attachment_id, "attaching", cv.Attached(view.device))
        uow.commit()
    with vol.uow(write=True) as uow:
        taken = b.snapshot(uow, vol.alice, "srv-1", "snapshot for s")
        uow.commit()
    assert [(t.volume_id, t.device, t.boot_index, t.delete_on_termination, t.tag)
            for t in taken] == [(boot.volume.id, "/dev/vda", 0, True, None),
                                (data.volume.id, "/dev/vdb", None, False, "db")]
    snaps = [vol.s.snapshots.get(vol.alice, t.snapshot_id) for t in taken]
    assert {(s.forced, s.status, s.name) for s in snaps} == {
        (True, "creating", "snapshot for s")}
    # The compute agent sees them on the server's volumes, as any forced snapshot.
    with vol.uow() as uow:
        agent_views = b.describe(uow, ["srv-1"], for_agent=True)["srv-1"]
    assert [v.snapshots for v in agent_views] == [(taken[0].snapshot_id,),
                                                  (taken[1].snapshot_id,)]
