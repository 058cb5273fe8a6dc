"""Volumes in guests: what the compute agent asks of the hypervisor about block devices.

A separate port from `Hypervisor` (ports/hypervisor.py), implemented by the same driver
(QemuHypervisor), so a host whose hypervisor cannot take volumes simply has none.

A volume reaches a guest as a virtio-blk disk whose serial is the volume's id (the guest
sees /dev/disk/by-id/virtio-<the id's first 20 characters>), opened from its
`VolumeConnection` with the volume's key as a QEMU secret object. The key stays in
memory: it is given to QEMU over QMP or a pipe, never written to a file or put on a
command line. The driver records which volumes a guest has (without keys) so that every
later start of the guest has them too; a start needs the keys again, which the compute
agent gives with `provide_keys` before it starts, reboots hard or resumes a guest with
volumes (the driver keeps them in memory only, so after a restart of the agent a
stopped guest with volumes waits for them).

Every call is blocking and idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nuage.ports.block_devices import VolumeConnection, VolumeKey


@dataclass(frozen=True)
class VolumeDisk:
    volume_id: str
    connection: VolumeConnection
    key: VolumeKey
    # The device name Nova showed the tenant ("/dev/vdb"): a hint only (virtio names
    # disks in the order the guest finds them), kept for the record.
    device: str
    # The disk the guest boots from (boot from volume): first in the boot order.
    boot: bool = False


class GuestDisks(Protocol):
    def volumes(self, guest_id: str) -> dict[str, int]:
        """The volumes the guest has (plugged in a running guest, or recorded for its
        next start): volume id -> the size in bytes the guest sees (a running guest's
        as QEMU reports it, else the file's). GuestNotFound if absent."""
        ...

    def attach_volume(self, guest_id: str, disk: VolumeDisk) -> None:
        """Give the guest the volume: hot-plugged at once into a running or paused
        guest (the guest sees a new virtio disk), and part of every later start.
        Already there: nothing to do. GuestNotFound if absent; HypervisorError when
        QEMU refuses (a wrong key, a file another guest holds)."""
        ...

    def detach_volume(self, guest_id: str, volume_id: str, timeout: float = 30.0) -> None:
        """Take the volume away: a running guest is asked to release the device (ACPI
        hot-unplug) and given `timeout` seconds, else HypervisorError (it stays; call
        again). Then QEMU closes the file (another guest or qemu-img may open it).
        Absent: nothing to do. GuestNotFound if the guest is absent."""
        ...

    def resize_volume(self, guest_id: str, volume_id: str, size: int) -> None:
        """Grow an attached volume of a running or paused guest to `size` bytes through
        QEMU (the guest sees the new size). Not running: HypervisorError (the caller
        resizes the file through BlockDevices instead)."""
        ...

    def snapshot_volume(self, guest_id: str, volume_id: str, snapshot_id: str) -> None:
        """Record an attached volume's current content as the internal snapshot
        `snapshot_id` of its file, through QEMU, in a running or paused guest (exists:
        nothing to do). Not running: HypervisorError (BlockDevices does it instead)."""
        ...

    def delete_snapshot_volume(self, guest_id: str, volume_id: str, snapshot_id: str
                               ) -> None:
        """Drop the internal snapshot `snapshot_id` of an attached volume's file, through
        QEMU, in a running or paused guest (absent: nothing to do). Not running:
        HypervisorError (BlockDevices does it instead)."""
        ...

    def provide_keys(self, guest_id: str, disks: tuple[VolumeDisk, ...]) -> None:
        """The keys a (re)start of the guest needs for its volumes, held in memory until
        the guest is destroyed. Volumes not recorded for the guest are ignored."""
        ...
