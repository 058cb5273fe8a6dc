"""What a host's compute agent decides about its servers' volumes: the guest follows the
server's attachments (ServerAssignment.volumes, from the volume service), through the
GuestDisks port, and each step done is recorded with compare-and-set on the
attachment's status (HostAssignments.record_volume).

- `attaching` -> the volume is given to the guest (hot-plugged if it runs or is paused,
  recorded for its next start if stopped) -> `Attached(device)`; QEMU refusing it ->
  `AttachFailed(reason)` (the volume service makes the volume available again).
- `detaching` -> taken away (a running guest is asked to release it) -> `Detached`; a
  guest that does not release it in time keeps it, and the next pass asks again.
- `resize_to` (an extend of an in-use volume) -> through QEMU if the guest runs or is
  paused, else on the file (BlockDevices.extend) -> `Resized`.
- `snapshots` (forced snapshots of an in-use volume) -> through QEMU, or on the file ->
  `SnapshotTaken`, one by one; `delete_snapshots` (its snapshots being deleted) the
  same way -> `SnapshotDeleted`.

A suspended guest is left alone (its saved device set must match on resume): its
volumes' work waits until it runs again, as a paused guest's detach does (a paused guest
cannot release a device). Every call is idempotent and every state is stored on one side
or the other (the attachment in the database, the guest's disks in its record), so a
crash anywhere is finished by a later pass.

Like reconcile.py, this holds no unit of work: an import-linter contract says so.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

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
from nuage.ports.block_devices import GIB, BlockDeviceError, BlockDevices
from nuage.ports.compute_agent import HostAssignments, ServerAssignment
from nuage.ports.guest_disks import GuestDisks, VolumeDisk
from nuage.ports.hypervisor import GuestNotFound, HypervisorError, PowerState

log = logging.getLogger(__name__)
# How long a boot volume may stay not ready (being made) before its server's build fails.
VOLUME_DEADLINE = 300.0
# How long a running guest gets to release a volume being detached (per pass).
VOLUME_DETACH_TIMEOUT = 30.0
# Where the guest's volumes follow the attachments: a guest that runs, is paused or is
# stopped (its record changes for its next start).
_CONVERGING = frozenset({PowerState.RUNNING, PowerState.PAUSED, PowerState.SHUTDOWN})
_LIVE = frozenset({PowerState.RUNNING, PowerState.PAUSED})


class VolumesNotReady(Exception):
    """The server's volumes are still being made: keep the task, look again next pass."""


class VolumesUnavailable(Exception):
    """The server's volumes cannot be given to its guest here (no volume support on the
    host, or not made in time): the message is the tenant's."""


def disk(volume: ServerVolume) -> VolumeDisk | None:
    """What the hypervisor needs of an attachment; None when the assignment lacks its
    connection or key (a view, not the agent's copy)."""
    if volume.connection is None or volume.key is None:
        return None
    return VolumeDisk(volume_id=volume.volume_id, connection=volume.connection,
                      key=volume.key, device=volume.device, boot=volume.boot_index == 0)


