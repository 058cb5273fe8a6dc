"""Compute's ServerVolumes port (ports/compute_volumes.py), served by the volume use
cases: Nova's os-volume_attachments, boot from volume and the compute agent's hot-plug
meet the volume service here. Everything is written in the caller's unit of work, so a
refused or crashed server request leaves neither its volumes' reservations nor itself.

The attachment row is the one truth about who holds a volume (Cinder's attachment and
Nova's block device mapping): device, tag, delete_on_termination and boot index live
on it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable

from nuage.domain import policy
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.domain.volume import (
    AttachStatus,
    Snapshot,
    SnapshotStatus,
    Volume,
    VolumeAttachment,
    VolumeStatus,
)
from nuage.ports import compute_volumes as port
from nuage.ports.block_devices import VolumeConnection
from nuage.ports.repositories import UnitOfWork
from nuage.services.volume.base import VolumePorts, VolumeUseCases, check_size, volume_target
from nuage.services.volume.quotas import VolumeQuotaService

log = logging.getLogger(__name__)

GIB = 1 << 30
ROOT_DEVICE = "/dev/vda"


def _device(index: int) -> str:
    """/dev/vda, /dev/vdb, ... /dev/vdz, /dev/vdaa ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"/dev/vd{letters}"


def _next_device(taken: Iterable[str | None]) -> str:
    used = {d for d in taken if d}
    i = 1                       # /dev/vda is the root disk's
    while _device(i) in used:
        i += 1
    return _device(i)


