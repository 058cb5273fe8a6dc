"""The agent's backup steps on a fake control plane, in-memory volumes and the real
filesystem blob store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from nuage.drivers.blobs_fs import FsBlobStore
from nuage.ports.volume_agent import (
    BackupAssignment,
    BackupDone,
    Failed,
    Outcome,
    VolumeAssignment,
)
from nuage.services.volume.backup_engine import BackupEngine
from nuage.services.volume.backup_steps import run_backups
from tests.unit.volume.memory_volumes import CLUSTER, MemoryBlockDevices

CHUNK = 2 * CLUSTER
SIZE = 6 * CHUNK
VOLUME_KEY = b"v" * 32
TARGET_KEY = b"t" * 32
BACKUP_KEY = b"b" * 32


class FakeHostVolumes:
    """The control plane's side of the port: backups with work, and what was recorded."""

    host = "host-1"

    def __init__(self) -> None:
        self.pending: dict[str, BackupAssignment] = {}
        self.recorded: list[tuple[str, str, BackupDone | Failed]] = []

    def volumes(self) -> list[VolumeAssignment]:
        return []

    def record(self, volume_id: str, expected_status: str, outcome: Outcome) -> bool:
        raise AssertionError("backup steps record backups only")

    def backups(self) -> list[BackupAssignment]:
        return list(self.pending.values())

    def record_backup(self, backup_id: str, expected_status: str,
                      outcome: BackupDone | Failed) -> bool:
        current = self.pending.get(backup_id)
        if current is None or current.status != expected_status:
            return False
        self.recorded.append((backup_id, expected_status, outcome))
        del self.pending[backup_id]
        return True

    def ask(self, backup: BackupAssignment) -> None:
        self.pending[backup.id] = backup

    def last(self, backup_id: str) -> BackupDone | Failed:
        return [outcome for bid, _, outcome in self.recorded if bid == backup_id][-1]


@dataclass
class World:
    control: FakeHostVolumes
    devices: MemoryBlockDevices
    blobs: FsBlobStore
    engine: BackupEngine


@pytest.fixture
def world(tmp_path: Path) -> World:
    devices = MemoryBlockDevices()
    devices.create("vol-1", SIZE, VOLUME_KEY)
    devices.volumes["vol-1"].volume.write(0, b"first" * 1000)
    devices.volumes["vol-1"].volume.write(4 * CHUNK, b"fifth" * 1000)
    blobs = FsBlobStore(tmp_path / "blobs")
    return World(FakeHostVolumes(), devices, blobs, BackupEngine(blobs, chunk_size=CHUNK))


def creating(backup_id: str, **changes: object) -> BackupAssignment:
    backup = BackupAssignment(id=backup_id, project_id="p", status="creating",
                              volume_id="vol-1", key=VOLUME_KEY, backup_key=BACKUP_KEY,
                              container="volumebackups")
    return replace(backup, **changes)  # type: ignore[arg-type]


def run(world: World) -> None:
    run_backups(world.control, world.devices, world.blobs, world.engine)


def test_create_then_restore_into_another_volume(world: World) -> None:
    world.control.ask(creating("bk-1"))
    run(world)
    assert world.control.last("bk-1") == BackupDone(size_gb=1, object_count=2)
    assert world.engine.read_manifest("bk-1", BACKUP_KEY) is not None

    world.devices.create("vol-2", SIZE, TARGET_KEY)
    world.devices.volumes["vol-2"].volume.write(CHUNK, b"garbage" * 100)
    world.control.ask(creating("bk-1", status="restoring", restore_volume_id="vol-2",
                         key=TARGET_KEY))
    run(world)
    assert world.control.last("bk-1") == BackupDone(size_gb=1, object_count=2)
    assert world.devices.volumes["vol-2"].volume.data == world.devices.volumes["vol-1"].volume.data


def test_an_incremental_backup_builds_on_its_parent(world: World) -> None:
    world.control.ask(creating("bk-1"))
    run(world)
    world.devices.volumes["vol-1"].volume.write(2 * CHUNK, b"third")
    world.control.ask(creating("bk-2", parent_id="bk-1"))
    run(world)
    assert world.control.last("bk-2") == BackupDone(size_gb=1, object_count=1)
    manifest = world.engine.read_manifest("bk-2", BACKUP_KEY)
    assert manifest is not None and manifest.parent_id == "bk-1"


