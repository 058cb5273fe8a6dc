"""In-memory twins of ServerVolumes (the volume service's side of compute's volumes) and
GuestDisks (the hypervisor's), for testing compute's use cases, its adapter and its
reconciler. The real ones are services/volume/compute_binding.py and the QEMU driver.

MemoryServerVolumes ignores the unit of work it is given: a write it makes stays even
if the caller's transaction rolls back (the real one writes in the caller's).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.ports.block_devices import (
    GIB,
    BlockReader,
    BlockWriter,
    Source,
    StoredVolume,
    VolumeConnection,
    VolumeKey,
)
from nuage.ports.compute_volumes import (
    Attached,
    AttachFailed,
    Detached,
    Resized,
    ServerVolume,
    SnapshotDeleted,
    SnapshotTaken,
    VolumeOutcome,
    VolumeRequest,
    VolumeSnapshotTaken,
)
from nuage.ports.guest_disks import VolumeDisk
from nuage.ports.hypervisor import GuestNotFound, HypervisorError, PowerState
from nuage.ports.repositories import UnitOfWork


@dataclass
class MemoryVolume:
    id: str
    project_id: str
    size_gb: int = 1
    status: str = "available"
    ready: bool = True
    resize_to: int | None = None
    snapshots: list[str] = field(default_factory=list)
    delete_snapshots: list[str] = field(default_factory=list)
    deleted: bool = False
    image_id: str | None = None


class MemoryServerVolumes:
    def __init__(self) -> None:
        self.volumes: dict[str, MemoryVolume] = {}
        self.attachments: dict[str, ServerVolume] = {}
        self.released: list[str] = []
        # The snapshots new volumes were made from (source "snapshot").
        self.made_from: set[str] = set()

    # -- what a test sets up ---------------------------------------------------------------
    def add(self, project_id: str, size_gb: int = 1, volume_id: str | None = None,
            image_id: str | None = None) -> str:
        volume = MemoryVolume(volume_id or str(uuid.uuid4()), project_id, size_gb,
                              image_id=image_id)
        self.volumes[volume.id] = volume
        return volume.id

    def of(self, volume_id: str) -> ServerVolume | None:
        for found in self.attachments.values():
            if found.volume_id == volume_id:
                return found
        return None

    # -- the port ---------------------------------------------------------------------------
    def source_image(self, ctx: RequestContext, volume_id: str) -> str | None:
        volume = self.volumes.get(volume_id)
        return volume.image_id if volume and volume.project_id == ctx.project_id else None

    def check(self, uow: UnitOfWork, ctx: RequestContext,
              requests: tuple[VolumeRequest, ...], count: int) -> None:
        for request in requests:
            if request.source != "volume":
                continue
            volume = self._visible(ctx, str(request.uuid))
            if volume.status != "available":
                raise ValidationError(ComputeFault.SERVER_VOLUME_UNAVAILABLE,
                                      volume_id=volume.id, status=volume.status)
            if count > 1:
                raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                                      problem="a volume cannot boot several servers")

    def prepare(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                project_id: str, host: str, requests: tuple[VolumeRequest, ...]
                ) -> list[ServerVolume]:
        ordered = sorted(requests, key=lambda r: (r.boot_index is None or r.boot_index < 0,
                                                  r.boot_index or 0))
        made = []
        for index, request in enumerate(ordered):
            if request.source == "volume":
                volume = self._visible(ctx, str(request.uuid))
            else:
                if request.source == "snapshot" and request.uuid:
                    self.made_from.add(request.uuid)
                volume = MemoryVolume(str(uuid.uuid4()), project_id,
                                      request.volume_size or 1, status="creating",
                                      ready=False)
                self.volumes[volume.id] = volume
            made.append(self._attach(volume, server_id, f"/dev/vd{chr(ord('a') + index)}",
                                     request.tag, request.delete_on_termination,
                                     request.boot_index))
        return made

    def reserve(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                project_id: str, host: str, volume_id: str, device: str | None = None,
                tag: str | None = None, delete_on_termination: bool = False
                ) -> ServerVolume:
        volume = self._visible(ctx, volume_id)
        mine = [a for a in self.attachments.values() if a.server_id == server_id]
        if any(a.volume_id == volume_id for a in mine):
            raise ValidationError(ComputeFault.SERVER_VOLUME_ALREADY_ATTACHED,
                                  volume_id=volume_id)
        if volume.status != "available":
            raise ValidationError(ComputeFault.SERVER_VOLUME_UNAVAILABLE,
                                  volume_id=volume_id, status=volume.status)
        taken = {a.device for a in mine}
        letter = next(c for c in "bcdefghijklmnopqrstuvwxyz" if f"/dev/vd{c}" not in taken)
        return self._attach(volume, server_id, f"/dev/vd{letter}", tag,
                            delete_on_termination, None)

    def begin_detach(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                     volume_id: str) -> ServerVolume:
        found = self._attached(server_id, volume_id)
        if found.boot_index == 0:
            raise ValidationError(ComputeFault.SERVER_VOLUME_ROOT_DETACH)
        found = replace(found, status="detaching")
        self.attachments[found.attachment_id] = found
        self.volumes[volume_id].status = "detaching"
        return found

    def update(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
               volume_id: str, delete_on_termination: bool | None = None) -> ServerVolume:
        found = self._attached(server_id, volume_id)
        if delete_on_termination is not None:
            found = replace(found, delete_on_termination=delete_on_termination)
            self.attachments[found.attachment_id] = found
        return found

    def describe(self, uow: UnitOfWork, server_ids: Iterable[str],
                 for_agent: bool = False) -> dict[str, list[ServerVolume]]:
        wanted = set(server_ids)
        out: dict[str, list[ServerVolume]] = {}
        for a in sorted(self.attachments.values(),
                        key=lambda a: (a.boot_index != 0, a.device)):
            if a.server_id not in wanted:
                continue
            volume = self.volumes[a.volume_id]
            shown = replace(a, size_gb=volume.size_gb, ready=volume.ready)
            if for_agent:
                shown = replace(shown, connection=VolumeConnection(
                    Path(f"/volumes/{a.volume_id}.qcow2")),
                    key=b"k" * 32, resize_to=volume.resize_to,
                    snapshots=tuple(volume.snapshots),
                    delete_snapshots=tuple(volume.delete_snapshots))
            out.setdefault(a.server_id, []).append(shown)
        return out

    def record(self, uow: UnitOfWork, attachment_id: str, expected_status: str,
               outcome: VolumeOutcome) -> bool:
        found = self.attachments.get(attachment_id)
        if found is None or found.status != expected_status:
            return False
        volume = self.volumes[found.volume_id]
        match outcome:
            case Attached(device=device):
                self.attachments[attachment_id] = replace(found, status="attached",
                                                          device=device)
                volume.status = "in-use"
            case AttachFailed() | Detached():
                del self.attachments[attachment_id]
                volume.status = "available"
            case Resized(size_gb=size):
                volume.size_gb, volume.resize_to = size, None
            case SnapshotTaken(snapshot_id=snapshot_id):
                volume.snapshots.remove(snapshot_id)
            case SnapshotDeleted(snapshot_id=snapshot_id):
                volume.delete_snapshots.remove(snapshot_id)
        return True

    def snapshot(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, name: str
                 ) -> list[VolumeSnapshotTaken]:
        taken = []
        for a in sorted((a for a in self.attachments.values() if a.server_id == server_id),
                        key=lambda a: (a.boot_index != 0, a.device)):
            snapshot_id = str(uuid.uuid4())
            self.volumes[a.volume_id].snapshots.append(snapshot_id)
            taken.append(VolumeSnapshotTaken(snapshot_id, a.volume_id, a.size_gb, a.device,
                                             a.boot_index, a.delete_on_termination, a.tag))
        return taken

    def release(self, uow: UnitOfWork, server_id: str) -> None:
        self.released.append(server_id)
        for a in [a for a in self.attachments.values() if a.server_id == server_id]:
            del self.attachments[a.attachment_id]
            volume = self.volumes[a.volume_id]
            volume.status = "available"
            if a.delete_on_termination:
                volume.deleted = True
                del self.volumes[a.volume_id]

    # -- helpers ----------------------------------------------------------------------------
    def _visible(self, ctx: RequestContext, volume_id: str) -> MemoryVolume:
        volume = self.volumes.get(volume_id)
        if volume is None or volume.project_id != ctx.project_id:
            raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NOT_FOUND,
                           volume_id=volume_id)
        return volume

    def _attached(self, server_id: str, volume_id: str) -> ServerVolume:
        for a in self.attachments.values():
            if a.server_id == server_id and a.volume_id == volume_id:
                return a
        raise NotFound("volume", volume_id, ComputeFault.SERVER_VOLUME_NOT_ATTACHED,
                       volume_id=volume_id)

    def _attach(self, volume: MemoryVolume, server_id: str, device: str, tag: str | None,
                delete_on_termination: bool, boot_index: int | None) -> ServerVolume:
        made = ServerVolume(attachment_id=str(uuid.uuid4()), volume_id=volume.id,
                            server_id=server_id, device=device, status="attaching",
                            size_gb=volume.size_gb, tag=tag,
                            delete_on_termination=delete_on_termination,
                            boot_index=boot_index, ready=volume.ready)
        self.attachments[made.attachment_id] = made
        if volume.status == "available":
            volume.status = "attaching"
        return made


class MemoryGuestDisks:
    """GuestDisks over a MemoryHypervisor's guests (`states`: guest id -> power state)."""

    def __init__(self, states: dict[str, PowerState]) -> None:
        self._states = states
        self.disks: dict[str, dict[str, int]] = {}
        self.keys: dict[str, tuple[str, ...]] = {}
        self.calls: list[tuple[str, str]] = []
        self.refuse: str | None = None
        self.stuck = False

    def _guest(self, guest_id: str) -> dict[str, int]:
        if guest_id not in self._states:
            raise GuestNotFound(guest_id)
        return self.disks.setdefault(guest_id, {})

    def _running(self, guest_id: str) -> None:
        if self._states.get(guest_id) not in (PowerState.RUNNING, PowerState.PAUSED):
            raise HypervisorError(f"guest {guest_id} is not running")

    def volumes(self, guest_id: str) -> dict[str, int]:
        return dict(self._guest(guest_id))

    def attach_volume(self, guest_id: str, disk: VolumeDisk) -> None:
        have = self._guest(guest_id)
        self.calls.append(("attach_volume", disk.volume_id))
        if self.refuse:
            raise HypervisorError(self.refuse)
        have.setdefault(disk.volume_id, GIB)

    def detach_volume(self, guest_id: str, volume_id: str, timeout: float = 30.0) -> None:
        have = self._guest(guest_id)
        self.calls.append(("detach_volume", volume_id))
        if self.stuck:
            raise HypervisorError("the guest did not release the device")
        have.pop(volume_id, None)

    def resize_volume(self, guest_id: str, volume_id: str, size: int) -> None:
        self._running(guest_id)
        self.calls.append(("resize_volume", volume_id))
        self._guest(guest_id)[volume_id] = size

    def snapshot_volume(self, guest_id: str, volume_id: str, snapshot_id: str) -> None:
        self._running(guest_id)
        self.calls.append(("snapshot_volume", snapshot_id))

    def delete_snapshot_volume(self, guest_id: str, volume_id: str, snapshot_id: str
                               ) -> None:
        self._running(guest_id)
        self.calls.append(("delete_snapshot_volume", snapshot_id))

    def provide_keys(self, guest_id: str, disks: tuple[VolumeDisk, ...]) -> None:
        self.calls.append(("provide_keys", guest_id))
        self.keys[guest_id] = tuple(d.volume_id for d in disks)


class MemoryBlockDevices:
    """The few BlockDevices calls the compute agent makes (a stopped guest's volume)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def extend(self, volume_id: str, size: int, key: VolumeKey) -> None:
        self.calls.append(("extend", volume_id))

    def snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        self.calls.append(("snapshot", snapshot_id))

    # The volume agent's calls: never the compute agent's.
    def stored(self) -> dict[str, StoredVolume]:
        raise AssertionError("not the compute agent's call")

    def create(self, volume_id: str, size: int, key: VolumeKey, source: Source = None
               ) -> VolumeConnection:
        raise AssertionError("not the compute agent's call")

    def delete(self, volume_id: str) -> None:
        raise AssertionError("not the compute agent's call")

    def delete_snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        self.calls.append(("delete_snapshot", snapshot_id))

    def connection(self, volume_id: str) -> VolumeConnection:
        raise AssertionError("not the compute agent's call")

    def reader(self, volume_id: str, key: VolumeKey, snapshot_id: str | None = None,
               shared: bool = False) -> AbstractContextManager[BlockReader]:
        raise AssertionError("not the compute agent's call")

    def writer(self, volume_id: str, key: VolumeKey) -> AbstractContextManager[BlockWriter]:
        raise AssertionError("not the compute agent's call")