class VolumeComputeBinding(VolumeUseCases):
    def __init__(self, ports: VolumePorts, quotas: VolumeQuotaService) -> None:
        super().__init__(ports)
        self.quotas = quotas

    # -- create ---------------------------------------------------------------------------
    def source_image(self, ctx: RequestContext, volume_id: str) -> str | None:
        with self.p.uow() as uow:
            try:
                volume = self.find_volume(uow, ctx, volume_id)
            except NotFound:
                return None  # check() words the refusal
            # A clone keeps its source's volume_image_metadata, image_id included.
            return volume.source_image_id or volume.image_metadata.get("image_id")

    def _usable(self, uow: UnitOfWork, ctx: RequestContext, volume_id: str) -> Volume:
        try:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
        except NotFound:
            # Nova answers 400 for a block device mapping naming an unknown volume.
            raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                                  problem=f"failed to get volume {volume_id}.") from None
        if volume.status != VolumeStatus.AVAILABLE:
            raise ValidationError(ComputeFault.SERVER_VOLUME_UNAVAILABLE, volume_id=volume.id,
                                  status=volume.status)
        return volume

    def _new_size(self, ctx: RequestContext, uow: UnitOfWork, r: port.VolumeRequest
                  ) -> int:
        minimum = 1
        if r.source == "image" and r.uuid is not None:
            if self.p.images is None:
                raise NotFound("image", r.uuid)
            image = self.p.images.describe(ctx, r.uuid)
            minimum = max(1, image.min_disk, -(-(image.size or 0) // GIB))
        elif r.source == "snapshot" and r.uuid is not None:
            snap = self.find_snapshot(uow, ctx, r.uuid)
            if snap.status != SnapshotStatus.AVAILABLE:
                raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                                      problem=f"snapshot {snap.id} is {snap.status}.")
            minimum = snap.size
        size = check_size(r.volume_size if r.volume_size is not None else minimum)
        if size < minimum:
            raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                                  problem=f"volume size {size} GB is smaller than the "
                                          f"{minimum} GB its source needs.")
        return size

    def check(self, uow: UnitOfWork, ctx: RequestContext,
              requests: tuple[port.VolumeRequest, ...], count: int) -> None:
        project = self.project_of(ctx)
        gigabytes = volumes = 0
        for r in requests:
            if r.source == "volume":
                if r.uuid is None:
                    raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                                          problem="a volume mapping names no volume.")
                if count > 1:
                    # One existing volume cannot boot several servers.
                    raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                                          problem="a volume cannot boot several servers.")
                self._usable(uow, ctx, r.uuid)
            else:
                gigabytes += self._new_size(ctx, uow, r) * count
                volumes += count
        if volumes:
            vtype = self.default_type(uow)
            self.quotas.check(uow, project, vtype.name, volumes=volumes, gigabytes=gigabytes)

    def prepare(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                project_id: str, host: str, requests: tuple[port.VolumeRequest, ...]
                ) -> list[port.ServerVolume]:
        ordered = sorted(requests, key=lambda r: (r.boot_index is None or r.boot_index < 0,
                                                  r.boot_index or 0))
        made: list[tuple[VolumeAttachment, Volume]] = []
        devices: list[str] = []
        now = self.p.clock.now()
        for r in ordered:
            if r.source == "volume" and r.uuid is not None:
                volume = self._usable(uow, ctx, r.uuid)
            else:
                size = self._new_size(ctx, uow, r)
                vtype = (self.find_type(uow, r.volume_type) if r.volume_type
                         else self.default_type(uow))
                self.quotas.check(uow, project_id, vtype.name, volumes=1, gigabytes=size)
                snap = (uow.volume_snapshots.get(r.uuid)
                        if r.source == "snapshot" and r.uuid else None)
                volume = Volume(
                    id=str(uuid.uuid4()), project_id=project_id, user_id=ctx.user_id or "",
                    size=size, volume_type_id=vtype.id, created_at=now, updated_at=now,
                    host=self.p.config.host, wrapped_key=self.new_key(project_id),
                    availability_zone=self.p.config.availability_zone,
                    source_image_id=r.uuid if r.source == "image" else None,
                    source_snapshot_id=snap.id if snap else None,
                    source_volume_id=snap.volume_id if snap else None)
                uow.volumes.add(volume)
                self.audit(uow, ctx, "volume.create", "volume", volume.id, project_id,
                            {"size": size, "server_id": server_id})
            boot = r.boot_index == 0
            device = r.device_name or (ROOT_DEVICE if boot else _next_device(
                [ROOT_DEVICE, *devices]))
            devices.append(device)
            attachment = self._attach(uow, volume, server_id, host, device, r.tag,
                                      r.delete_on_termination, r.boot_index)
            made.append((attachment, volume))
        return [self._view(uow, a, v) for a, v in made]

    def _attach(self, uow: UnitOfWork, volume: Volume, server_id: str, host: str,
                device: str, tag: str | None, delete_on_termination: bool,
                boot_index: int | None) -> VolumeAttachment:
        now = self.p.clock.now()
        attachment = VolumeAttachment(
            id=str(uuid.uuid4()), volume_id=volume.id, project_id=volume.project_id,
            created_at=now, updated_at=now, status=AttachStatus.ATTACHING.value,
            server_id=server_id, host=host, device=device, tag=tag,
            delete_on_termination=delete_on_termination, boot_index=boot_index)
        uow.volume_attachments.add(attachment)
        if volume.status == VolumeStatus.AVAILABLE:
            volume.status = VolumeStatus.ATTACHING.value
        volume.attach_status = AttachStatus.ATTACHING.value
        volume.updated_at = now
        return attachment

    # -- os-volume_attachments --------------------------------------------------------------
    def reserve(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                project_id: str, host: str, volume_id: str, device: str | None = None,
                tag: str | None = None, delete_on_termination: bool = False
                ) -> port.ServerVolume:
        try:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
        except NotFound:
            raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NOT_FOUND,
                           volume_id=volume_id) from None
        self.enforce(uow, ctx, "volume:volume:attach", volume_target(volume), "volume",
                     volume.id)
        if uow.volume_attachments.first(volume_id=volume.id, server_id=server_id):
            raise ValidationError(ComputeFault.SERVER_VOLUME_ALREADY_ATTACHED,
                                  volume_id=volume.id)
        if volume.status != VolumeStatus.AVAILABLE:
            raise ValidationError(ComputeFault.SERVER_VOLUME_UNAVAILABLE, volume_id=volume.id,
                                  status=volume.status)
        taken = [a.device for a in uow.volume_attachments.find(server_id=server_id)]
        attachment = self._attach(uow, volume, server_id, host,
                                  device or _next_device([ROOT_DEVICE, *taken]), tag,
                                  delete_on_termination, None)
        self.audit(uow, ctx, "volume.attach", "volume", volume.id, volume.project_id,
                    {"server_id": server_id})
        return self._view(uow, attachment, volume)

    def _held(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, volume_id: str
              ) -> tuple[VolumeAttachment, Volume]:
        attachment = uow.volume_attachments.first(volume_id=volume_id, server_id=server_id)
        volume = uow.volumes.get_for_update(volume_id)
        if attachment is None or volume is None or not policy.may(
                ctx, "volume:volume:get", volume_target(volume)):
            raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NOT_ATTACHED,
                           volume_id=volume_id)
        return attachment, volume

    def begin_detach(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                     volume_id: str) -> port.ServerVolume:
        attachment, volume = self._held(uow, ctx, server_id, volume_id)
        self.enforce(uow, ctx, "volume:volume:attach", volume_target(volume), "volume",
                     volume.id)
        if attachment.boot_index == 0:
            raise ValidationError(ComputeFault.SERVER_VOLUME_ROOT_DETACH)
        # As Cinder's begin_detaching: only an in-use volume (one uploading to an image
        # or extending through the guest keeps its file open until that is recorded).
        if (attachment.status != AttachStatus.ATTACHED
                or volume.status != VolumeStatus.IN_USE):
            raise ValidationError(ComputeFault.SERVER_VOLUME_UNAVAILABLE, volume_id=volume.id,
                                  status=volume.status)
        now = self.p.clock.now()
        attachment.status = AttachStatus.DETACHING.value
        attachment.updated_at = now
        volume.status = VolumeStatus.DETACHING.value
        volume.attach_status = AttachStatus.DETACHING.value
        volume.updated_at = now
        self.audit(uow, ctx, "volume.detach", "volume", volume.id, volume.project_id,
                    {"server_id": server_id})
        return self._view(uow, attachment, volume)

    def update(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
               volume_id: str, delete_on_termination: bool | None = None
               ) -> port.ServerVolume:
        attachment, volume = self._held(uow, ctx, server_id, volume_id)
        self.enforce(uow, ctx, "volume:volume:attach", volume_target(volume), "volume",
                     volume.id)
        if delete_on_termination is not None:
            attachment.delete_on_termination = delete_on_termination
            attachment.updated_at = self.p.clock.now()
        return self._view(uow, attachment, volume)

    # -- createImage of a volume-backed server -----------------------------------------------
    def snapshot(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, name: str
                 ) -> list[port.VolumeSnapshotTaken]:
        """As Nova's snapshot_volume_backed asks Cinder (create_snapshot_force): one
        snapshot per volume, taken by the compute agent (in use) or the volume agent."""
        taken: list[port.VolumeSnapshotTaken] = []
        now = self.p.clock.now()
        attachments = sorted(uow.volume_attachments.find(server_id=server_id),
                             key=lambda a: (a.boot_index != 0, a.device or ""))
        for a in attachments:
            volume = uow.volumes.get_for_update(a.volume_id)
            if volume is None:
                continue
            self.enforce(uow, ctx, "volume:snapshot:create", volume_target(volume),
                         "snapshot", None)
            if volume.status not in (VolumeStatus.AVAILABLE, VolumeStatus.IN_USE):
                raise ValidationError(ComputeFault.SERVER_VOLUME_UNAVAILABLE,
                                      volume_id=volume.id, status=volume.status)
            vtype = uow.volume_types.get(volume.volume_type_id)
            self.quotas.check(uow, volume.project_id, vtype.name if vtype else "",
                              snapshots=1, gigabytes=volume.size)
            snap = Snapshot(id=str(uuid.uuid4()), project_id=volume.project_id,
                            user_id=ctx.user_id or "", volume_id=volume.id, size=volume.size,
                            created_at=now, updated_at=now, name=name,
                            description=volume.description or "",
                            forced=volume.status == VolumeStatus.IN_USE)
            uow.volume_snapshots.add(snap)
            self.audit(uow, ctx, "snapshot.create", "snapshot", snap.id, snap.project_id,
                        {"volume_id": volume.id, "force": True, "server_id": server_id})
            taken.append(port.VolumeSnapshotTaken(
                snapshot_id=snap.id, volume_id=volume.id, size_gb=volume.size,
                device=a.device or "", boot_index=a.boot_index,
                delete_on_termination=a.delete_on_termination, tag=a.tag))
        return taken

    # -- views ------------------------------------------------------------------------------
    def describe(self, uow: UnitOfWork, server_ids: Iterable[str],
                 for_agent: bool = False) -> dict[str, list[port.ServerVolume]]:
        ids = list(server_ids)
        if not ids:
            return {}
        out: dict[str, list[port.ServerVolume]] = defaultdict(list)
        for a in uow.volume_attachments.find(server_id=ids):
            volume = uow.volumes.get(a.volume_id)
            if volume is None or a.server_id is None:
                continue
            out[a.server_id].append(self._view(uow, a, volume, for_agent))
        for views in out.values():
            views.sort(key=lambda v: (v.boot_index != 0, v.device))
        return dict(out)

    def _view(self, uow: UnitOfWork, a: VolumeAttachment, v: Volume,
              for_agent: bool = False) -> port.ServerVolume:
        view = port.ServerVolume(
            attachment_id=a.id, volume_id=v.id, server_id=a.server_id or "",
            device=a.device or "", status=a.status, size_gb=v.size, tag=a.tag,
            delete_on_termination=a.delete_on_termination, boot_index=a.boot_index)
        if not for_agent:
            return view
        ready = v.status not in (VolumeStatus.CREATING, VolumeStatus.ERROR)
        connection: VolumeConnection | None = None
        if ready and self.p.connect is not None:
            try:
                connection = self.p.connect(v.host, v.id)
            except Exception:
                log.exception("no connection for volume %s on %s", v.id, v.host)
                ready = False
        snaps = sorted(uow.volume_snapshots.find(volume_id=v.id), key=lambda s: s.created_at)
        forced = [s for s in snaps if s.forced and s.status == SnapshotStatus.CREATING]
        # The guest's QEMU holds the file: every snapshot of it being deleted is its work
        # (the volume agent leaves attached volumes alone).
        doomed = [s for s in snaps if s.status == SnapshotStatus.DELETING]
        return port.ServerVolume(
            attachment_id=view.attachment_id, volume_id=v.id, server_id=view.server_id,
            device=view.device, status=a.status, size_gb=v.size, tag=a.tag,
            delete_on_termination=a.delete_on_termination, boot_index=a.boot_index,
            connection=connection, key=self.key_of(v.project_id, v.wrapped_key),
            resize_to=(v.resize_to if v.status == VolumeStatus.EXTENDING else None),
            snapshots=tuple(s.id for s in forced),
            delete_snapshots=tuple(s.id for s in doomed), ready=ready)

    # -- the compute agent's outcomes -------------------------------------------------------
    def record(self, uow: UnitOfWork, attachment_id: str, expected_status: str,
               outcome: port.VolumeOutcome) -> bool:
        a = uow.volume_attachments.get_for_update(attachment_id)
        if a is None or a.status != expected_status:
            return False
        volume = uow.volumes.get_for_update(a.volume_id)
        if volume is None:
            return False
        now = self.p.clock.now()
        if isinstance(outcome, port.Attached):
            a.status = AttachStatus.ATTACHED.value
            a.device = outcome.device or a.device
            a.attached_at = now
            volume.status = VolumeStatus.IN_USE.value
            volume.attach_status = AttachStatus.ATTACHED.value
        elif isinstance(outcome, port.AttachFailed | port.Detached):
            uow.volume_attachments.delete(a)
            self._settle(uow, volume)
        elif isinstance(outcome, port.Resized):
            volume.size = outcome.size_gb
            volume.resize_to = None
            if volume.status == VolumeStatus.EXTENDING:
                volume.status = VolumeStatus.IN_USE.value
        elif isinstance(outcome, port.SnapshotTaken):
            snap = uow.volume_snapshots.get_for_update(outcome.snapshot_id)
            if snap is None or snap.volume_id != volume.id:
                return False
            snap.status = SnapshotStatus.AVAILABLE.value
            snap.progress = "100%"
            snap.updated_at = now
        elif isinstance(outcome, port.SnapshotDeleted):
            snap = uow.volume_snapshots.get_for_update(outcome.snapshot_id)
            if (snap is None or snap.volume_id != volume.id
                    or snap.status != SnapshotStatus.DELETING):
                return False
            uow.volume_snapshots.delete(snap)
        else:
            return False
        a.updated_at = now
        volume.updated_at = now
        return True

    @staticmethod
    def _settle(uow: UnitOfWork, volume: Volume) -> None:
        """The volume's status once an attachment went: in-use while another remains,
        else available (a volume being created or deleted keeps its status)."""
        if uow.volume_attachments.first(volume_id=volume.id) is not None:
            return
        volume.attach_status = AttachStatus.DETACHED.value
        if volume.status in (VolumeStatus.ATTACHING, VolumeStatus.IN_USE,
                             VolumeStatus.DETACHING, VolumeStatus.RESERVED):
            volume.status = VolumeStatus.AVAILABLE.value

    def release(self, uow: UnitOfWork, server_id: str) -> None:
        """The server's guest is gone: its attachments go, its volumes are available
        again, and those marked delete_on_termination start deleting (the volume agent's
        next pass removes them)."""
        now = self.p.clock.now()
        for a in uow.volume_attachments.find(server_id=server_id):
            volume = uow.volumes.get_for_update(a.volume_id)
            uow.volume_attachments.delete(a)
            if volume is None:
                continue
            self._settle(uow, volume)
            if a.delete_on_termination and volume.status in (VolumeStatus.AVAILABLE,
                                                             VolumeStatus.ERROR,
                                                             VolumeStatus.CREATING):
                for snap in uow.volume_snapshots.find(volume_id=volume.id):
                    snap.status = SnapshotStatus.DELETING.value
                volume.status = VolumeStatus.DELETING.value
            volume.updated_at = now
