"""Volumes, snapshots, actions and quotas: the use cases and the faults they raise."""

from __future__ import annotations

import pytest

from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.volume import DEFAULT_TYPE_NAME
from nuage.domain.volume_errors import OverLimit, VolumeFault
from nuage.ports import volume_agent as agent
from nuage.services.volume.base import ListQuery
from nuage.services.volume.snapshots import NewSnapshot
from nuage.services.volume.types import NewVolumeType
from nuage.services.volume.volumes import NewVolume
from tests.unit.volume.conftest import HOST, Vol


def test_create_gives_a_key_a_host_and_the_default_type(vol: Vol) -> None:
    made = vol.s.volumes.create(vol.alice, NewVolume(size=1, name="data"))
    v = made.volume
    assert (v.status, v.host, made.type_name) == ("creating", HOST, DEFAULT_TYPE_NAME)
    assert v.wrapped_key and vol.woken == [HOST]
    other = vol.s.volumes.create(vol.alice, NewVolume(size=1))
    # A key of its own, 32 bytes, that only the project's key opens.
    keys = {vol.s.ports.keys.unwrap("p-a", r.volume.wrapped_key) for r in (made, other)}
    assert len(keys) == 2 and all(len(k) == 32 for k in keys)
    with pytest.raises(ValueError):
        vol.s.ports.keys.unwrap("p-b", v.wrapped_key)


def test_another_projects_volume_is_not_found(vol: Vol) -> None:
    made = vol.volume()
    with pytest.raises(NotFound):
        vol.s.volumes.get(vol.bob, made.volume.id)
    with pytest.raises(NotFound):
        vol.s.volumes.delete(vol.bob, made.volume.id)
    assert vol.s.volumes.list_volumes(vol.bob, ListQuery()).items == []
    assert vol.s.volumes.get(vol.admin, made.volume.id).volume.id == made.volume.id


def test_list_filters_sorts_and_pages(vol: Vol) -> None:
    a = vol.volume(name="a", metadata={"k": "v"})
    b = vol.volume(name="b")
    names = [i.volume.name for i in vol.s.volumes.list_volumes(
        vol.alice, ListQuery(sorts=(("name", True),))).items]
    assert names == ["a", "b"]
    only = vol.s.volumes.list_volumes(vol.alice, ListQuery(metadata={"k": "v"})).items
    assert [i.volume.id for i in only] == [a.volume.id]
    first = vol.s.volumes.list_volumes(vol.alice, ListQuery(sorts=(("name", True),), limit=1))
    assert first.has_next and first.items[0].volume.id == a.volume.id
    rest = vol.s.volumes.list_volumes(vol.alice, ListQuery(sorts=(("name", True),),
                                                           marker=a.volume.id))
    assert [i.volume.id for i in rest.items] == [b.volume.id]
    with pytest.raises(NotFound):
        vol.s.volumes.list_volumes(vol.alice, ListQuery(marker="nope"))


def test_size_rules(vol: Vol) -> None:
    with pytest.raises(ValidationError) as exc:
        vol.s.volumes.create(vol.alice, NewVolume(size=0))
    assert exc.value.fault is VolumeFault.SIZE_INVALID
    v = vol.volume(size=2)
    with pytest.raises(ValidationError) as exc:
        vol.s.actions.extend(vol.alice, v.volume.id, 2)
    assert exc.value.fault is VolumeFault.EXTEND_NOT_LARGER
    with pytest.raises(ValidationError) as exc:
        vol.s.volumes.create(vol.alice, NewVolume(size=1, source_volid=v.volume.id))
    assert exc.value.fault is VolumeFault.SIZE_TOO_SMALL


def test_extend_is_the_agents_then_available(vol: Vol) -> None:
    v = vol.volume(size=1)
    assert vol.s.actions.extend(vol.alice, v.volume.id, 3).volume.status == "extending"
    [a] = [x for x in vol.agent.volumes() if x.id == v.volume.id]
    assert a.size_gb == 3
    assert vol.agent.record(v.volume.id, "extending", agent.Extended(size_gb=3))
    row = vol.row(v.volume.id)
    assert row is not None and (row.status, row.size) == ("available", 3)


