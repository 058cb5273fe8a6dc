"""What a host's volume agent decides: make the host's volume files hold what the control
plane says, through the BlockDevices port, and record each outcome.

It reaches the control plane only through the agent's port (`HostVolumes`,
ports/volume_agent.py): it reads copies of its host's volumes and records typed outcomes
with compare-and-set on the status it acted on (a delete asked during a create wins: the
create's outcome is not written, and the next pass deletes). It holds no unit of work (an
import-linter contract says so). Driver calls happen outside any transaction and are
idempotent, so a crash anywhere is finished by the next pass: a create half written is
redone, a delete half done is done again.

Attached volumes are the compute agent's (the guest's QEMU holds the file): this agent
leaves them alone, whatever their status.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from nuage.ports.block_devices import (
    GIB,
    BlockDevices,
    BlockReader,
    CopyOf,
    Source,
    VolumeBusy,
)
from nuage.ports.volume_agent import (
    Created,
    Deleted,
    Extended,
    Failed,
    HostVolumes,
    Outcome,
    SnapshotDeleted,
    SnapshotTaken,
    Uploaded,
    VolumeAssignment,
    VolumeImages,
)

log = logging.getLogger(__name__)

# Volume copies are disk- and CPU-bound (AES); a small host has little of either to spare.
PARALLEL_VOLUMES = 2
# How long a file no volume names stays before it is removed: a volume created on the
# control plane after this pass read the list is not an orphan, and an operator who moved
# a database back has time to notice before data goes.
ORPHAN_GRACE = 3600.0
# One read of a volume being uploaded to an image: the only part of it in memory.
UPLOAD_CHUNK = 4 << 20


class SourceUnusable(Exception):
    """The volume's source order cannot be carried out as given."""


Step = Callable[[VolumeAssignment], bool]


@dataclass
class _Work:
    """What one worker does in a pass, in order: a volume's steps, and the creates that
    copy it (a copy reads the source's file: the source's own steps, an extend or a
    snapshot's delete, must not run beside it)."""

    steps: list[tuple[VolumeAssignment, Step]]

    @property
    def volume_ids(self) -> set[str]:
        return {volume.id for volume, _ in self.steps}


