"""What compute needs from the volume service: a server's volumes (Cinder attachments).

Nova's os-volume_attachments, boot from volume (block_device_mapping_v2) and the compute
agent's hot-plug meet the volume service here, as ServerNetworks (compute_network.py)
joins Neutron. services/volume implements it (compute_binding.py); compute never reads
the volume tables itself. The attachment (Cinder's attachment, Nova's block device
mapping) is the volume service's record: device name, tag, delete_on_termination and
boot index are kept on it, so there is one truth about who holds a volume.

Calls taking a unit of work write in the caller's transaction: reserving a volume and
recording the request that needs it commit together, so a refused or crashed request
leaves neither behind.

Attach flow: `reserve` (volume `attaching`, attachment `attaching`) -> the compute
agent sees it on the server's assignment (`ServerVolume`, with the connection and key)
and hot-plugs it through the hypervisor -> `record` `Attached` (volume `in-use`) or
`AttachFailed` (attachment gone, volume `available` again). Detach: `begin_detach`
(volume `detaching`) -> the agent unplugs -> `Detached` (attachment gone, volume
`available`). The guest's QEMU holds an attached volume's file, so extending an in-use
volume and a forced snapshot of one are the compute agent's work too (`resize_to`,
`snapshots` on ServerVolume, outcomes `Resized`, `SnapshotTaken`), and so is deleting a
snapshot of an attached volume (`delete_snapshots`, outcome `SnapshotDeleted`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from nuage.domain.context import RequestContext

# The plain data crossing the compute agent's port lives apart (as ports/nics.py), so the
# agent imports no unit of work; re-exported here, where the volume service reads it.
from nuage.ports.attached_volumes import (
    Attached,
    AttachFailed,
    Detached,
    Resized,
    ServerVolume,
    SnapshotDeleted,
    SnapshotTaken,
    VolumeOutcome,
)
from nuage.ports.repositories import UnitOfWork

__all__ = [
    "AttachFailed",
    "Attached",
    "Detached",
    "Resized",
    "ServerVolume",
    "ServerVolumes",
    "SnapshotDeleted",
    "SnapshotTaken",
    "VolumeOutcome",
    "VolumeRequest",
    "VolumeSnapshotTaken",
]


@dataclass(frozen=True)
class VolumeRequest:
    """One block device a create asks for (block_device_mapping_v2, the legacy
    block_device_mapping, or --boot-from-volume), after the adapter's parsing:
    `source` "volume" (an existing one, `uuid`), "image" or "snapshot" (a new volume of
    `volume_size` GB made from `uuid`), "blank" (a new empty one)."""

    source: str
    uuid: str | None = None
    volume_size: int | None = None
    boot_index: int | None = None
    device_name: str | None = None
    delete_on_termination: bool = False
    tag: str | None = None
    volume_type: str | None = None


@dataclass(frozen=True)
class VolumeSnapshotTaken:
    """A snapshot of one of a server's volumes, asked for by a snapshot of the server
    (createImage of a volume-backed server), with the mapping it replaces."""

    snapshot_id: str
    volume_id: str
    size_gb: int
    device: str
    boot_index: int | None
    delete_on_termination: bool
    tag: str | None


class ServerVolumes(Protocol):
    def source_image(self, ctx: RequestContext, volume_id: str) -> str | None:
        """The image an existing volume was made from (directly or through the volume
        or snapshot it copies), if the caller sees the volume: the guest of a server
        booting from that volume is made with it."""
        ...

    def check(self, uow: UnitOfWork, ctx: RequestContext,
              requests: tuple[VolumeRequest, ...], count: int) -> None:
        """Refuse, before anything is stored, what `prepare` would refuse for `count`
        servers (Nova's 400s: an unknown or unavailable volume, a volume for several
        servers, a size under the image's; the volume quotas' 403)."""
        ...

    def prepare(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                project_id: str, host: str, requests: tuple[VolumeRequest, ...]
                ) -> list[ServerVolume]:
        """For a create: make the new volumes the requests ask for (status `creating`
        on `host`), reserve them and the existing ones for the server (attachments in
        `attaching`, device names assigned in order: the boot volume /dev/vda, then
        /dev/vdb, ...). In the caller's unit of work."""
        ...

    def reserve(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                project_id: str, host: str, volume_id: str, device: str | None = None,
                tag: str | None = None, delete_on_termination: bool = False
                ) -> ServerVolume:
        """os-volume_attachments POST: the volume (the caller's) is reserved for the
        server. Nova's refusals: unknown volume 404; not `available` (in-use,
        attaching, ...) 400; already attached to this server 400."""
        ...

    def begin_detach(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                     volume_id: str) -> ServerVolume:
        """os-volume_attachments DELETE: the volume starts detaching. Not attached to the
        server: 404; the server's boot volume: 400 (Nova refuses detaching the root)."""
        ...

    def update(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
               volume_id: str, delete_on_termination: bool | None = None) -> ServerVolume:
        """os-volume_attachments PUT (2.85): change delete_on_termination."""
        ...

    def describe(self, uow: UnitOfWork, server_ids: Iterable[str],
                 for_agent: bool = False) -> dict[str, list[ServerVolume]]:
        """Each server's volumes, boot volume first then by device; servers without any
        are absent. `for_agent`: with connection, key and pending work filled."""
        ...

    def record(self, uow: UnitOfWork, attachment_id: str, expected_status: str,
               outcome: VolumeOutcome) -> bool:
        """The compute agent's outcome for one attachment, written only if it still has
        `expected_status` (compare-and-set). False when nothing was written."""
        ...

    def snapshot(self, uow: UnitOfWork, ctx: RequestContext, server_id: str, name: str
                 ) -> list[VolumeSnapshotTaken]:
        """createImage of a volume-backed server: a snapshot (`creating`) of each of the
        server's volumes, forced for those in use (the compute agent takes them through
        the guest's QEMU), in the caller's unit of work; boot volume first. A volume that
        is neither in use nor available (attaching, detaching, ...): 400; the snapshot
        quotas: 413/403 as for a Cinder snapshot."""
        ...

    def release(self, uow: UnitOfWork, server_id: str) -> None:
        """The server is gone (its guest destroyed): its volumes are detached
        (`available`), those with delete_on_termination deleted."""
        ...
