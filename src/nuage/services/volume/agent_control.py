"""The control plane's side of the volume agent's port (ports/volume_agent.py), bound to
one host.

It hands the agent copies (`VolumeAssignment`, `BackupAssignment`) with the keys
unwrapped by the project's key, and turns the typed outcomes it records into statuses,
with compare-and-set on the status the agent acted on: a delete asked meanwhile wins,
and the agent's next pass sees it. Quotas need no release: usage is counted from the
rows (services/volume/quotas.py), so a row removed is capacity given back.
"""

from __future__ import annotations

import logging

from nuage.domain.volume import (
    AttachStatus,
    Backup,
    BackupStatus,
    Snapshot,
    SnapshotStatus,
    Volume,
    VolumeStatus,
)
from nuage.ports import volume_agent as port
from nuage.ports.repositories import UnitOfWork
from nuage.services.volume.base import VolumePorts

log = logging.getLogger(__name__)

# The error status of each operation that can fail (Cinder's).
_FAILED_STATUS = {VolumeStatus.CREATING: VolumeStatus.ERROR,
                  VolumeStatus.EXTENDING: VolumeStatus.ERROR_EXTENDING,
                  VolumeStatus.DELETING: VolumeStatus.ERROR_DELETING,
                  VolumeStatus.RESTORING: VolumeStatus.ERROR_RESTORING}
_SNAPSHOT_FAILED = {SnapshotStatus.CREATING: SnapshotStatus.ERROR,
                    SnapshotStatus.DELETING: SnapshotStatus.ERROR_DELETING}


def drop_volume(uow: UnitOfWork, volume: Volume) -> None:
    """The volume's row (with its wrapped key: the crypto-erase), its snapshots (they
    lived in its file) and any attachment left."""
    uow.volume_snapshots.delete_where(volume_id=volume.id)
    uow.volume_attachments.delete_where(volume_id=volume.id)
    uow.volumes.delete(volume)