class VolumeSteps:
    def __init__(self, control: HostAssignments, disks: GuestDisks | None,
                 devices: BlockDevices | None, *, deadline: float = VOLUME_DEADLINE,
                 detach_timeout: float = VOLUME_DETACH_TIMEOUT) -> None:
        """`disks`: the hypervisor's volume side (None: this host cannot give guests
        volumes, so an attach fails at once); `devices`: this host's volume files, for
        the work on a stopped guest's volume (None: that work waits)."""
        self.control = control
        self.disks = disks
        self.devices = devices
        self.deadline = deadline
        self.detach_timeout = detach_timeout
        # When each server was first seen waiting for its volumes (monotonic, in memory:
        # a restarted agent gives them the deadline again).
        self._waiting: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- before a guest starts ---------------------------------------------------------------
    def provide_keys(self, server: ServerAssignment) -> None:
        """Give the hypervisor the keys a start of the guest needs (before a start, a
        reboot, a resume, or the console watchdog's restart)."""
        disks = tuple(d for d in (disk(v) for v in server.volumes
                                  if v.status != "detaching") if d is not None)
        if disks and self.disks is not None:
            # No guest to start: the task's own step says so.
            with contextlib.suppress(GuestNotFound):
                self.disks.provide_keys(server.id, disks)

    def boot_disks(self, server: ServerAssignment) -> tuple[VolumeDisk, ...]:
        """The volumes a new guest starts with (boot from volume, block devices asked at
        create), once every one is ready; VolumesNotReady until then, VolumesUnavailable
        after the deadline or when this host cannot give guests volumes."""
        wanted = [v for v in server.volumes if v.status == "attaching"]
        if not wanted:
            return ()
        if self.disks is None:
            raise VolumesUnavailable(
                "Its compute host cannot attach volumes to guests: boot it from an image, "
                "or ask the operator to enable volumes on the host.")
        waiting = [v.volume_id for v in wanted if not v.ready or disk(v) is None]
        with self._lock:
            if not waiting:
                self._waiting.pop(server.id, None)
                return tuple(d for d in (disk(v) for v in wanted) if d is not None)
            since = self._waiting.setdefault(server.id, time.monotonic())
            if time.monotonic() - since < self.deadline:
                raise VolumesNotReady(server.id)
            del self._waiting[server.id]
        log.warning("server %s: volumes %s not ready within %g s", server.id,
                    ", ".join(waiting), self.deadline)
        raise VolumesUnavailable(
            f"Its volumes ({', '.join(waiting)}) were not ready within {self.deadline:g} s."
            " Delete the server and try again.")

    def held(self, server: ServerAssignment) -> tuple[VolumeDisk, ...]:
        """The volumes the guest has (attached, or detaching: it keeps them until it
        releases them), for a guest made again (rebuild)."""
        return tuple(d for d in (disk(v) for v in server.volumes
                                 if v.status in ("attached", "detaching")) if d is not None)

    def spawned(self, server: ServerAssignment, given: tuple[VolumeDisk, ...]) -> int:
        """The guest was made with `given`: their attachments are recorded attached."""
        changed = 0
        by_id = {v.volume_id: v for v in server.volumes}
        for d in given:
            volume = by_id[d.volume_id]
            changed += self._record(volume, "attaching", Attached(volume.device))
        return changed

    def forget(self, server_id: str) -> None:
        with self._lock:
            self._waiting.pop(server_id, None)

    # -- a guest that exists -------------------------------------------------------------------
    def converge(self, server: ServerAssignment, observed: PowerState) -> int:
        """Make the guest follow the server's attachments; how many were recorded."""
        if not server.volumes or observed not in _CONVERGING:
            return 0
        changed = 0
        for volume in server.volumes:
            try:
                changed += self._converge_one(server, volume, observed)
            except GuestNotFound:
                return changed
            except (HypervisorError, BlockDeviceError) as exc:
                log.warning("server %s: volume %s (%s) not converged (next pass retries): "
                            "%s", server.id, volume.volume_id, volume.status, exc)
        return changed

    def _converge_one(self, server: ServerAssignment, volume: ServerVolume,
                      observed: PowerState) -> int:
        if volume.status == "attaching":
            return self._attach(server, volume)
        if volume.status == "detaching":
            if observed == PowerState.PAUSED:
                return 0
            # A host without volume support never gave the guest the volume.
            if self.disks is not None:
                self.disks.detach_volume(server.id, volume.volume_id, self.detach_timeout)
            log.info("server %s: volume %s detached", server.id, volume.volume_id)
            return self._record(volume, "detaching", Detached())
        changed = 0
        if volume.resize_to is not None:
            changed += self._resize(server, volume, volume.resize_to, observed)
        for snapshot_id in volume.snapshots:
            changed += self._snapshot(server, volume, snapshot_id, observed)
        for snapshot_id in volume.delete_snapshots:
            changed += self._delete_snapshot(server, volume, snapshot_id, observed)
        return changed

    def _attach(self, server: ServerAssignment, volume: ServerVolume) -> int:
        if not volume.ready:
            return 0
        if self.disks is None:
            return self._record(volume, "attaching", AttachFailed(
                "its compute host cannot attach volumes to guests"))
        given = disk(volume)
        if given is None:
            log.warning("server %s: volume %s has no connection or key on this host",
                        server.id, volume.volume_id)
            return 0
        try:
            self.disks.attach_volume(server.id, given)
        except HypervisorError as exc:
            log.warning("server %s: volume %s not attached: %s", server.id,
                        volume.volume_id, exc)
            # The reason is shown to the tenant: the hypervisor's own words stay in the log.
            return self._record(volume, "attaching", AttachFailed(
                "the hypervisor refused the volume"))
        log.info("server %s: volume %s attached as %s", server.id, volume.volume_id,
                 volume.device)
        return self._record(volume, "attaching", Attached(volume.device))

    def _resize(self, server: ServerAssignment, volume: ServerVolume, size_gb: int,
                observed: PowerState) -> int:
        if observed in _LIVE and self.disks is not None:
            self.disks.resize_volume(server.id, volume.volume_id, size_gb * GIB)
        elif observed == PowerState.SHUTDOWN and self.devices is not None and volume.key:
            self.devices.extend(volume.volume_id, size_gb * GIB, volume.key)
        else:
            return 0
        return self._record(volume, volume.status, Resized(size_gb))

    def _snapshot(self, server: ServerAssignment, volume: ServerVolume, snapshot_id: str,
                  observed: PowerState) -> int:
        if observed in _LIVE and self.disks is not None:
            self.disks.snapshot_volume(server.id, volume.volume_id, snapshot_id)
        elif observed == PowerState.SHUTDOWN and self.devices is not None and volume.key:
            self.devices.snapshot(volume.volume_id, snapshot_id, volume.key)
        else:
            return 0
        return self._record(volume, volume.status, SnapshotTaken(snapshot_id))

    def _delete_snapshot(self, server: ServerAssignment, volume: ServerVolume,
                         snapshot_id: str, observed: PowerState) -> int:
        if observed in _LIVE and self.disks is not None:
            self.disks.delete_snapshot_volume(server.id, volume.volume_id, snapshot_id)
        elif observed == PowerState.SHUTDOWN and self.devices is not None and volume.key:
            self.devices.delete_snapshot(volume.volume_id, snapshot_id, volume.key)
        else:
            return 0
        return self._record(volume, volume.status, SnapshotDeleted(snapshot_id))

    def _record(self, volume: ServerVolume, expected: str, outcome: VolumeOutcome) -> int:
        return 1 if self.control.record_volume(volume.attachment_id, expected, outcome) else 0
