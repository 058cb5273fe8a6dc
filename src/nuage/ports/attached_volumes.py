"""A server's volumes as the compute agent sees them, and what it tells about them: plain
data (strings, numbers, tuples, bytes), so that they cross the agent's port
(ports/compute_agent.py) as they would a message bus. The volume service's side of the
contract is ports/compute_volumes.py (which re-exports these names)."""

from __future__ import annotations

from dataclasses import dataclass

from nuage.ports.block_devices import VolumeConnection, VolumeKey


@dataclass(frozen=True)
class ServerVolume:
    """A volume attached (or being attached or detached) to a server: what Nova's
    os-volume_attachments shows, and, on the agent's assignment, what the hypervisor
    needs. A plain copy (bus-safe)."""

    attachment_id: str
    volume_id: str
    server_id: str
    device: str                       # "/dev/vdb"
    status: str                       # "attaching", "attached", "detaching"
    size_gb: int
    tag: str | None = None
    delete_on_termination: bool = False
    boot_index: int | None = None
    # For the agent only (None in views): how to open the volume, and its key.
    connection: VolumeConnection | None = None
    key: VolumeKey | None = None
    # Work only the holder of the open file can do: grow the disk to this size (an
    # extend of an in-use volume), take these snapshots (forced snapshots), in order,
    # and delete these (any snapshot of the volume being deleted while it is attached).
    resize_to: int | None = None
    snapshots: tuple[str, ...] = ()
    delete_snapshots: tuple[str, ...] = ()
    # The volume is still being created (boot from volume): the agent waits for it.
    ready: bool = True


# -- what the compute agent tells (through its own port's serving side).

@dataclass(frozen=True)
class Attached:
    device: str


@dataclass(frozen=True)
class AttachFailed:
    reason: str


@dataclass(frozen=True)
class Detached:
    pass


@dataclass(frozen=True)
class Resized:
    size_gb: int


@dataclass(frozen=True)
class SnapshotTaken:
    snapshot_id: str


@dataclass(frozen=True)
class SnapshotDeleted:
    snapshot_id: str


VolumeOutcome = Attached | AttachFailed | Detached | Resized | SnapshotTaken | SnapshotDeleted
