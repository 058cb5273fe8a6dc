"""Snapshots: create (of an attached volume only with `force`: the compute agent then
takes it through the guest's QEMU), show, list, update, delete, metadata.

A snapshot lives inside its volume's file (qcow2 internal snapshot), so it is encrypted
with the volume's key and goes with the volume. The volume agent (or, attached, the
compute agent) takes it after the commit and records the outcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.volume import (
    SNAPSHOT_DELETABLE,
    BackupStatus,
    Snapshot,
    SnapshotStatus,
    VolumeStatus,
    check_metadata,
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


@dataclass(frozen=True)
class NewSnapshot:
    volume_id: str
    name: str = ""
    description: str = ""
    force: bool = False
    metadata: dict[str, str] = field(default_factory=dict)


class SnapshotService(VolumeUseCases):
    def __init__(self, ports: VolumePorts, quotas: VolumeQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    def create(self, ctx: RequestContext, cmd: NewSnapshot) -> Snapshot:
        self.require_user(ctx)
        if not check_metadata(cmd.metadata):
            raise ValidationError(VolumeFault.METADATA_INVALID)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, cmd.volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:snapshot:create", volume_target(volume),
                         "snapshot", None)
            attached = volume.status == VolumeStatus.IN_USE
            if attached and not cmd.force:
                raise ValidationError(VolumeFault.SNAPSHOT_NEEDS_FORCE, volume_id=volume.id,
                                      status=volume.status)
            if volume.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
                raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                                      status=volume.status, action="snapshot")
            vtype = uow.volume_types.get(volume.volume_type_id)
            self.quotas.check(uow, volume.project_id, vtype.name if vtype else "",
                              snapshots=1, gigabytes=volume.size)
            now = self.p.clock.now()
            snap = Snapshot(id=str(uuid.uuid4()), project_id=volume.project_id,
                            user_id=ctx.user_id or "", volume_id=volume.id, size=volume.size,
                            created_at=now, updated_at=now, name=cmd.name,
                            description=cmd.description, metadata=dict(cmd.metadata),
                            forced=attached)
            uow.volume_snapshots.add(snap)
            self.audit(uow, ctx, "snapshot.create", "snapshot", snap.id, snap.project_id,
                        {"volume_id": volume.id, "force": cmd.force})
            uow.commit()
        self.wake([volume.host])
        return snap

    def get(self, ctx: RequestContext, snapshot_id: str) -> Snapshot:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return self.find_snapshot(uow, ctx, snapshot_id)

    def list_snapshots(self, ctx: RequestContext, q: ListQuery) -> Page[Snapshot]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            rows = self.listable(ctx, q, uow.volume_snapshots)
        rows = [s for s in rows if matches(s, q)
                and policy.may(ctx, "volume:snapshot:get", volume_target(s))]
        return page(rows, q, self.p.config.max_page, "snapshot")

    def update(self, ctx: RequestContext, snapshot_id: str, name: str | None = None,
               description: str | None = None) -> Snapshot:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            snap = self.find_snapshot(uow, ctx, snapshot_id, for_update=True)
            self.enforce(uow, ctx, "volume:snapshot:update", volume_target(snap), "snapshot",
                         snap.id)
            if name is not None:
                snap.name = name
            if description is not None:
                snap.description = description
            snap.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "snapshot.update", "snapshot", snap.id, snap.project_id)
            uow.commit()
            return snap

    def set_metadata(self, ctx: RequestContext, snapshot_id: str, metadata: dict[str, str],
                     replace: bool = False) -> dict[str, str]:
        self.require_user(ctx)
        if not check_metadata(metadata):
            raise ValidationError(VolumeFault.METADATA_INVALID)
        with self.p.uow(write=True) as uow:
            snap = self.find_snapshot(uow, ctx, snapshot_id, for_update=True)
            self.enforce(uow, ctx, "volume:snapshot:update", volume_target(snap), "snapshot",
                         snap.id)
            snap.metadata = dict(metadata) if replace else {**snap.metadata, **metadata}
            self.audit(uow, ctx, "snapshot.metadata.set", "snapshot", snap.id,
                        snap.project_id, {"keys": sorted(metadata)})
            uow.commit()
            return dict(snap.metadata)

    def delete_metadata(self, ctx: RequestContext, snapshot_id: str, key: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            snap = self.find_snapshot(uow, ctx, snapshot_id, for_update=True)
            self.enforce(uow, ctx, "volume:snapshot:update", volume_target(snap), "snapshot",
                         snap.id)
            if key not in snap.metadata:
                raise NotFound("metadata", key)
            snap.metadata = {k: v for k, v in snap.metadata.items() if k != key}
            self.audit(uow, ctx, "snapshot.metadata.delete", "snapshot", snap.id,
                        snap.project_id, {"key": key})
            uow.commit()

    def delete(self, ctx: RequestContext, snapshot_id: str, force: bool = False) -> None:
        """`force` (administrators, Cinder's os-force_delete): whatever the status, a
        deletion already under way included (the agent deletes it again)."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            snap = self.find_snapshot(uow, ctx, snapshot_id, for_update=True)
            self.enforce(uow, ctx, "volume:snapshot:force_delete" if force
                         else "volume:snapshot:delete", volume_target(snap), "snapshot",
                         snap.id)
            if not force and snap.status not in SNAPSHOT_DELETABLE:
                raise ValidationError(VolumeFault.SNAPSHOT_INVALID_STATUS,
                                      snapshot_id=snap.id, status=snap.status)
            # A volume being made from it, an upload or a backup still reads it.
            if uow.volumes.first(source_snapshot_id=snap.id,
                                 status=VolumeStatus.CREATING.value) is not None or (
                    uow.volumes.first(upload_snapshot_id=snap.id) is not None) or any(
                    snap.id in (b.snapshot_id, b.temp_snapshot_id)
                    for b in uow.volume_backups.find(volume_id=snap.volume_id,
                                                     status=BackupStatus.CREATING.value)):
                raise ValidationError(VolumeFault.SNAPSHOT_INVALID_STATUS,
                                      snapshot_id=snap.id, status="in-use")
            snap.status = SnapshotStatus.DELETING.value
            snap.updated_at = self.p.clock.now()
            volume = uow.volumes.get(snap.volume_id)
            self.audit(uow, ctx, "snapshot.delete", "snapshot", snap.id, snap.project_id)
            uow.commit()
        self.wake([volume.host if volume else None])
