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

    @staticmethod
    def _upload_ready(uow: UnitOfWork, v: Volume) -> bool:
        """An attached volume's upload waits for its snapshot (one that failed or went is
        handed over all the same: the read fails, and so does the upload)."""
        if v.status != VolumeStatus.UPLOADING:
            return False
        if v.upload_snapshot_id is None:
            return True
        snap = uow.volume_snapshots.get(v.upload_snapshot_id)
        return snap is None or snap.status != SnapshotStatus.CREATING

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
                            for s in snaps),
            upload_image_id=v.upload_image_id if self._upload_ready(uow, v) else None,
            upload_snapshot_id=(v.upload_snapshot_id if v.status == VolumeStatus.UPLOADING
                                else None))

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
        # An upload that failed: its image will never be filled (discarded after the commit).
        discard: str | None = None
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
                if (isinstance(outcome, port.Failed)
                        and volume.status == VolumeStatus.UPLOADING):
                    discard = volume.upload_image_id
                written = self._record_volume(uow, volume, outcome)
            if not written:
                return False
            if not isinstance(outcome, port.Deleted):
                volume.updated_at = now
            uow.commit()
        if discard is not None and self.p.images is not None:
            try:
                self.p.images.discard_snapshot(discard, "the volume's upload failed")
            except Exception:
                log.exception("image %s of a failed upload not discarded", discard)
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
        elif isinstance(outcome, port.Uploaded | port.Failed) and (
                volume.status == VolumeStatus.UPLOADING):
            # Uploaded or not, the volume is as it was (Cinder: a failed upload leaves it
            # available and deletes the image); the reason is kept for administrators.
            volume.status = (VolumeStatus.IN_USE if attached else VolumeStatus.AVAILABLE).value
            volume.upload_image_id = None
            if volume.upload_snapshot_id is not None:
                # Read: the snapshot goes, by whichever agent holds the file.
                snap = uow.volume_snapshots.get_for_update(volume.upload_snapshot_id)
                if snap is not None and snap.status != SnapshotStatus.DELETING:
                    snap.status = SnapshotStatus.DELETING.value
                    snap.updated_at = now
                volume.upload_snapshot_id = None
            if isinstance(outcome, port.Failed):
                volume.error_reason = outcome.reason
                log.warning("volume %s: upload failed: %s", volume.id, outcome.reason)
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
        read_snapshot = b.snapshot_id
        if b.status == BackupStatus.CREATING and b.temp_snapshot_id is not None:
            # An attached volume's backup waits for its snapshot; one that failed or went
            # is handed over all the same, and the read's failure fails the backup.
            temp = uow.volume_snapshots.get(b.temp_snapshot_id)
            if temp is not None and temp.status == SnapshotStatus.CREATING:
                return None
            read_snapshot = b.temp_snapshot_id
        key = (self.p.keys.unwrap(target.project_id, target.wrapped_key)
               if target is not None else b"")
        return port.BackupAssignment(
            id=b.id, project_id=b.project_id, status=b.status, volume_id=b.volume_id,
            key=key, backup_key=self.p.keys.unwrap(b.project_id, b.wrapped_key),
            container=b.container, snapshot_id=read_snapshot, parent_id=b.parent_id,
            restore_volume_id=b.restore_volume_id,
            # Held by a guest (a forced backup reads its temporary snapshot beside it).
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
            temp_host = self._drop_temp_snapshot(uow, backup)
            backup.updated_at = now
            uow.commit()
        if temp_host is not None:
            # An unattached volume's snapshot is this agent's to delete; an attached
            # one's the compute agent's (its periodic pass).
            try:
                self.p.wake(temp_host)
            except Exception:
                log.exception("the volume agent of %s was not woken", temp_host)
        return True

    def _drop_temp_snapshot(self, uow: UnitOfWork, backup: Backup) -> str | None:
        """The backup of an attached volume is done or failed: its snapshot starts
        deleting, in the transaction that records the outcome (a crash leaves both or
        neither). The host whose agent deletes it, if one was asked."""
        temp_id, backup.temp_snapshot_id = backup.temp_snapshot_id, None
        if temp_id is None:
            return None
        temp = uow.volume_snapshots.get_for_update(temp_id)
        if temp is None or temp.status == SnapshotStatus.DELETING:
            return None
        temp.status = SnapshotStatus.DELETING.value
        temp.updated_at = self.p.clock.now()
        volume = uow.volumes.get(temp.volume_id)
        return volume.host if volume is not None else None
