"""Backups' records and statuses, driven by the agent side's outcomes."""

from __future__ import annotations

import pytest

from nuage.domain.errors import ValidationError
from nuage.domain.volume_errors import VolumeFault
from nuage.ports import compute_volumes as cv
from nuage.ports import volume_agent as agent
from nuage.services.volume.backups import NewBackup
from nuage.services.volume.base import ListQuery
from tests.unit.volume.conftest import HOST, Vol


def test_backup_and_restore(vol: Vol) -> None:
    v = vol.volume(size=1)
    with pytest.raises(ValidationError) as exc:
        vol.s.backups.create(vol.alice, NewBackup(volume_id=v.volume.id, incremental=True))
    assert exc.value.fault is VolumeFault.BACKUP_NO_PARENT
    full = vol.s.backups.create(vol.alice, NewBackup(volume_id=v.volume.id))
    [a] = vol.agent.backups()
    assert (a.id, a.status, len(a.backup_key)) == (full.id, "creating", 32)
    assert vol.agent.record_backup(full.id, "creating", agent.BackupDone(size_gb=1,
                                                                          object_count=3))
    assert vol.s.backups.get(vol.alice, full.id).status == "available"
    inc = vol.s.backups.create(vol.alice, NewBackup(volume_id=v.volume.id, incremental=True))
    assert inc.parent_id == full.id and inc.wrapped_key == full.wrapped_key
    vol.agent.record_backup(inc.id, "creating", agent.BackupDone(size_gb=1))
    # Restore into a new volume: made first, then written.
    backup, target = vol.s.backups.restore(vol.alice, full.id)
    assert backup.status == "restoring" and vol.agent.backups() == []
    assert vol.agent.record(target.id, "creating", agent.Created(size_gb=1))
    [r] = vol.agent.backups()
    assert r.restore_volume_id == target.id
    assert vol.agent.record_backup(full.id, "restoring", agent.BackupDone())
    assert vol.s.volumes.get(vol.alice, target.id).volume.status == "available"
    with pytest.raises(ValidationError) as exc:
        vol.s.backups.delete(vol.alice, full.id)
    assert exc.value.fault is VolumeFault.BACKUP_HAS_DEPENDENTS
    vol.s.backups.delete(vol.alice, inc.id)
    assert vol.agent.record_backup(inc.id, "deleting", agent.BackupDone(deleted=True))
    assert [b.id for b in vol.s.backups.list_backups(vol.alice, _q()).items] == [full.id]


def _q() -> ListQuery:

    return ListQuery()


def test_a_forced_backup_of_an_in_use_volume_reads_a_snapshot_of_the_compute_agent(
        vol: Vol) -> None:
    v = vol.volume(size=1)
    b = vol.s.compute_binding
    with vol.uow(write=True) as uow:
        sv = b.reserve(uow, vol.alice, "srv-1", "p-a", HOST, v.volume.id)
        b.record(uow, sv.attachment_id, "attaching", cv.Attached(device="/dev/vdb"))
        uow.commit()
    with pytest.raises(ValidationError):
        vol.s.backups.create(vol.alice, NewBackup(volume_id=v.volume.id))
    backup = vol.s.backups.create(vol.alice, NewBackup(volume_id=v.volume.id, force=True))
    temp = backup.temp_snapshot_id
    assert temp is not None and backup.snapshot_id is None
    # The guest's QEMU takes the snapshot; the backup waits for it.
    with vol.uow() as uow:
        [view] = b.describe(uow, ["srv-1"], for_agent=True)["srv-1"]
    assert view.snapshots == (temp,)
    assert vol.agent.backups() == []
    # A backup reads it: it cannot be deleted meanwhile.
    with vol.uow(write=True) as uow:
        assert b.record(uow, sv.attachment_id, "attached", cv.SnapshotTaken(temp))
        uow.commit()
    with pytest.raises(ValidationError):
        vol.s.snapshots.delete(vol.alice, temp)
    [a] = vol.agent.backups()
    assert (a.id, a.snapshot_id, a.volume_id) == (backup.id, temp, v.volume.id)
    # Recorded: the snapshot starts deleting in the same transaction, the compute
    # agent's work while the volume is attached.
    assert vol.agent.record_backup(backup.id, "creating", agent.BackupDone(size_gb=1))
    done = vol.s.backups.get(vol.alice, backup.id)
    assert (done.status, done.temp_snapshot_id) == ("available", None)
    assert vol.s.snapshots.get(vol.alice, temp).status == "deleting"
    with vol.uow() as uow:
        [view] = b.describe(uow, ["srv-1"], for_agent=True)["srv-1"]
    assert view.delete_snapshots == (temp,)


def test_a_failed_in_use_backup_drops_its_snapshot_too(vol: Vol) -> None:
    v = vol.volume(size=1)
    b = vol.s.compute_binding
    with vol.uow(write=True) as uow:
        sv = b.reserve(uow, vol.alice, "srv-1", "p-a", HOST, v.volume.id)
        b.record(uow, sv.attachment_id, "attaching", cv.Attached(device="/dev/vdb"))
        uow.commit()
    backup = vol.s.backups.create(vol.alice, NewBackup(volume_id=v.volume.id, force=True))
    assert backup.temp_snapshot_id is not None
    with vol.uow(write=True) as uow:
        b.record(uow, sv.attachment_id, "attached", cv.SnapshotTaken(backup.temp_snapshot_id))
        uow.commit()
    assert vol.agent.record_backup(backup.id, "creating", agent.Failed("nbd died"))
    assert vol.s.backups.get(vol.alice, backup.id).status == "error"
    assert vol.s.snapshots.get(vol.alice, backup.temp_snapshot_id).status == "deleting"