class VolumeAgentControl:
    """HostVolumes for the agent of `host`, in this process."""

    def __init__(self, ports: VolumePorts, host: str) -> None:
        self.p = ports
        self._host = host

    @property
    def host(self) -> str:
        return self._host

    # -- what the host should hold --------------------------------------------------------
    def volumes(self) -> list[port.VolumeAssignment]:
        with self.p.uow() as uow:
            rows = sorted(uow.volumes.find(host=self._host), key=lambda v: v.created_at)
            return [self._assignment(uow, v) for v in rows]

    def _assignment(self, uow: UnitOfWork, v: Volume) -> port.VolumeAssignment:
        snaps = sorted(uow.volume_snapshots.find(volume_id=v.id), key=lambda s: s.created_at)
        size = v.resize_to if v.status == VolumeStatus.EXTENDING and v.resize_to else v.size
        return port.VolumeAssignment(
            id=v.id, project_id=v.project_id, status=v.status, size_gb=size,
            key=self.p.keys.unwrap(v.project_id, v.wrapped_key),
            source=self._source(uow, v) if v.status == VolumeStatus.CREATING else None,
            # A guest holds it or is about to; a volume still being created (boot from
            # volume) is the volume agent's to make first: the compute agent waits.
            attached=v.status != VolumeStatus.CREATING and (
                v.attach_status != AttachStatus.DETACHED
                or uow.volume_attachments.first(volume_id=v.id) is not None),
            snapshots=tuple(port.SnapshotAssignment(id=s.id, status=s.status)
                            for s in snaps))

    def _source(self, uow: UnitOfWork, v: Volume) -> port.SourceOrder | None:
        if v.source_image_id is not None:
            return port.SourceOrder(image_id=v.source_image_id)
        source_id = v.source_volume_id
        if v.source_snapshot_id is not None:
            snap = uow.volume_snapshots.get(v.source_snapshot_id)
            source_id = snap.volume_id if snap is not None else None
            if source_id is None:
                return None
        if source_id is None:
            return None
        src = uow.volumes.get(source_id)
        if src is None:
            return None
        return port.SourceOrder(volume_id=src.id, snapshot_id=v.source_snapshot_id,
                                source_key=self.p.keys.unwrap(src.project_id,
                                                              src.wrapped_key))

    # -- outcomes -------------------------------------------------------------------------
    def record(self, volume_id: str, expected_status: str, outcome: port.Outcome) -> bool:
        now = self.p.clock.now()
        with self.p.uow(write=True) as uow:
            volume = uow.volumes.get_for_update(volume_id)
            if volume is None or volume.host != self._host:
                return False
            if isinstance(outcome, port.SnapshotTaken | port.SnapshotDeleted) or (
                    isinstance(outcome, port.Failed) and outcome.snapshot_id is not None):
                written = self._record_snapshot(uow, volume, expected_status, outcome)
            elif volume.status != expected_status:
                return False
            else:
                written = self._record_volume(uow, volume, outcome)
            if not written:
                return False
            if not isinstance(outcome, port.Deleted):
                volume.updated_at = now
            uow.commit()
        return True

    def _record_volume(self, uow: UnitOfWork, volume: Volume, outcome: port.Outcome) -> bool:
        now = self.p.clock.now()
        attached = volume.attach_status != AttachStatus.DETACHED
        if isinstance(outcome, port.Created):
            # Made for a restore: the restore writes it next; made for a server being
            # created (boot from volume): the compute agent attaches it next.
            volume.status = (VolumeStatus.RESTORING if volume.restoring_backup_id
                             else VolumeStatus.ATTACHING if attached
                             else VolumeStatus.AVAILABLE).value
            volume.launched_at = now
            if volume.source_image_id is not None:
                volume.bootable = True
            if volume.source_volume_id or volume.source_snapshot_id:
                src = uow.volumes.get(volume.source_volume_id or "")
                if src is not None:
                    volume.bootable = volume.bootable or src.bootable
                    volume.image_metadata = dict(src.image_metadata)
        elif isinstance(outcome, port.Extended):
            volume.size = outcome.size_gb
            volume.resize_to = None
            volume.status = (VolumeStatus.IN_USE if attached else VolumeStatus.AVAILABLE).value
        elif isinstance(outcome, port.Deleted):
            drop_volume(uow, volume)
        elif isinstance(outcome, port.Failed):
            failed = _FAILED_STATUS.get(VolumeStatus(volume.status), VolumeStatus.ERROR)
            volume.status = failed.value
            volume.resize_to = None
            volume.error_reason = outcome.reason
            log.warning("volume %s: %s failed: %s", volume.id, volume.status, outcome.reason)
        else:
            return False
        return True

    def _record_snapshot(self, uow: UnitOfWork, volume: Volume, expected: str,
                         outcome: port.Outcome) -> bool:
        snapshot_id = getattr(outcome, "snapshot_id", None)
        snap: Snapshot | None = (uow.volume_snapshots.get_for_update(snapshot_id)
                                 if snapshot_id else None)
        if snap is None or snap.volume_id != volume.id or snap.status != expected:
            return False
        if isinstance(outcome, port.SnapshotTaken):
            snap.status = SnapshotStatus.AVAILABLE.value
            snap.progress = "100%"
        elif isinstance(outcome, port.SnapshotDeleted):
            uow.volume_snapshots.delete(snap)
        elif isinstance(outcome, port.Failed):
            snap.status = _SNAPSHOT_FAILED.get(SnapshotStatus(snap.status),
                                               SnapshotStatus.ERROR).value
            snap.error_reason = outcome.reason
        snap.updated_at = self.p.clock.now()
        return True

    # -- backups --------------------------------------------------------------------------
    def backups(self) -> list[port.BackupAssignment]:
        pending = (BackupStatus.CREATING, BackupStatus.RESTORING, BackupStatus.DELETING)
        with self.p.uow() as uow:
            out: list[port.BackupAssignment] = []
            for b in sorted(uow.volume_backups.find(status=list(pending)),
                            key=lambda b: b.created_at):
                assignment = self._backup(uow, b)
                if assignment is not None:
                    out.append(assignment)
            return out

    def _backup(self, uow: UnitOfWork, b: Backup) -> port.BackupAssignment | None:
        target_id = b.restore_volume_id if b.status == BackupStatus.RESTORING else b.volume_id
        target = uow.volumes.get(target_id or "")
        # A restore waits for its new volume to exist; a backup whose volume is gone can
        # only be deleted (the key of a deleted volume is gone with it).
        if b.status == BackupStatus.RESTORING and (
                target is None or target.status != VolumeStatus.RESTORING):
            return None
        host = target.host if target is not None else self.p.config.host
        if host != self._host:
            return None
        key = (self.p.keys.unwrap(target.project_id, target.wrapped_key)
               if target is not None else b"")
        return port.BackupAssignment(
            id=b.id, project_id=b.project_id, status=b.status, volume_id=b.volume_id,
            key=key, backup_key=self.p.keys.unwrap(b.project_id, b.wrapped_key),
            container=b.container, snapshot_id=b.snapshot_id, parent_id=b.parent_id,
            restore_volume_id=b.restore_volume_id,
            attached=target is not None and target.attach_status != AttachStatus.DETACHED)

    def record_backup(self, backup_id: str, expected_status: str,
                      outcome: port.BackupDone | port.Failed) -> bool:
        now = self.p.clock.now()
        with self.p.uow(write=True) as uow:
            backup = uow.volume_backups.get_for_update(backup_id)
            if backup is None or backup.status != expected_status:
                return False
            target = (uow.volumes.get_for_update(backup.restore_volume_id)
                      if backup.restore_volume_id else None)
            restoring = backup.status == BackupStatus.RESTORING
            if isinstance(outcome, port.BackupDone) and outcome.deleted:
                uow.volume_backups.delete(backup)
            elif isinstance(outcome, port.BackupDone):
                if backup.status == BackupStatus.CREATING:
                    backup.object_count = outcome.object_count
                    backup.size = outcome.size_gb or backup.size
                backup.status = BackupStatus.AVAILABLE.value
                if restoring and target is not None:
                    target.status = VolumeStatus.AVAILABLE.value
                    target.restoring_backup_id = None
            else:
                backup.fail_reason = outcome.reason
                backup.status = (BackupStatus.AVAILABLE if restoring
                                 else BackupStatus.ERROR).value
                if restoring and target is not None:
                    target.status = VolumeStatus.ERROR_RESTORING.value
                    target.restoring_backup_id = None
            if restoring:
                backup.restore_volume_id = None
            backup.updated_at = now
            uow.commit()
        return True
