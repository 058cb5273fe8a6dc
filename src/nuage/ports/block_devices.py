"""The BlockDevices port: where a host keeps its volumes' data.

A volume is one file (qcow2 with QEMU's native LUKS encryption in the driver of today;
an RBD image when a deployment moves volumes to Ceph), encrypted with the volume's own key
(`VolumeKey`: random bytes the volume service makes and keeps wrapped by the project's
key, see services/volume). The key reaches the driver only in memory: it is handed to
`qemu-img` and QEMU as a secret object through a pipe or QMP, never as a file.

A volume's snapshots live inside it (qcow2 internal snapshots named by the snapshot's
id), so they are encrypted with the volume's key and go when the volume goes. A volume
made from a snapshot or from another volume is a full, streamed copy re-encrypted with
the new volume's key: deleting the source (and its key) never makes a clone unreadable.

Every call is blocking and idempotent: repeating a call that finished (or crashed half
way) finishes it, so the volume agent can reconcile after a crash by calling again.
A call that must not act on a file a running guest holds open (QEMU locks it) raises
`VolumeBusy`; the hypervisor resizes and snapshots attached volumes instead (see
ports/hypervisor.py `resize_disk`, `snapshot_disk`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

# The secret a volume's data is encrypted with (32 random bytes). Its plaintext exists
# only in memory; what is stored is the project-wrapped form.
VolumeKey = bytes
GIB = 1 << 30


def luks_passphrase(key: VolumeKey) -> bytes:
    """The LUKS passphrase every user of a volume's file gives QEMU (qemu-img, qemu-nbd, a
    guest's QEMU): the key's base64 text, as QEMU requires a qcow2 LUKS passphrase to be
    UTF-8, which 32 random bytes rarely are. One definition, so that all agree."""
    return base64.b64encode(key)


@dataclass(frozen=True)
class VolumeConnection:
    """How a guest on this host opens a volume (Cinder's connection_info, for a local
    file): QEMU opens `path` as `format` with the volume's key as its LUKS secret."""

    path: Path
    format: Literal["qcow2"] = "qcow2"
    encryption: Literal["luks"] = "luks"


@dataclass(frozen=True)
class ImageFile:
    """A local, plaintext copy of a Glance image (the host's image cache holds it)."""

    path: Path
    disk_format: Literal["qcow2", "raw"]


@dataclass(frozen=True)
class CopyOf:
    """A new volume's content is another volume's (`snapshot_id` None: its current
    content; else that snapshot of it), read with `key`, the source volume's."""

    volume_id: str
    key: VolumeKey
    snapshot_id: str | None = None


Source = ImageFile | CopyOf | None   # None: a blank volume (reads as zeros)


@dataclass(frozen=True)
class StoredVolume:
    """What the host holds for one volume."""

    volume_id: str
    size: int                           # virtual size, bytes
    snapshots: frozenset[str] = field(default_factory=frozenset)
    complete: bool = True               # False: a create that did not finish


class BlockDeviceError(Exception):
    """The driver could not do it; the message is for administrators (a tool's words,
    a path), never shown to a tenant as it is."""


class VolumeBusy(BlockDeviceError):
    """The volume's file is open in a running guest: act through the hypervisor."""


class VolumeMissing(BlockDeviceError):
    """No such volume (or snapshot) on this host."""


class BlockReader(Protocol):
    """A volume's (or one of its snapshot's) plaintext content, read in place: nothing
    decrypted touches the disk."""

    @property
    def size(self) -> int:
        """Virtual size in bytes."""
        ...

    def read(self, offset: int, length: int) -> bytes: ...

    def allocated(self) -> Iterator[tuple[int, int, bool]]:
        """(offset, length, has_data) extents covering the whole volume, in order;
        has_data False: the range reads as zeros (a backup may skip it)."""
        ...


class BlockWriter(Protocol):
    """Writes plaintext into a volume, which encrypts it on the way to the disk."""

    @property
    def size(self) -> int: ...

    def write(self, offset: int, data: bytes) -> None: ...

    def zero(self, offset: int, length: int) -> None: ...

    def flush(self) -> None:
        """Durable on return."""
        ...


class BlockDevices(Protocol):
    def stored(self) -> dict[str, StoredVolume]:
        """Every volume this host has a file for (the agent compares it with what the
        control plane wants: an unknown one is an orphan of a crash)."""
        ...

    def create(self, volume_id: str, size: int, key: VolumeKey, source: Source = None
               ) -> VolumeConnection:
        """Make the volume: `size` bytes (virtual), encrypted with `key`, its content
        `source`'s (an image or a copy; the volume is grown to `size` when the source is
        smaller; a larger source: BlockDeviceError). Written under a temporary name and
        renamed when complete, so a crash leaves either nothing or a whole volume; a
        volume already complete is left as it is. Streams; never holds the content in
        memory."""
        ...

    def delete(self, volume_id: str) -> None:
        """Remove the volume and its snapshots for good (and any temporary file of an
        unfinished create). Absent: nothing to do. In use: VolumeBusy."""
        ...

    def extend(self, volume_id: str, size: int, key: VolumeKey) -> None:
        """Grow the volume to `size` bytes (already that size or larger: nothing to do;
        never shrinks). In use: VolumeBusy. Absent: VolumeMissing."""
        ...

    def snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        """Record the volume's current content as snapshot `snapshot_id` (exists: nothing
        to do). In use: VolumeBusy. Absent: VolumeMissing."""
        ...

    def delete_snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        """Drop the snapshot (absent, or the volume absent: nothing to do). In use:
        VolumeBusy."""
        ...

    def connection(self, volume_id: str) -> VolumeConnection:
        """How a guest opens the volume. Absent: VolumeMissing."""
        ...

    def reader(self, volume_id: str, key: VolumeKey, snapshot_id: str | None = None,
               shared: bool = False) -> AbstractContextManager[BlockReader]:
        """Read the volume (or a snapshot of it) in place; not while a running guest has
        it open (VolumeBusy) unless reading a snapshot, or `shared`: the current content
        read beside the guest's writes (a forced backup of an attached volume, as
        Cinder's of an in-use one). Absent: VolumeMissing."""
        ...

    def writer(self, volume_id: str, key: VolumeKey) -> AbstractContextManager[BlockWriter]:
        """Write into a volume no guest has open (a backup's restore, an image's copy).
        In use: VolumeBusy. Absent: VolumeMissing."""
        ...
