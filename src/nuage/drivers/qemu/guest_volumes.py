"""The GuestDisks port on QemuHypervisor (a mixin: hypervisor.py is long enough): the
port's calls, under the guest's lock, over volumes.py's QMP steps and the guest's record.

The volumes' keys are the only state the driver keeps in memory (ports/guest_disks.py):
per guest, from `spawn`, `attach_volume` and `provide_keys`, until `destroy`.
"""

from __future__ import annotations

import dataclasses
import threading

from nuage.drivers.qemu import qmp, volumes
from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.ports.guest_disks import VolumeDisk
from nuage.ports.hypervisor import GuestSpec, HypervisorError


class QemuGuestDisks:
    def __init__(self) -> None:
        self._volume_keys: dict[str, dict[str, bytes]] = {}
        self._volume_keys_lock = threading.Lock()

    # Provided by QemuHypervisor.
    def _existing(self, guest_id: str) -> GuestFiles:
        raise NotImplementedError

    # --- the port -------------------------------------------------------------------------

    def volumes(self, guest_id: str) -> dict[str, int]:
        # No lock: a read, as nics() is.
        files = self._existing(guest_id)
        if files.live_qemu_pid() is not None:
            return volumes.plugged(files.qmp)
        return {disk.volume_id: volumes.file_size(disk.connection.path)
                for disk in files.read_record().volumes}

    def attach_volume(self, guest_id: str, disk: VolumeDisk) -> None:
        volumes.check_volume_id(disk.volume_id)
        files = self._existing(guest_id)
        with files.lock():
            _not_suspended(files)
            if files.live_qemu_pid() is not None:
                status = _status(files)
                if status not in ("running", "paused", "prelaunch"):
                    raise HypervisorError(f"cannot attach a volume to a guest that is "
                                          f"{status}")
                volumes.hot_plug(files.qmp, disk)
            self._remember_keys(guest_id, (disk,))
            spec = files.read_record()
            if all(v.volume_id != disk.volume_id for v in spec.volumes):
                recorded = dataclasses.replace(disk, key=b"")
                files.write_record(dataclasses.replace(
                    spec, volumes=(*spec.volumes, recorded)))

    def detach_volume(self, guest_id: str, volume_id: str, timeout: float = 30.0) -> None:
        files = self._existing(guest_id)
        with files.lock():
            if any(v.volume_id == volume_id and v.boot for v in files.read_record().volumes):
                raise HypervisorError("the guest boots from this volume")
            _not_suspended(files)
            if files.live_qemu_pid() is not None:
                if volume_id in volumes.plugged(files.qmp) and _status(files) != "running":
                    # Only a running guest answers the ACPI unplug request.
                    raise HypervisorError("cannot detach a volume from a guest that is "
                                          "not running")
                volumes.hot_unplug(files.qmp, volume_id, timeout)
            spec = files.read_record()
            kept = tuple(v for v in spec.volumes if v.volume_id != volume_id)
            if kept != spec.volumes:
                files.write_record(dataclasses.replace(spec, volumes=kept))
            with self._volume_keys_lock:
                self._volume_keys.get(guest_id, {}).pop(volume_id, None)

    def resize_volume(self, guest_id: str, volume_id: str, size: int) -> None:
        files = self._existing(guest_id)
        with files.lock():
            if files.live_qemu_pid() is None:
                raise HypervisorError("cannot resize a volume of a guest that is not running")
            volumes.resize(files.qmp, volume_id, size)

    def snapshot_volume(self, guest_id: str, volume_id: str, snapshot_id: str) -> None:
        files = self._existing(guest_id)
        with files.lock():
            if files.live_qemu_pid() is None:
                raise HypervisorError("cannot snapshot a volume of a guest that is not "
                                      "running")
            volumes.snapshot(files.qmp, volume_id, snapshot_id)

    def delete_snapshot_volume(self, guest_id: str, volume_id: str, snapshot_id: str
                               ) -> None:
        files = self._existing(guest_id)
        with files.lock():
            if files.live_qemu_pid() is None:
                raise HypervisorError("cannot delete a snapshot of a volume of a guest that "
                                      "is not running")
            volumes.delete_snapshot(files.qmp, volume_id, snapshot_id)

    def provide_keys(self, guest_id: str, disks: tuple[VolumeDisk, ...]) -> None:
        files = self._existing(guest_id)
        recorded = {v.volume_id for v in files.read_record().volumes}
        self._remember_keys(guest_id, tuple(d for d in disks if d.volume_id in recorded))

    # --- for the lifecycle (hypervisor.py) ------------------------------------------------

    def _remember_keys(self, guest_id: str, disks: tuple[VolumeDisk, ...]) -> None:
        with self._volume_keys_lock:
            keys = self._volume_keys.setdefault(guest_id, {})
            for disk in disks:
                if disk.key:
                    keys[disk.volume_id] = disk.key

    def _forget_keys(self, guest_id: str) -> None:
        with self._volume_keys_lock:
            self._volume_keys.pop(guest_id, None)

    def _keys_for(self, spec: GuestSpec) -> dict[str, bytes]:
        """The keys a launch of `spec` needs; HypervisorError when one is missing."""
        with self._volume_keys_lock:
            keys = dict(self._volume_keys.get(spec.guest_id, {}))
        if any(v.volume_id not in keys for v in spec.volumes):
            raise HypervisorError("volume keys not provided")
        return keys


def _not_suspended(files: GuestFiles) -> None:
    """A suspended guest resumes with exactly the devices it had (its saved memory says
    so): its volumes stay as they are until then."""
    if files.suspended.exists():
        raise HypervisorError("cannot change the volumes of a suspended guest")


def _status(files: GuestFiles) -> str:
    return str(qmp.execute(files.qmp, "query-status", timeout=5.0)["status"])
