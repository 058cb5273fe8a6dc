"""Volumes: create (blank, from an image, a snapshot or another volume), show, list,
update, delete, metadata.

A new volume gets its own random 32-byte key, stored wrapped by the project's key, and
is placed on the host (one today); the host's volume agent makes it after the commit
(status `creating` until it records the outcome, services/volume/agent_control.py).
Delete marks it `deleting`; the agent removes the data and records it, and the row with
the wrapped key goes then (crypto-erase: the data is unreadable from that commit on).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.policy import Target
from nuage.domain.volume import (
    DELETABLE,
    FORCE_DELETABLE,
    SNAPSHOT_DELETABLE,
    AttachStatus,
    BackupStatus,
    SnapshotStatus,
    Volume,
    VolumeAttachment,
    VolumeStatus,
    check_metadata,
)
from nuage.domain.volume_errors import VolumeFault
from nuage.ports.repositories import UnitOfWork
from nuage.services.volume.base import (
    ListQuery,
    Page,
    VolumePorts,
    VolumeUseCases,
    check_size,
    matches,
    page,
    volume_target,
)
from nuage.services.volume.quotas import VolumeQuotaService

GIB = 1 << 30


@dataclass(frozen=True)
class NewVolume:
    size: int | None = None
    name: str = ""
    description: str = ""
    volume_type: str | None = None        # id or name; None: the default type
    metadata: dict[str, str] = field(default_factory=dict)
    image_id: str | None = None
    snapshot_id: str | None = None
    source_volid: str | None = None
    availability_zone: str | None = None
    bootable: bool | None = None


@dataclass(frozen=True)
class VolumeInfo:
    """A volume as Cinder shows it: with its type's name and its attachments."""

    volume: Volume
    type_name: str
    attachments: list[VolumeAttachment] = field(default_factory=list)


def info(uow: UnitOfWork, volume: Volume) -> VolumeInfo:
    vtype = uow.volume_types.get(volume.volume_type_id)
    return VolumeInfo(volume, vtype.name if vtype else "",
                      sorted(uow.volume_attachments.find(volume_id=volume.id),
                             key=lambda a: a.created_at))


