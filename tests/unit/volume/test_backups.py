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


def test_a_forced_backup_of_an_attached_volume_is_read_beside_its_guest(vol: Vol) -> None:
    # Found end to end: the agent must know the guest holds the file (it reads sharing
    # the guest's lock); a detached volume's backup is read with the lock taken.
    v, other = vol.volume(size=1), vol.volume(size=1)
    binding = vol.s.compute_binding
    with vol.uow(write=True) as uow:
        sv = binding.reserve(uow, vol.alice, "srv-1", "p-a", HOST, v.volume.id)
        assert binding.record(uow, sv.attachment_id, "attaching",
                              cv.Attached(device="/dev/vdb"))
        uow.commit()
    forced = vol.s.backups.create(vol.alice, NewBackup(volume_id=v.volume.id, force=True))
    plain = vol.s.backups.create(vol.alice, NewBackup(volume_id=other.volume.id))
    attached = {a.id: a.attached for a in vol.agent.backups()}
    assert attached == {forced.id: True, plain.id: False}