def test_failures_map_to_cinders_error_statuses(vol: Vol) -> None:
    v = vol.volume(ready=False)
    assert vol.agent.record(v.volume.id, "creating", agent.Failed(reason="disk full"))
    row = vol.row(v.volume.id)
    assert row is not None and row.status == "error"
    # Compare-and-set: an outcome for a status the volume no longer has is not written.
    assert not vol.agent.record(v.volume.id, "creating", agent.Created(size_gb=1))
    w = vol.volume()
    vol.s.actions.extend(vol.alice, w.volume.id, 2)
    assert vol.agent.record(w.volume.id, "extending", agent.Failed(reason="x"))
    row = vol.row(w.volume.id)
    assert row is not None and (row.status, row.size) == ("error_extending", 1)
    vol.s.volumes.delete(vol.alice, w.volume.id)
    assert vol.agent.record(w.volume.id, "deleting", agent.Failed(reason="busy"))
    row = vol.row(w.volume.id)
    assert row is not None and row.status == "error_deleting"


def test_delete_removes_row_and_key_once_the_agent_did(vol: Vol) -> None:
    v = vol.volume()
    vol.s.volumes.delete(vol.alice, v.volume.id)
    [a] = vol.agent.volumes()
    assert a.status == "deleting" and len(a.key) == 32
    assert vol.agent.record(v.volume.id, "deleting", agent.Deleted())
    assert vol.row(v.volume.id) is None
    assert vol.agent.volumes() == []


def test_delete_refused_attached_or_with_snapshots(vol: Vol) -> None:
    v = vol.volume()
    snap = vol.s.snapshots.create(vol.alice, NewSnapshot(volume_id=v.volume.id))
    with pytest.raises(ValidationError) as exc:
        vol.s.volumes.delete(vol.alice, v.volume.id)
    assert exc.value.fault is VolumeFault.VOLUME_HAS_SNAPSHOTS
    assert vol.agent.record(v.volume.id, "creating", agent.SnapshotTaken(snapshot_id=snap.id))
    vol.s.volumes.delete(vol.alice, v.volume.id, cascade=True)
    assert vol.s.snapshots.get(vol.alice, snap.id).status == "deleting"
    w = vol.volume()
    vol.s.actions.attach(vol.alice, w.volume.id, "srv-1", None, "/dev/vdb")
    with pytest.raises(ValidationError) as exc:
        vol.s.volumes.delete(vol.alice, w.volume.id)
    assert exc.value.fault is VolumeFault.VOLUME_IN_USE


def test_snapshot_of_in_use_needs_force(vol: Vol) -> None:
    v = vol.volume()
    vol.s.actions.attach(vol.alice, v.volume.id, "srv-1", None, "/dev/vdb")
    with pytest.raises(ValidationError) as exc:
        vol.s.snapshots.create(vol.alice, NewSnapshot(volume_id=v.volume.id))
    assert exc.value.fault is VolumeFault.SNAPSHOT_NEEDS_FORCE
    snap = vol.s.snapshots.create(vol.alice, NewSnapshot(volume_id=v.volume.id, force=True))
    assert snap.forced and snap.status == "creating"
    vol.s.actions.detach(vol.alice, v.volume.id)
    assert vol.s.volumes.get(vol.alice, v.volume.id).volume.status == "available"


