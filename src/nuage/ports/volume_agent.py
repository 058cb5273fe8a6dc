"""The volume agent's port: what a host's volume agent asks of the control plane, and
tells it (the compute agent's template, ports/compute_agent.py).

The agent learns the volumes, snapshots and backups placed on its host that have work
pending or exist (`HostVolumes.volumes`, `backups`), does the work through the
BlockDevices port outside any transaction, and records typed outcomes with
compare-and-set on the status it acted on (`record`): a delete asked meanwhile wins,
and the next pass sees it. Everything that crosses is a frozen dataclass of strings,
numbers, bytes and tuples, so the port can be served over a message bus as it is served
in-process today; it never carries a unit of work or a record.

Keys cross this port in plaintext (unwrapped by the serving side with the project's
key): in-process that is memory to memory. Over a bus they will be sealed to the host's
own key; the agent never stores them.

The port is bound to one host: the side that serves it names the host, never the
agent's arguments.

Work on an attached volume (extend while in-use, a forced snapshot) is not the volume
agent's: the guest's QEMU holds the file, so the compute agent does it through the
hypervisor (ports/compute_volumes.py). `VolumeAssignment.attached` says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from nuage.ports.block_devices import ImageFile, VolumeKey


@dataclass(frozen=True)
class SourceOrder:
    """Where a volume being created gets its content (None on the assignment: blank).
    Exactly one of the fields is set."""

    image_id: str | None = None
    # A copy of another volume (its current content, or one of its snapshots), read with
    # that volume's key.
    volume_id: str | None = None
    snapshot_id: str | None = None
    source_key: VolumeKey | None = None


@dataclass(frozen=True)
class SnapshotAssignment:
    id: str
    status: str                  # "creating", "available", "deleting", ...


@dataclass(frozen=True)
class VolumeAssignment:
    """One volume on the host, as the agent needs it: a copy, not a record."""

    id: str
    project_id: str
    status: str                  # Cinder's: "creating", "available", "extending", ...
    size_gb: int
    key: VolumeKey
    source: SourceOrder | None = None
    attached: bool = False       # a guest holds it (or is about to): hands off
    snapshots: tuple[SnapshotAssignment, ...] = ()
    # Status "uploading": the queued image its content goes to (raw), and for an
    # attached volume the snapshot to read (beside the running guest) instead.
    upload_image_id: str | None = None
    upload_snapshot_id: str | None = None


@dataclass(frozen=True)
class BackupAssignment:
    """A backup with work pending: "creating" (from `volume_id`, or from its snapshot
    `snapshot_id`), "restoring" (into `restore_volume_id`), "deleting"."""

    id: str
    project_id: str
    status: str
    volume_id: str
    key: VolumeKey                # the volume's key (restore: the target volume's)
    backup_key: VolumeKey         # the key the backup's chunks are encrypted with
    container: str                # where in the project's object storage it goes
    snapshot_id: str | None = None
    parent_id: str | None = None  # incremental: the backup it builds on
    restore_volume_id: str | None = None
    attached: bool = False        # creating: a guest has the volume open (a forced backup)


# -- outcomes. The control plane turns each into the new status; the agent never names
# a column. `reason` is for administrators; the tenant sees Cinder's plain "error".

@dataclass(frozen=True)
class Created:
    size_gb: int


@dataclass(frozen=True)
class Extended:
    size_gb: int


@dataclass(frozen=True)
class Deleted:
    """The data (and the key, on the serving side) are gone: the row is removed."""


@dataclass(frozen=True)
class Uploaded:
    """The volume's content is in the image `image_id` (active now)."""

    image_id: str


@dataclass(frozen=True)
class SnapshotTaken:
    snapshot_id: str


@dataclass(frozen=True)
class SnapshotDeleted:
    snapshot_id: str


@dataclass(frozen=True)
class BackupDone:
    """A backup stored (`size_gb` the volume's, `object_count` chunks written, `chunks`
    the manifest's name), or a restore written, or a delete finished (`deleted`)."""

    size_gb: int = 0
    object_count: int = 0
    deleted: bool = False


@dataclass(frozen=True)
class Failed:
    """The operation failed: Cinder's error state for what it was (`error`,
    `error_extending`, `error_deleting`, a snapshot's or backup's `error`)."""

    reason: str
    snapshot_id: str | None = None


Outcome = (Created | Extended | Deleted | Uploaded | SnapshotTaken | SnapshotDeleted
           | Failed)


class HostVolumes(Protocol):
    """The control plane, as one host's volume agent sees it. Blocking calls, each its
    own transaction on the serving side; safe from several threads."""

    @property
    def host(self) -> str: ...

    def volumes(self) -> list[VolumeAssignment]:
        """Every volume placed on this host (deleted ones excepted)."""
        ...

    def record(self, volume_id: str, expected_status: str, outcome: Outcome) -> bool:
        """Write `outcome` only if the volume (for snapshot outcomes: the snapshot) still
        has `expected_status`. False when nothing was written."""
        ...

    def backups(self) -> list[BackupAssignment]:
        """The backups of this host's volumes with work pending."""
        ...

    def record_backup(self, backup_id: str, expected_status: str,
                      outcome: BackupDone | Failed) -> bool:
        """As `record`, for a backup (and the volume a restore wrote into)."""
        ...


class ImageUnavailable(Exception):
    """The image cannot be had for this volume (absent, not the project's to see, not
    active, refused by the image cache's checks); the message is for administrators."""


class VolumeImages(Protocol):
    """A local plaintext copy of a Glance image, for a volume created from it (the host's
    image cache serves it, as it does for servers' root disks), and the way a volume's
    content reaches an image (os-volume_upload_image)."""

    def local(self, image_id: str, project_id: str) -> ImageFile:
        """The cached copy of the image, fetched first if need be (blocking), once
        `project_id` is shown allowed to see it. ImageUnavailable otherwise. The file
        stays while the volume is written (the cache evicts only idle images)."""
        ...

    def upload(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        """Fill the queued image `image_id` with `size` bytes streamed from `chunks` (a
        volume read in place: nothing touches the disk in plaintext). Blocking. An image
        already active is left as it is (the call repeated after a crash); one neither
        queued nor active (deleted meanwhile, an upload cut half way): an exception."""
        ...
