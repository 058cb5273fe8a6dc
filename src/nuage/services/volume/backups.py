"""Backups: the records and their statuses (create, show, list, delete, restore). The
data path (reading the volume, writing encrypted chunks to the project's object storage,
restoring) is the backup engine's, driven by the volume agent through HostVolumes.

A volume's backups share one key (its first full backup makes it; an incremental one
builds on chunks its parent wrote with it), stored wrapped by the project's key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.domain.volume import (
    AttachStatus,
    Backup,
    BackupStatus,
    Snapshot,
    SnapshotStatus,
    Volume,
    VolumeStatus,
)
from nuage.domain.volume_errors import VolumeFault
from nuage.services.volume.base import (
    ListQuery,
    Page,
    VolumePorts,
    VolumeUseCases,
    matches,
    page,
    volume_target,
)
from nuage.services.volume.quotas import VolumeQuotaService
from nuage.services.volume.volumes import NewVolume, VolumeService


@dataclass(frozen=True)
class NewBackup:
    volume_id: str
    name: str = ""
    description: str = ""
    container: str | None = None
    incremental: bool = False
    force: bool = False
    snapshot_id: str | None = None


class BackupService(VolumeUseCases):
    def __init__(self, ports: VolumePorts, quotas: VolumeQuotaService,
                 volumes: VolumeService) -> None:
        super().__init__(ports)
        self.quotas = quotas
        self.volumes = volumes

    def create(self, ctx: RequestContext, cmd: NewBackup) -> Backup:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, cmd.volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:backup:create", volume_target(volume), "backup",
                         None)
            if volume.status == VolumeStatus.IN_USE and not cmd.force:
                raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                                      status=volume.status, action="backup")
            if volume.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
                raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                                      status=volume.status, action="backup")
            if cmd.snapshot_id is not None:
                snap = self.find_snapshot(uow, ctx, cmd.snapshot_id)
                if snap.volume_id != volume.id or snap.status != SnapshotStatus.AVAILABLE:
                    raise ValidationError(VolumeFault.SOURCE_NOT_AVAILABLE,
                                          source_id=snap.id, status=snap.status)
            previous = sorted((b for b in uow.volume_backups.find(volume_id=volume.id)
                               if b.status == BackupStatus.AVAILABLE),
                              key=lambda b: b.created_at)
            parent = previous[-1] if previous else None
            if cmd.incremental and parent is None:
                raise ValidationError(VolumeFault.BACKUP_NO_PARENT, volume_id=volume.id)
            self.quotas.check(uow, volume.project_id, "", backups=1,
                              backup_gigabytes=volume.size)
            now = self.p.clock.now()
            chain_key = previous[0].wrapped_key if previous else self.new_key(
                volume.project_id)
            backup = Backup(
                id=str(uuid.uuid4()), project_id=volume.project_id,
                user_id=ctx.user_id or "", volume_id=volume.id, size=volume.size,
                created_at=now, updated_at=now, wrapped_key=chain_key,
                container=cmd.container or self.p.config.backup_container,
                name=cmd.name, description=cmd.description, snapshot_id=cmd.snapshot_id,
                parent_id=parent.id if cmd.incremental and parent else None,
                is_incremental=cmd.incremental,
                availability_zone=volume.availability_zone, data_timestamp=now)
            if volume.status == VolumeStatus.IN_USE and cmd.snapshot_id is None:
                # The guest's QEMU holds the file: the compute agent takes a snapshot
                # (forced), the backup reads it beside the running guest, and it goes
                # when the backup is recorded (agent_control.py), as Cinder's temporary
                # snapshot does. Not counted in the snapshot quota: it is the backup's.
                temp = Snapshot(
                    id=str(uuid.uuid4()), project_id=volume.project_id,
                    user_id=ctx.user_id or "", volume_id=volume.id, size=volume.size,
                    created_at=now, updated_at=now, name=f"backup-snap-{backup.id}",
                    description=f"Temporary snapshot of backup {backup.id}", forced=True)
                uow.volume_snapshots.add(temp)
                backup.temp_snapshot_id = temp.id
            uow.volume_backups.add(backup)
            self.audit(uow, ctx, "backup.create", "backup", backup.id, backup.project_id,
                        {"volume_id": volume.id, "incremental": cmd.incremental,
                         "temp_snapshot_id": backup.temp_snapshot_id})
            uow.commit()
        self.wake([volume.host])
        return backup

    def get(self, ctx: RequestContext, backup_id: str) -> Backup:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self.find_backup(uow, ctx, backup_id)

    def list_backups(self, ctx: RequestContext, q: ListQuery) -> Page[Backup]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            rows = self.listable(ctx, q, uow.volume_backups)
        rows = [b for b in rows if matches(b, q)
                and policy.may(ctx, "volume:backup:get", volume_target(b))]
        return page(rows, q, self.p.config.max_page, "backup")

    def update(self, ctx: RequestContext, backup_id: str, name: str | None = None,
               description: str | None = None) -> Backup:
        """Cinder 3.9: a backup's name and description."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            backup = self.find_backup(uow, ctx, backup_id, for_update=True)
            self.enforce(uow, ctx, "volume:backup:update", volume_target(backup), "backup",
                         backup.id)
            if name is not None:
                backup.name = name
            if description is not None:
                backup.description = description
            backup.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "backup.update", "backup", backup.id, backup.project_id)
            uow.commit()
            return backup

    def reset_status(self, ctx: RequestContext, backup_id: str, status: str) -> None:
        """Administrators: set `available` or `error` (Cinder's only two), whatever the
        backup is doing; the engine's work on it is not stopped."""
        self.require_user(ctx)
        if status not in (BackupStatus.AVAILABLE, BackupStatus.ERROR):
            raise ValidationError(VolumeFault.BACKUP_INVALID_STATUS, backup_id=backup_id,
                                  status=status)
        with self.p.uow(write=True) as uow:
            backup = self.find_backup(uow, ctx, backup_id, for_update=True)
            self.enforce(uow, ctx, "volume:backup:reset_status", volume_target(backup),
                         "backup", backup.id)
            backup.status = status
            backup.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "backup.reset_status", "backup", backup.id,
                       backup.project_id, {"status": status})
            uow.commit()

    def delete(self, ctx: RequestContext, backup_id: str, force: bool = False) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            backup = self.find_backup(uow, ctx, backup_id, for_update=True)
            self.enforce(uow, ctx, "volume:backup:delete", volume_target(backup), "backup",
                         backup.id)
            allowed = {BackupStatus.AVAILABLE, BackupStatus.ERROR}
            if force:
                allowed |= {BackupStatus.CREATING}
            if backup.status not in allowed:
                raise ValidationError(VolumeFault.BACKUP_INVALID_STATUS,
                                      backup_id=backup.id, status=backup.status)
            if uow.volume_backups.first(parent_id=backup.id) is not None:
                raise ValidationError(VolumeFault.BACKUP_HAS_DEPENDENTS, backup_id=backup.id)
            backup.status = BackupStatus.DELETING.value
            backup.updated_at = self.p.clock.now()
            volume = uow.volumes.get(backup.volume_id)
            self.audit(uow, ctx, "backup.delete", "backup", backup.id, backup.project_id)
            uow.commit()
        self.wake([volume.host if volume else self.p.config.host])

    def restore(self, ctx: RequestContext, backup_id: str, volume_id: str | None = None,
                name: str | None = None) -> tuple[Backup, Volume]:
        """Into the volume named (available, at least the backup's size), or into a new
        one of the backup's size. The backup is `restoring` and the volume
        `restoring-backup` until the agent records the outcome."""
        self.require_user(ctx)
        if volume_id is None:
            with self.p.uow() as uow:
                backup = self.find_backup(uow, ctx, backup_id)
            # Refused before a volume is made for it (checked again below, locked).
            if backup.status != BackupStatus.AVAILABLE:
                raise ValidationError(VolumeFault.BACKUP_INVALID_STATUS,
                                      backup_id=backup.id, status=backup.status)
            made = self.volumes.create(ctx, NewVolume(
                size=backup.size, name=name or f"restore_backup_{backup.id}",
                description=f"auto-created_from_restore_from_backup: {backup.id}"))
            volume_id = made.volume.id
            # A volume made for a restore is written by the restore, not the create.
            fresh = True
        else:
            fresh = False
        with self.p.uow(write=True) as uow:
            backup = self.find_backup(uow, ctx, backup_id, for_update=True)
            self.enforce(uow, ctx, "volume:backup:restore", volume_target(backup), "backup",
                         backup.id)
            if backup.status != BackupStatus.AVAILABLE:
                raise ValidationError(VolumeFault.BACKUP_INVALID_STATUS,
                                      backup_id=backup.id, status=backup.status)
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            ok = (VolumeStatus.AVAILABLE, VolumeStatus.CREATING) if fresh else (
                VolumeStatus.AVAILABLE,)
            if volume.status not in ok or volume.attach_status != AttachStatus.DETACHED:
                raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                                      status=volume.status, action="restore")
            if volume.size < backup.size:
                raise ValidationError(VolumeFault.RESTORE_TOO_SMALL, size=volume.size,
                                      backup_size=backup.size)
            backup.status = BackupStatus.RESTORING.value
            backup.restore_volume_id = volume.id
            backup.updated_at = self.p.clock.now()
            if volume.status == VolumeStatus.AVAILABLE:
                volume.status = VolumeStatus.RESTORING.value
            volume.restoring_backup_id = backup.id
            self.audit(uow, ctx, "backup.restore", "backup", backup.id, backup.project_id,
                        {"volume_id": volume.id})
            uow.commit()
        self.wake([volume.host])
        return backup, volume