def test_a_forced_backup_of_an_attached_volume_reads_beside_the_guest(
        world: World) -> None:
    # Found end to end: the guest's QEMU holds the file, and the backup's reader failed on
    # its lock. An attached volume's backup shares it; a detached one's still must not.
    world.devices.in_use.add("vol-1")
    content = bytes(world.devices.volumes["vol-1"].volume.data)
    world.control.ask(creating("bk-1", attached=True))
    world.control.ask(creating("bk-2"))
    run(world)
    assert isinstance(world.control.last("bk-1"), BackupDone)
    assert isinstance(world.control.last("bk-2"), Failed)
    world.devices.create("vol-2", SIZE, TARGET_KEY)
    world.control.ask(creating("bk-1", status="restoring", restore_volume_id="vol-2",
                               key=TARGET_KEY))
    run(world)
    assert world.devices.volumes["vol-2"].volume.data == content


def test_a_backup_of_a_snapshot_reads_the_snapshot(world: World) -> None:
    world.devices.snapshot("vol-1", "snap-1", VOLUME_KEY)
    snapshot_content = bytes(world.devices.volumes["vol-1"].volume.data)
    world.devices.volumes["vol-1"].volume.write(0, b"after the snapshot")
    world.control.ask(creating("bk-1", snapshot_id="snap-1"))
    run(world)
    world.devices.create("vol-2", SIZE, TARGET_KEY)
    world.control.ask(creating("bk-1", status="restoring", restore_volume_id="vol-2",
                         key=TARGET_KEY))
    run(world)
    assert world.devices.volumes["vol-2"].volume.data == snapshot_content


def test_delete_removes_only_what_the_parent_does_not_use(world: World) -> None:
    world.control.ask(creating("bk-1"))
    run(world)
    parent_blobs = set(world.blobs.ids())
    world.devices.volumes["vol-1"].volume.write(2 * CHUNK, b"third")
    world.control.ask(creating("bk-2", parent_id="bk-1"))
    run(world)
    world.control.ask(creating("bk-2", parent_id="bk-1", status="deleting"))
    run(world)
    assert world.control.last("bk-2") == BackupDone(deleted=True)
    assert set(world.blobs.ids()) == parent_blobs
    world.control.ask(creating("bk-1", status="deleting"))
    run(world)
    assert set(world.blobs.ids()) == set()


def test_deleting_a_failed_backup_removes_its_leftovers(world: World) -> None:

    class Broken(Exception):
        pass

    original = world.devices.volumes["vol-1"].volume.read
    calls = 0

    def read_then_break(offset: int, length: int) -> bytes:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise Broken("disk gone")
        return original(offset, length)

    world.devices.volumes["vol-1"].volume.read = read_then_break  # type: ignore[method-assign]
    world.control.ask(creating("bk-1"))
    run(world)
    outcome = world.control.last("bk-1")
    assert isinstance(outcome, Failed) and "disk gone" in outcome.reason
    assert len(set(world.blobs.ids())) == 1                 # the first chunk, an orphan
    world.control.ask(creating("bk-1", status="deleting"))
    run(world)
    assert world.control.last("bk-1") == BackupDone(deleted=True)
    assert set(world.blobs.ids()) == set()


def test_failures_are_recorded_and_do_not_stop_the_pass(world: World) -> None:
    world.control.ask(creating("bk-missing-volume", volume_id="vol-nope"))
    world.control.ask(creating("bk-no-parent", parent_id="bk-nope"))
    world.control.ask(creating("bk-wrong-key", key=b"x" * 32))
    world.control.ask(creating("bk-nothing-to-restore", status="restoring",
                         restore_volume_id="vol-1"))
    world.control.ask(creating("bk-1"))
    run(world)
    for backup_id in ("bk-missing-volume", "bk-no-parent", "bk-wrong-key",
                      "bk-nothing-to-restore"):
        assert isinstance(world.control.last(backup_id), Failed), backup_id
    assert world.control.last("bk-1") == BackupDone(size_gb=1, object_count=2)


def test_a_restore_with_the_wrong_backup_key_fails(world: World) -> None:
    world.control.ask(creating("bk-1"))
    run(world)
    world.control.ask(creating("bk-1", status="restoring", restore_volume_id="vol-1",
                         backup_key=b"w" * 32))
    run(world)
    assert isinstance(world.control.last("bk-1"), Failed)


def test_an_outcome_for_a_status_left_meanwhile_is_dropped(world: World) -> None:

    class DeletedMeanwhile(FakeHostVolumes):
        def record_backup(self, backup_id: str, expected_status: str,
                          outcome: BackupDone | Failed) -> bool:
            return False

    racing = DeletedMeanwhile()
    racing.ask(creating("bk-1"))
    run_backups(racing, world.devices, world.blobs, world.engine)
    assert racing.recorded == []


def test_other_statuses_are_left_alone(world: World) -> None:
    world.control.ask(creating("bk-1", status="available"))
    world.control.ask(creating("bk-2", status="error"))
    run(world)
    assert world.control.recorded == []
    assert set(world.blobs.ids()) == set()