def test_snapshot_outcomes(vol: Vol) -> None:
    v = vol.volume()
    snap = vol.s.snapshots.create(vol.alice, NewSnapshot(volume_id=v.volume.id))
    [a] = vol.agent.volumes()
    assert [(s.id, s.status) for s in a.snapshots] == [(snap.id, "creating")]
    assert vol.agent.record(v.volume.id, "creating", agent.SnapshotTaken(snapshot_id=snap.id))
    assert vol.s.snapshots.get(vol.alice, snap.id).status == "available"
    vol.s.snapshots.delete(vol.alice, snap.id)
    assert vol.agent.record(v.volume.id, "deleting", agent.SnapshotDeleted(snapshot_id=snap.id))
    with pytest.raises(NotFound):
        vol.s.snapshots.get(vol.alice, snap.id)


def test_clone_from_snapshot_carries_the_source_key(vol: Vol) -> None:
    v = vol.volume(size=2)
    snap = vol.s.snapshots.create(vol.alice, NewSnapshot(volume_id=v.volume.id))
    vol.agent.record(v.volume.id, "creating", agent.SnapshotTaken(snapshot_id=snap.id))
    clone = vol.s.volumes.create(vol.alice, NewVolume(snapshot_id=snap.id))
    assert clone.volume.size == 2
    [a] = [x for x in vol.agent.volumes() if x.id == clone.volume.id]
    assert a.source is not None and a.source.snapshot_id == snap.id
    assert a.source.volume_id == v.volume.id
    assert a.source.source_key == vol.s.ports.keys.unwrap("p-a", v.volume.wrapped_key)
    assert a.key != a.source.source_key


def test_quotas_refuse_over_limit(small: Vol) -> None:
    small.volume(size=2)
    with pytest.raises(OverLimit) as exc:
        small.s.volumes.create(small.alice, NewVolume(size=4))
    assert exc.value.fault is VolumeFault.OVER_QUOTA
    assert exc.value.fields["resource"] == "gigabytes"
    small.volume(size=1)
    with pytest.raises(OverLimit) as exc:
        small.s.volumes.create(small.alice, NewVolume(size=1))
    assert exc.value.fields["resource"] == "volumes"
    usage = small.s.quotas.usage(small.alice, "p-a")
    assert usage["volumes"] == {"limit": 2, "in_use": 2, "reserved": 0}
    assert usage[f"volumes_{DEFAULT_TYPE_NAME}"]["in_use"] == 2


def test_quota_update_is_the_admins(vol: Vol) -> None:
    with pytest.raises(Forbidden):
        vol.s.quotas.update(vol.alice, "p-a", {"volumes": 1})
    assert vol.s.quotas.update(vol.admin, "p-a", {"volumes": 1})["volumes"] == 1
    with pytest.raises(ValidationError) as exc:
        vol.s.quotas.update(vol.admin, "p-a", {"nope": 1})
    assert exc.value.fault is VolumeFault.QUOTA_UNKNOWN
    vol.volume()
    with pytest.raises(OverLimit):
        vol.s.volumes.create(vol.alice, NewVolume(size=1))


def test_types(vol: Vol) -> None:
    with pytest.raises(Forbidden):
        vol.s.types.create(vol.alice, NewVolumeType(name="fast"))
    fast = vol.s.types.create(vol.admin, NewVolumeType(name="fast", extra_specs={"a": "b"}))
    with pytest.raises(Conflict) as dup:
        vol.s.types.create(vol.admin, NewVolumeType(name="fast"))
    assert dup.value.fault is VolumeFault.TYPE_EXISTS
    v = vol.volume(volume_type="fast")
    assert v.type_name == "fast"
    with pytest.raises(ValidationError) as exc:
        vol.s.types.delete(vol.admin, fast.id)
    assert exc.value.fault is VolumeFault.TYPE_IN_USE
    default = vol.s.types.get_default(vol.alice)
    with pytest.raises(ValidationError) as exc:
        vol.s.types.delete(vol.admin, default.id)
    assert exc.value.fault is VolumeFault.TYPE_DEFAULT_DELETE
    assert {t.name for t in vol.s.types.list_types(vol.alice)} == {"fast", DEFAULT_TYPE_NAME}


