"""POST /volumes/{id}/action: extend, bootable and read-only flags, Cinder's legacy
attach bookkeeping (os-reserve ... os-detach, for callers other than Nova: Nova goes
through compute_binding.py), and the administrator's status reset.

Extending an available volume is the volume agent's work (status `extending` until it
records `Extended`); an attached one is the compute agent's (the guest's QEMU holds the
file: `resize_to` on its assignment); either way the volume is `extending` until the
outcome, then `available` or `in-use` again.
"""

from __future__ import annotations

import uuid

from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.volume import (
    AttachStatus,
    SnapshotStatus,
    Volume,
    VolumeAttachment,
    VolumeStatus,
)
from nuage.domain.volume_errors import VolumeFault
from nuage.services.volume.base import VolumePorts, VolumeUseCases, check_size, volume_target
from nuage.services.volume.quotas import VolumeQuotaService
from nuage.services.volume.volumes import VolumeInfo, info


def _require(volume: Volume, action: str, *statuses: VolumeStatus) -> None:
    if volume.status not in statuses:
        raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                              status=volume.status, action=action)


class VolumeActionService(VolumeUseCases):
    def __init__(self, ports: VolumePorts, quotas: VolumeQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    def extend(self, ctx: RequestContext, volume_id: str, new_size: int,
               allow_attached: bool = False) -> VolumeInfo:
        """Grow to `new_size` GiB (larger only). Attached volumes from microversion 3.42
        (`allow_attached`)."""
        self.require_user(ctx)
        check_size(new_size)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:extend", volume_target(volume), "volume",
                         volume.id)
            if volume.status == VolumeStatus.IN_USE and not allow_attached:
                raise ValidationError(VolumeFault.EXTEND_ATTACHED_UNSUPPORTED,
                                      volume_id=volume.id)
            _require(volume, "extend", VolumeStatus.AVAILABLE, VolumeStatus.IN_USE)
            if new_size <= volume.size:
                raise ValidationError(VolumeFault.EXTEND_NOT_LARGER, size=new_size,
                                      current=volume.size)
            vtype = uow.volume_types.get(volume.volume_type_id)
            self.quotas.check(uow, volume.project_id, vtype.name if vtype else "",
                              gigabytes=new_size - volume.size)
            attached = volume.status == VolumeStatus.IN_USE
            volume.status = VolumeStatus.EXTENDING.value
            volume.resize_to = new_size
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "volume.extend", "volume", volume.id, volume.project_id,
                        {"from": volume.size, "to": new_size, "attached": attached})
            uow.commit()
            result = info(uow, volume)
        self.wake([volume.host])
        return result

    def set_bootable(self, ctx: RequestContext, volume_id: str, bootable: bool) -> None:
        self._flag(ctx, volume_id, "set_bootable", bootable=bootable)

    def update_readonly(self, ctx: RequestContext, volume_id: str, readonly: bool) -> None:
        self._flag(ctx, volume_id, "update", readonly=readonly)

    def _flag(self, ctx: RequestContext, volume_id: str, verb: str, **flags: bool) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, f"volume:volume:{verb}", volume_target(volume), "volume",
                         volume.id)
            for key, value in flags.items():
                setattr(volume, key, value)
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "volume.update", "volume", volume.id, volume.project_id,
                        dict(flags))
            uow.commit()

    # -- Cinder's legacy attach bookkeeping -----------------------------------------------
    def _move(self, ctx: RequestContext, volume_id: str, verb: str,
              from_: tuple[VolumeStatus, ...], to: VolumeStatus,
              attach_status: AttachStatus | None = None) -> None:
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:attach", volume_target(volume), "volume",
                         volume.id)
            _require(volume, verb, *from_)
            volume.status = to.value
            if attach_status is not None:
                volume.attach_status = attach_status.value
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, f"volume.{verb}", "volume", volume.id, volume.project_id)
            uow.commit()

    def reserve(self, ctx: RequestContext, volume_id: str) -> None:
        self._move(ctx, volume_id, "reserve", (VolumeStatus.AVAILABLE,),
                   VolumeStatus.ATTACHING)

    def unreserve(self, ctx: RequestContext, volume_id: str) -> None:
        self._move(ctx, volume_id, "unreserve", (VolumeStatus.ATTACHING,
                                                 VolumeStatus.RESERVED),
                   VolumeStatus.AVAILABLE)

    def begin_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        self._move(ctx, volume_id, "begin_detaching", (VolumeStatus.IN_USE,),
                   VolumeStatus.DETACHING)

    def roll_detaching(self, ctx: RequestContext, volume_id: str) -> None:
        self._move(ctx, volume_id, "roll_detaching", (VolumeStatus.DETACHING,),
                   VolumeStatus.IN_USE)

    def attach(self, ctx: RequestContext, volume_id: str, instance_uuid: str | None,
               host_name: str | None, mountpoint: str | None, mode: str = "rw") -> None:
        """os-attach: the caller attached it itself; recorded as an attachment (in-use)."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:attach", volume_target(volume), "volume",
                         volume.id)
            _require(volume, "attach", VolumeStatus.AVAILABLE, VolumeStatus.ATTACHING,
                     VolumeStatus.RESERVED)
            if instance_uuid is not None and uow.volume_attachments.first(
                    volume_id=volume.id, server_id=instance_uuid) is not None:
                raise ValidationError(VolumeFault.ALREADY_ATTACHED, volume_id=volume.id,
                                      server_id=instance_uuid)
            now = self.p.clock.now()
            uow.volume_attachments.add(VolumeAttachment(
                id=str(uuid.uuid4()), volume_id=volume.id, project_id=volume.project_id,
                created_at=now, updated_at=now, status=AttachStatus.ATTACHED.value,
                server_id=instance_uuid, host=host_name, device=mountpoint,
                attach_mode=mode, attached_at=now))
            volume.status = VolumeStatus.IN_USE.value
            volume.attach_status = AttachStatus.ATTACHED.value
            volume.updated_at = now
            self.audit(uow, ctx, "volume.attach", "volume", volume.id, volume.project_id,
                        {"server_id": instance_uuid, "host": host_name})
            uow.commit()

    def detach(self, ctx: RequestContext, volume_id: str,
               attachment_id: str | None = None) -> None:
        """os-detach: the caller detached it; the attachment goes (all of them when none
        is named), and the volume is available again when none remains."""
        self.require_user(ctx)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:attach", volume_target(volume), "volume",
                         volume.id)
            _require(volume, "detach", VolumeStatus.IN_USE, VolumeStatus.DETACHING)
            rows = uow.volume_attachments.find(volume_id=volume.id)
            if attachment_id is not None:
                rows = [a for a in rows if a.id == attachment_id]
                if not rows:
                    raise NotFound("attachment", attachment_id)
            for row in rows:
                uow.volume_attachments.delete(row)
            if uow.volume_attachments.first(volume_id=volume.id) is None:
                volume.status = VolumeStatus.AVAILABLE.value
                volume.attach_status = AttachStatus.DETACHED.value
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "volume.detach", "volume", volume.id, volume.project_id)
            uow.commit()

    # -- administrators ---------------------------------------------------------------
    def reset_status(self, ctx: RequestContext, volume_id: str, status: str | None,
                     attach_status: str | None = None) -> None:
        """os-reset_status: set the status by hand (no transition check: it is the way
        out of a state nothing else leaves)."""
        self.require_user(ctx)
        if status is not None and status not in set(VolumeStatus):
            raise ValidationError(VolumeFault.STATUS_UNKNOWN, status=status)
        if attach_status is not None and attach_status not in set(AttachStatus):
            raise ValidationError(VolumeFault.STATUS_UNKNOWN, status=attach_status)
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self.enforce(uow, ctx, "volume:volume:reset_status", volume_target(volume),
                         "volume", volume.id)
            before = volume.status
            if status is not None:
                volume.status = status
                volume.resize_to = None
                volume.upload_image_id = None
                volume.upload_snapshot_id = None
            if attach_status is not None:
                volume.attach_status = attach_status
            volume.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "volume.reset_status", "volume", volume.id,
                        volume.project_id, {"from": before, "to": status,
                                            "attach_status": attach_status})
            uow.commit()
        self.wake([volume.host])

    def reset_snapshot_status(self, ctx: RequestContext, snapshot_id: str, status: str
                              ) -> None:
        self.require_user(ctx)
        if status not in set(SnapshotStatus):
            raise ValidationError(VolumeFault.STATUS_UNKNOWN, status=status)
        with self.p.uow(write=True) as uow:
            snap = self.find_snapshot(uow, ctx, snapshot_id, for_update=True)
            self.enforce(uow, ctx, "volume:snapshot:reset_status", volume_target(snap),
                         "snapshot", snap.id)
            snap.status = status
            snap.updated_at = self.p.clock.now()
            self.audit(uow, ctx, "snapshot.reset_status", "snapshot", snap.id,
                        snap.project_id, {"to": status})
            uow.commit()
