"""The volume agent's unit-test doubles of the control plane side: a HostVolumes that
applies outcomes with compare-and-set as the serving side does, and VolumeImages over the
fake BlockDevices' image files."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path

from nuage.ports.block_devices import GIB, ImageFile
from nuage.ports.volume_agent import (
    BackupAssignment,
    BackupDone,
    Created,
    Deleted,
    Extended,
    Failed,
    ImageUnavailable,
    Outcome,
    SnapshotAssignment,
    SnapshotDeleted,
    VolumeAssignment,
)
from tests.support.fake_block_devices import FakeBlockDevices

KEY = b"k" * 32


class FakeHostVolumes:
    """The control plane of one host: volumes by id; `record` writes the outcome's
    status only when the expected status is still there."""

    host = "host-1"

    def __init__(self) -> None:
        self.rows: dict[str, VolumeAssignment] = {}
        self.recorded: list[tuple[str, str, Outcome]] = []
        self.failures: dict[str, str] = {}
        # Runs inside `record`, before the compare-and-set (a concurrent API call).
        self.before_record: dict[str, VolumeAssignment] = {}
        self._lock = threading.Lock()

    def add(self, volume: VolumeAssignment) -> VolumeAssignment:
        self.rows[volume.id] = volume
        return volume

    def volumes(self) -> list[VolumeAssignment]:
        return list(self.rows.values())

    def backups(self) -> list[BackupAssignment]:
        return []

    def record_backup(self, backup_id: str, expected_status: str,
                      outcome: BackupDone | Failed) -> bool:
        return False

    def record(self, volume_id: str, expected_status: str, outcome: Outcome) -> bool:
        with self._lock:
            if volume_id in self.before_record:
                self.rows[volume_id] = self.before_record.pop(volume_id)
            row = self.rows.get(volume_id)
            if row is None:
                return False
            snapshot_id = getattr(outcome, "snapshot_id", None)
            if snapshot_id is not None:
                return self._record_snapshot(row, snapshot_id, expected_status, outcome)
            if row.status != expected_status:
                return False
            self.recorded.append((volume_id, expected_status, outcome))
            if isinstance(outcome, Deleted):
                del self.rows[volume_id]
            elif isinstance(outcome, Failed):
                self.failures[volume_id] = outcome.reason
                self.rows[volume_id] = dataclasses.replace(row, status={
                    "creating": "error", "extending": "error_extending",
                    "deleting": "error_deleting",
                    "uploading": "available"}[expected_status])
            else:
                size = outcome.size_gb if isinstance(outcome, Created | Extended) else 0
                self.rows[volume_id] = dataclasses.replace(row, status="available",
                                                           size_gb=size or row.size_gb)
            return True

    def _record_snapshot(self, row: VolumeAssignment, snapshot_id: str, expected: str,
                         outcome: Outcome) -> bool:
        snaps = {s.id: s for s in row.snapshots}
        if snaps.get(snapshot_id, SnapshotAssignment("", "")).status != expected:
            return False
        self.recorded.append((row.id, expected, outcome))
        if isinstance(outcome, SnapshotDeleted):
            del snaps[snapshot_id]
        else:
            status = "error" if isinstance(outcome, Failed) else "available"
            snaps[snapshot_id] = SnapshotAssignment(snapshot_id, status)
        self.rows[row.id] = dataclasses.replace(row, snapshots=tuple(snaps.values()))
        return True


class FakeImages:
    def __init__(self, devices: FakeBlockDevices) -> None:
        self.devices = devices
        self.asked: list[tuple[str, str]] = []
        # image id -> (bytes streamed, sha256 of them, size announced)
        self.uploaded: dict[str, tuple[int, str, int]] = {}
        self.fail_upload: str | None = None

    def upload(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        digest = hashlib.sha256()
        count = 0
        for chunk in chunks:
            digest.update(chunk)
            count += len(chunk)
            if self.fail_upload is not None:
                raise ImageUnavailable(self.fail_upload)
        self.uploaded[image_id] = (count, digest.hexdigest(), size)

    def local(self, image_id: str, project_id: str) -> ImageFile:
        self.asked.append((image_id, project_id))
        if image_id == "hidden":
            raise ImageUnavailable(f"image {image_id} is not visible to {project_id}")
        return self.devices.add_image(Path(f"/cache/{image_id}"), GIB, {0: b"image"})


def volume(vid: str, status: str, size_gb: int = 1, **kw: object) -> VolumeAssignment:
    return VolumeAssignment(vid, "project-1", status, size_gb, KEY, **kw)  # type: ignore[arg-type]