class VolumeService(VolumeUseCases):
    def __init__(self, ports: VolumePorts, quotas: VolumeQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    # -- create -----------------------------------------------------------------------
    def create(self, ctx: RequestContext, cmd: NewVolume) -> VolumeInfo:
        self.require_user(ctx)
        project = self.project_of(ctx)
        if sum(x is not None for x in (cmd.image_id, cmd.snapshot_id, cmd.source_volid)) > 1:
            raise ValidationError(VolumeFault.SOURCES_CONFLICT)
        if not check_metadata(cmd.metadata):
            raise ValidationError(VolumeFault.METADATA_INVALID)
        image_meta: dict[str, str] = {}
        minimum = 1
        if cmd.image_id is not None:
            image_meta, minimum = self._image(ctx, cmd.image_id)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "volume:volume:create", Target(project_id=project),
                         "volume", None)
            source_type: str | None = None
            if cmd.snapshot_id is not None:
                snap = self.find_snapshot(uow, ctx, cmd.snapshot_id)
                if snap.status != SnapshotStatus.AVAILABLE:
                    raise ValidationError(VolumeFault.SOURCE_NOT_AVAILABLE,
                                          source_id=snap.id, status=snap.status)
                minimum = snap.size
                parent = uow.volumes.get(snap.volume_id)
                source_type = parent.volume_type_id if parent else None
            if cmd.source_volid is not None:
                src = self.find_volume(uow, ctx, cmd.source_volid)
                if src.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
                    raise ValidationError(VolumeFault.SOURCE_NOT_AVAILABLE,
                                          source_id=src.id, status=src.status)
                minimum = src.size
                source_type = src.volume_type_id
            # Cinder takes the source's size when a copy names none; a blank or an image
            # volume needs one.
            copy = cmd.snapshot_id is not None or cmd.source_volid is not None
            size = check_size(minimum if cmd.size is None and copy else cmd.size)
            if size < minimum:
                raise ValidationError(VolumeFault.SIZE_TOO_SMALL, size=size, minimum=minimum)
            vtype = (self.find_type(uow, cmd.volume_type) if cmd.volume_type
                     else uow.volume_types.get(source_type) if source_type
                     else self.default_type(uow))
            if vtype is None:
                vtype = self.default_type(uow)
            self.quotas.check(uow, project, vtype.name, volumes=1, gigabytes=size)
            now = self.p.clock.now()
            volume = Volume(
                id=str(uuid.uuid4()), project_id=project, user_id=ctx.user_id or "",
                size=size, volume_type_id=vtype.id, created_at=now, updated_at=now,
                host=self.p.config.host, wrapped_key=self.new_key(project),
                name=cmd.name, description=cmd.description,
                availability_zone=cmd.availability_zone or self.p.config.availability_zone,
                bootable=bool(cmd.bootable), source_image_id=cmd.image_id,
                source_volume_id=cmd.source_volid, source_snapshot_id=cmd.snapshot_id,
                metadata=dict(cmd.metadata), image_metadata=image_meta)
            uow.volumes.add(volume)
            self.audit(uow, ctx, "volume.create", "volume", volume.id, project,
                        {"size": size, "volume_type": vtype.name})
            uow.commit()
            result = info(uow, volume)
        self.wake([volume.host])
        return result

    def _image(self, ctx: RequestContext, image_id: str) -> tuple[dict[str, str], int]:
        """The image's properties (volume_image_metadata) and the smallest volume that
        holds it (its min_disk, its size rounded up to GiB)."""
        if self.p.images is None:
            raise NotFound("image", image_id)
        image = self.p.images.describe(ctx, image_id)
        if image.status != "active":
            raise ValidationError(VolumeFault.IMAGE_NOT_ACTIVE, image_id=image_id)
        meta = {k: str(v) for k, v in image.properties.items()}
        meta.update({"image_id": image.id, "image_name": image.name or "",
                     "min_disk": str(image.min_disk), "min_ram": str(image.min_ram)})
        if image.disk_format:
            meta["disk_format"] = image.disk_format
        if image.size is not None:
            meta["size"] = str(image.size)
        minimum = max(1, image.min_disk, -(-(image.size or 0) // GIB))
        return meta, minimum

    # -- read -------------------------------------------------------------------------
    def get(self, ctx: RequestContext, volume_id: str) -> VolumeInfo:
        self.require_user(ctx)
        with self.p.uow() as uow:
            return info(uow, self.find_volume(uow, ctx, volume_id))

    def list_volumes(self, ctx: RequestContext, q: ListQuery) -> Page[VolumeInfo]:
        self.require_user(ctx)
        with self.p.uow() as uow:
            rows = [v for v in self.listable(ctx, q, uow.volumes) if matches(v, q)
                    and policy.may(ctx, "volume:volume:get", volume_target(v))]
            cut = page(rows, q, self.p.config.max_page, "volume")
            return Page([info(uow, v) for v in cut.items], cut.has_next)

    # -- update -----------------------------------------------------------------------
    def update(self, ctx: RequestContext, volume_id: str, name: str | None = None,
               description: str | None = None, metadata: dict[str, str] | None = None
               ) -> VolumeInfo:
        self.require_user(ctx)
        if metadata is not None and not check_metadata(metadata):
            raise ValidationError(VolumeFault.METADATA_INVALID)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:update", volume_target(volume), "volume",
                         volume.id)
            if name is not None:
                volume.name = name
            if description is not None:
                volume.description = description
            if metadata is not None:
                volume.metadata = dict(metadata)
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "volume.update", "volume", volume.id, volume.project_id)
            uow.commit()
            return info(uow, volume)

    def set_metadata(self, ctx: RequestContext, volume_id: str, metadata: dict[str, str],
                     replace: bool = False) -> dict[str, str]:
        """POST .../metadata merges; PUT replaces the whole set."""
        self.require_user(ctx)
        if not check_metadata(metadata):
            raise ValidationError(VolumeFault.METADATA_INVALID)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:update", volume_target(volume), "volume",
                         volume.id)
            volume.metadata = dict(metadata) if replace else {**volume.metadata, **metadata}
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "volume.metadata.set", "volume", volume.id,
                        volume.project_id, {"keys": sorted(metadata)})
            uow.commit()
            return dict(volume.metadata)

    def delete_metadata(self, ctx: RequestContext, volume_id: str, key: str) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:update", volume_target(volume), "volume",
                         volume.id)
            if key not in volume.metadata:
                raise NotFound("metadata", key)
            volume.metadata = {k: v for k, v in volume.metadata.items() if k != key}
            self.audit(uow, ctx, "volume.metadata.delete", "volume", volume.id,
                        volume.project_id, {"key": key})
            uow.commit()

    # -- delete -----------------------------------------------------------------------
    def delete(self, ctx: RequestContext, volume_id: str, cascade: bool = False,
               force: bool = False) -> None:
        """Cinder's delete: refused while attached or with snapshots (unless `cascade`,
        which deletes them too); `force` (os-force_delete, admins) takes any status but
        an attached one."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            row = "volume:volume:force_delete" if force else "volume:volume:delete"
            self.enforce(uow, ctx, row, volume_target(volume), "volume", volume.id)
            attached = (volume.attach_status != AttachStatus.DETACHED
                        or uow.volume_attachments.first(volume_id=volume.id) is not None)
            allowed = FORCE_DELETABLE if force else DELETABLE
            if attached or volume.status in (VolumeStatus.IN_USE, VolumeStatus.ATTACHING,
                                             VolumeStatus.DETACHING):
                raise ValidationError(VolumeFault.VOLUME_IN_USE, volume_id=volume.id)
            if volume.status not in allowed:
                raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                                      status=volume.status, action="delete")
            # The agent still reads it: a clone being made from it, a backup being taken.
            busy = (uow.volumes.first(source_volume_id=volume.id,
                                      status=VolumeStatus.CREATING.value) is not None
                    or uow.volume_backups.first(volume_id=volume.id,
                                                status=BackupStatus.CREATING.value) is not None)
            if busy and not force:
                raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                                      status=volume.status, action="delete")
            snaps = uow.volume_snapshots.find(volume_id=volume.id)
            if snaps and not cascade:
                raise ValidationError(VolumeFault.VOLUME_HAS_SNAPSHOTS, volume_id=volume.id)
            for snap in snaps:
                if snap.status not in SNAPSHOT_DELETABLE and not force:
                    raise ValidationError(VolumeFault.SNAPSHOT_INVALID_STATUS,
                                          snapshot_id=snap.id, status=snap.status)
            # The volume's snapshots live inside its file: they go with it.
            for snap in snaps:
                snap.status = SnapshotStatus.DELETING.value
            volume.status = VolumeStatus.DELETING.value
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "volume.delete", "volume", volume.id, volume.project_id,
                        {"cascade": cascade, "force": force})
            uow.commit()
        self.wake([volume.host])