def test_reset_status_and_force_delete_are_the_admins(vol: Vol) -> None:
    v = vol.volume(ready=False)
    with pytest.raises(Forbidden):
        vol.s.actions.reset_status(vol.alice, v.volume.id, "available")
    vol.s.actions.reset_status(vol.admin, v.volume.id, "error")
    assert vol.s.volumes.get(vol.alice, v.volume.id).volume.status == "error"
    with pytest.raises(ValidationError) as exc:
        vol.s.actions.reset_status(vol.admin, v.volume.id, "bogus")
    assert exc.value.fault is VolumeFault.STATUS_UNKNOWN
    w = vol.volume(ready=False)
    with pytest.raises(Forbidden):
        vol.s.volumes.delete(vol.alice, w.volume.id, force=True)
    vol.s.volumes.delete(vol.admin, w.volume.id, force=True)
    assert vol.s.volumes.get(vol.alice, w.volume.id).volume.status == "deleting"


def test_legacy_attach_bookkeeping(vol: Vol) -> None:
    v = vol.volume()
    vid = v.volume.id
    vol.s.actions.reserve(vol.alice, vid)
    assert vol.s.volumes.get(vol.alice, vid).volume.status == "attaching"
    vol.s.actions.unreserve(vol.alice, vid)
    vol.s.actions.attach(vol.alice, vid, "srv-1", None, "/dev/vdb")
    info = vol.s.volumes.get(vol.alice, vid)
    assert (info.volume.status, info.volume.attach_status) == ("in-use", "attached")
    assert [a.server_id for a in info.attachments] == ["srv-1"]
    vol.s.actions.begin_detaching(vol.alice, vid)
    vol.s.actions.roll_detaching(vol.alice, vid)
    vol.s.actions.detach(vol.alice, vid)
    assert vol.s.volumes.get(vol.alice, vid).attachments == []


def test_agent_bells_ring_the_registered_host() -> None:
    from nuage.services.volume.base import VolumeAgentBells
    rung: list[str] = []
    bells = VolumeAgentBells()
    bells("host-1")                     # no agent yet: nothing
    bells.register("host-1", lambda: rung.append("host-1"))
    bells("host-1")
    bells("host-2")
    assert rung == ["host-1"]


def test_a_source_still_read_is_not_deleted(vol: Vol) -> None:
    v = vol.volume()
    snap = vol.s.snapshots.create(vol.alice, NewSnapshot(volume_id=v.volume.id))
    vol.agent.record(v.volume.id, "creating", agent.SnapshotTaken(snapshot_id=snap.id))
    vol.s.volumes.create(vol.alice, NewVolume(snapshot_id=snap.id))
    with pytest.raises(ValidationError) as exc:
        vol.s.snapshots.delete(vol.alice, snap.id)
    assert exc.value.fault is VolumeFault.SNAPSHOT_INVALID_STATUS
    w = vol.volume()
    vol.s.volumes.create(vol.alice, NewVolume(source_volid=w.volume.id))
    with pytest.raises(ValidationError) as exc:
        vol.s.volumes.delete(vol.alice, w.volume.id)
    assert exc.value.fault is VolumeFault.VOLUME_INVALID_STATUS


def test_changes_and_refusals_are_on_the_audit_trail(vol: Vol) -> None:
    from nuage.ports.repositories import AuditQuery
    v = vol.volume()
    with pytest.raises(Forbidden):
        vol.s.actions.reset_status(vol.alice, v.volume.id, "error")
    with vol.uow() as uow:
        created = uow.audit.query(AuditQuery(action="volume.volume.create"))
        denied = uow.audit.query(AuditQuery(action="volume.volume.reset_status"))
    assert [e.target_id for e in created] == [v.volume.id]
    assert [e.outcome for e in denied] == ["denied"]


def test_the_agent_side_serves_the_port(vol: Vol) -> None:
    from nuage.ports.volume_agent import HostVolumes
    served: HostVolumes = vol.agent      # mypy checks it against the Protocol
    assert served.host == HOST and served.volumes() == [] and served.backups() == []