class VolumeReconciler:
    def __init__(self, control: HostVolumes, devices: BlockDevices, images: VolumeImages,
                 *, orphan_grace: float = ORPHAN_GRACE, workers: int = PARALLEL_VOLUMES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`control`: the control plane, bound to this host; `devices`: this host's
        volume files; `images`: local copies of images for volumes made from one."""
        self.control = control
        self.devices = devices
        self.images = images
        self.orphan_grace = orphan_grace
        self.workers = workers
        self.clock = clock
        # Volumes a pass is working on: never two steps on one volume at once, and a
        # file being created is never taken for an orphan.
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()
        # When each unnamed file was first seen (in memory: a restarted agent gives
        # orphans the grace again).
        self._orphans_seen: dict[str, float] = {}
        self._snapshot_owners: dict[str, str] = {}

    @property
    def hostname(self) -> str:
        return self.control.host

    # -- one pass --------------------------------------------------------------------------
    def pass_once(self) -> int:
        """Reconcile every volume of this host; returns how many outcomes were written
        (and orphans removed)."""
        volumes = self.control.volumes()
        # Which volume holds each snapshot: a copy of a snapshot may name the snapshot
        # alone (the port's SourceOrder sets "exactly one" field).
        self._snapshot_owners = {s.id: v.id for v in volumes for s in v.snapshots}
        groups: dict[str, _Work] = {}
        # In the list's order (oldest first): a source's steps come before its copies'.
        for volume in volumes:
            for step in self._steps(volume):
                group = groups.setdefault(self._group(volume), _Work([]))
                group.steps.append((volume, step))
        work = list(groups.values())
        changed = 0
        if len(work) > 1 and self.workers > 1:
            with ThreadPoolExecutor(max_workers=min(len(work), self.workers),
                                    thread_name_prefix="volume-agent") as pool:
                changed += sum(pool.map(self._run, work))
        else:
            changed += sum(self._run(w) for w in work)
        # After the work: the files it created are named, the ones it deleted gone.
        changed += self._remove_orphans({v.id for v in volumes})
        return changed

    def _steps(self, volume: VolumeAssignment) -> list[Step]:
        if volume.status == "uploading" and volume.upload_image_id is not None and (
                volume.upload_snapshot_id is not None or not volume.attached):
            # A snapshot is read beside a running guest: attached or not. (No image id
            # yet: the snapshot is being taken, by the compute agent or below.)
            return [self._upload]
        if volume.attached:
            return []
        step = {"creating": self._create, "extending": self._extend,
                "deleting": self._delete, "uploading": self._upload}.get(volume.status)
        if step is not None:
            return [step]
        return [self._snapshot_step(s.id, s.status) for s in volume.snapshots
                if s.status in ("creating", "deleting")]

    def _group(self, volume: VolumeAssignment) -> str:
        """The volume whose worker does this volume's steps: a copy's source's."""
        order = volume.source
        if volume.status != "creating" or order is None or order.image_id is not None:
            return volume.id
        if order.volume_id is not None:
            return order.volume_id
        return self._snapshot_owners.get(order.snapshot_id or "", volume.id)

    def _run(self, work: _Work) -> int:
        ids = work.volume_ids
        with self._busy_lock:
            if ids & self._busy:
                return 0
            self._busy |= ids
        try:
            changed = 0
            for volume, step in work.steps:
                try:
                    changed += step(volume)
                except Exception:
                    log.exception("volume %s: a step failed unexpectedly; the next pass "
                                  "retries", volume.id)
            return changed
        finally:
            with self._busy_lock:
                self._busy -= ids

    # -- steps: each does one thing, records its outcome, says whether it was written -----
    def _create(self, volume: VolumeAssignment) -> bool:
        def act() -> Outcome:
            self.devices.create(volume.id, volume.size_gb * GIB, volume.key,
                                self._source(volume))
            return Created(volume.size_gb)
        # Busy here is the source's (a copy of a volume a guest writes): not a state the
        # next pass would see differently, so the create fails.
        return self._act(volume, "creating", "create", act, busy_waits=False)

    def _extend(self, volume: VolumeAssignment) -> bool:
        def act() -> Outcome:
            self.devices.extend(volume.id, volume.size_gb * GIB, volume.key)
            return Extended(volume.size_gb)
        return self._act(volume, "extending", "extend", act)

    def _delete(self, volume: VolumeAssignment) -> bool:
        def act() -> Outcome:
            self.devices.delete(volume.id)
            return Deleted()
        return self._act(volume, "deleting", "delete", act)

    def _upload(self, volume: VolumeAssignment) -> bool:
        """os-volume_upload_image: the volume read in place (NBD, no plaintext on disk)
        and streamed into its queued image as raw. Repeated after a crash: an image
        already active is left, one cut half way fails (the control plane discards it
        and gives the volume back)."""
        image_id = volume.upload_image_id

        def act() -> Outcome:
            if image_id is None:
                raise SourceUnusable("no image to upload to")
            with self.devices.reader(volume.id, volume.key,
                                     volume.upload_snapshot_id) as reader:
                self.images.upload(image_id, read_all(reader), reader.size)
            return Uploaded(image_id)
        return self._act(volume, "uploading", f"upload to image {image_id}", act)

    def _snapshot_step(self, snapshot_id: str, status: str
                       ) -> Callable[[VolumeAssignment], bool]:
        def step(volume: VolumeAssignment) -> bool:
            def act() -> Outcome:
                if status == "creating":
                    self.devices.snapshot(volume.id, snapshot_id, volume.key)
                    return SnapshotTaken(snapshot_id)
                self.devices.delete_snapshot(volume.id, snapshot_id, volume.key)
                return SnapshotDeleted(snapshot_id)
            verb = "snapshot" if status == "creating" else "delete snapshot"
            return self._act(volume, status, f"{verb} {snapshot_id}", act, snapshot_id)
        return step

    def _act(self, volume: VolumeAssignment, expected: str, what: str,
             act: Callable[[], Outcome], snapshot_id: str | None = None, *,
             busy_waits: bool = True) -> bool:
        try:
            outcome = act()
        except VolumeBusy as exc:
            if not busy_waits:
                log.warning("volume %s: %s failed: %s", volume.id, what, exc)
                return self._record(volume, expected, what, Failed(_reason(what, exc)))
            # A guest took the volume since the list was read: it is about to show as
            # attached, and the compute agent does the work. Nothing is recorded.
            log.warning("volume %s: %s: in use, left to the compute agent: %s",
                        volume.id, what, exc)
            return False
        except Exception as exc:
            log.warning("volume %s: %s failed: %s", volume.id, what, exc)
            outcome = Failed(_reason(what, exc), snapshot_id)
        return self._record(volume, expected, what, outcome)

    def _record(self, volume: VolumeAssignment, expected: str, what: str,
                outcome: Outcome) -> bool:
        written = self.control.record(volume.id, expected, outcome)
        if written:
            log.info("volume %s: %s: %s", volume.id, what, type(outcome).__name__)
        else:
            # Compare-and-set lost: the status changed meanwhile (a delete during a
            # create); the next pass acts on the new one.
            log.info("volume %s: %s done, but the status is no longer %s: not recorded",
                     volume.id, what, expected)
        return written

    def _source(self, volume: VolumeAssignment) -> Source:
        order = volume.source
        if order is None:
            return None
        if order.image_id is not None:
            return self.images.local(order.image_id, volume.project_id)
        source_volume = order.volume_id
        if source_volume is None and order.snapshot_id is not None:
            source_volume = self._snapshot_owners.get(order.snapshot_id)
            if source_volume is None:
                raise SourceUnusable(f"no volume of this host has the snapshot "
                                     f"{order.snapshot_id}")
        if source_volume is None:
            raise SourceUnusable("the source order names nothing")
        if order.source_key is None:
            raise SourceUnusable(f"no key for the source volume {source_volume}")
        return CopyOf(source_volume, order.source_key, order.snapshot_id)

    # -- orphans ---------------------------------------------------------------------------
    def _remove_orphans(self, named: set[str]) -> int:
        """Remove the files no volume names (a volume deleted while the agent was down,
        a create whose row is gone) once they have been unnamed for the grace period."""
        now = self.clock()
        stored = self.devices.stored()
        with self._busy_lock:
            unnamed = {vid for vid in stored if vid not in named and vid not in self._busy}
        for vid in list(self._orphans_seen):
            if vid not in unnamed:
                del self._orphans_seen[vid]
        removed = 0
        for vid in sorted(unnamed):
            since = self._orphans_seen.setdefault(vid, now)
            if since == now:
                log.warning("volume file %s belongs to no volume of this host: removed in "
                            "%g s unless one claims it", vid, self.orphan_grace)
            if now - since < self.orphan_grace:
                continue
            try:
                self.devices.delete(vid)
            except Exception as exc:
                log.warning("orphan volume file %s not removed (retried next pass): %s",
                            vid, exc)
                continue
            log.warning("orphan volume file %s removed (%d bytes, %s)", vid,
                        stored[vid].size, "complete" if stored[vid].complete
                        else "an unfinished create")
            del self._orphans_seen[vid]
            removed += 1
        return removed


def read_all(reader: BlockReader, chunk: int = UPLOAD_CHUNK) -> Iterator[bytes]:
    """The reader's whole content in order, `chunk` bytes at a time; ranges it reports
    unallocated are zeros made here, not read."""
    zeros = bytes(chunk)
    for offset, length, has_data in reader.allocated():
        end = offset + length
        while offset < end:
            n = min(chunk, end - offset)
            yield reader.read(offset, n) if has_data else zeros[:n]
            offset += n


def _reason(what: str, exc: Exception) -> str:
    """The failure in an administrator's words (the tenant sees Cinder's plain "error")."""
    return f"{what}: {type(exc).__name__}: {exc}"[:1000]
