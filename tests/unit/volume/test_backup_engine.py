"""The backup engine on in-memory volumes and the real filesystem blob store: full and
incremental backups (counting the blobs written), restores, deletes, crashes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.blobs_fs import FsBlobStore
from nuage.ports.blobs import BlobCorrupt
from nuage.services.volume.backup_engine import (
    BackupCorrupt,
    BackupEngine,
    BackupError,
    Manifest,
    chunk_prefix,
)
from tests.unit.volume.memory_volumes import CLUSTER, MemoryVolume

CHUNK = 2 * CLUSTER          # 128 KiB chunks: a 1 MiB volume has 8
SIZE = 8 * CHUNK + 4096      # and a short ninth
KEY = b"k" * 32


@pytest.fixture
def blobs(tmp_path: Path) -> FsBlobStore:
    return FsBlobStore(tmp_path / "blobs")


@pytest.fixture
def engine(blobs: FsBlobStore) -> BackupEngine:
    return BackupEngine(blobs, chunk_size=CHUNK)


def source() -> MemoryVolume:
    """Chunks 0, 3 and the short last one hold data; chunk 5 was written with zeros
    (allocated, reads as zeros); the rest was never written."""
    volume = MemoryVolume(SIZE)
    volume.write(0, os.urandom(CHUNK))
    volume.write(3 * CHUNK + 100, b"three" * 1000)
    volume.write(5 * CHUNK, bytes(CHUNK))
    volume.write(8 * CHUNK, b"tail" * 1024)
    return volume


def restored(engine: BackupEngine, manifest: Manifest) -> MemoryVolume:
    target = MemoryVolume(SIZE)
    target.write(0, b"\xff" * SIZE)      # garbage the restore must overwrite
    engine.restore(manifest, target, KEY)
    return target


def test_a_full_backup_stores_only_chunks_with_data(engine: BackupEngine,
                                                    blobs: FsBlobStore) -> None:
    volume = source()
    manifest = engine.backup(volume, "bk-1", KEY, None)
    assert manifest.size == SIZE and manifest.chunk_size == CHUNK
    assert [chunk is not None for chunk in manifest.chunks] == [
        True, False, False, True, False, False, False, False, True]
    assert manifest.written == 3
    assert set(blobs.ids()) == manifest.blob_ids()
    assert len(manifest.blob_ids()) == 4          # three chunks and the manifest
    # Unallocated chunks are not even read.
    assert {offset // CHUNK for offset, _ in volume.reads} == {0, 3, 5, 8}
    # Streamed: one chunk at a time at most.
    assert max(length for _, length in volume.reads) <= CHUNK
    assert engine.read_manifest("bk-1", KEY) == manifest


def test_restore_equals_the_source(engine: BackupEngine) -> None:
    volume = source()
    manifest = engine.backup(volume, "bk-1", KEY, None)
    assert restored(engine, manifest).data == volume.data


def test_an_incremental_backup_writes_only_changed_chunks(engine: BackupEngine,
                                                          blobs: FsBlobStore) -> None:
    volume = source()
    full = engine.backup(volume, "bk-1", KEY, None)
    before_changes = bytes(volume.data)
    volume.write(3 * CHUNK, b"changed")          # chunk 3 changes
    volume.write(6 * CHUNK, b"new data")         # chunk 6 gets data
    volume.zero(0, CHUNK)                        # chunk 0 becomes zeros
    before = set(blobs.ids())
    incremental = engine.backup(volume, "bk-2", KEY, full)
    added = set(blobs.ids()) - before
    assert added == {f"{chunk_prefix('bk-2')}3", f"{chunk_prefix('bk-2')}6",
                     "bk-2-manifest"}
    assert incremental.written == 2
    assert incremental.parent_id == "bk-1"
    assert incremental.chunks[8] == full.chunks[8]    # unchanged: the parent's blob
    assert incremental.chunks[0] is None
    assert restored(engine, incremental).data == volume.data
    # The parent still restores to what it was.
    assert restored(engine, full).data == before_changes


def test_an_unchanged_volume_backs_up_to_just_a_manifest(engine: BackupEngine,
                                                         blobs: FsBlobStore) -> None:
    volume = source()
    full = engine.backup(volume, "bk-1", KEY, None)
    before = set(blobs.ids())
    incremental = engine.backup(volume, "bk-2", KEY, full)
    assert set(blobs.ids()) - before == {"bk-2-manifest"}
    assert incremental.written == 0


def test_backing_up_again_returns_the_committed_manifest(engine: BackupEngine,
                                                         blobs: FsBlobStore) -> None:
    volume = source()
    first = engine.backup(volume, "bk-1", KEY, None)
    before = set(blobs.ids())
    volume.write(0, b"changed after the backup was committed")
    assert engine.backup(volume, "bk-1", KEY, None) == first
    assert set(blobs.ids()) == before


def test_delete_keeps_the_blobs_a_child_still_uses(engine: BackupEngine,
                                                   blobs: FsBlobStore) -> None:
    volume = source()
    full = engine.backup(volume, "bk-1", KEY, None)
    volume.write(3 * CHUNK, b"changed")
    child = engine.backup(volume, "bk-2", KEY, full)
    expected = bytes(volume.data)

    engine.delete(full, still_referenced=child.blob_ids())
    assert engine.read_manifest("bk-1", KEY) is None
    assert f"{chunk_prefix('bk-1')}3" not in set(blobs.ids())   # only the parent used it
    assert restored(engine, child).data == expected

    engine.delete(child, still_referenced=set())
    assert set(blobs.ids()) == set()


def test_deleting_a_child_keeps_its_parents_blobs(engine: BackupEngine,
                                                  blobs: FsBlobStore) -> None:
    volume = source()
    full = engine.backup(volume, "bk-1", KEY, None)
    expected = restored(engine, full).data
    volume.write(3 * CHUNK, b"changed")
    child = engine.backup(volume, "bk-2", KEY, full)
    engine.delete(child, still_referenced=full.blob_ids())
    assert set(blobs.ids()) == full.blob_ids()
    assert restored(engine, full).data == expected


class CrashingReader:
    """Reads like `volume` until chunk `crash_at`, then fails (a crash mid-backup)."""

    def __init__(self, volume: MemoryVolume, crash_at: int) -> None:
        self.volume = volume
        self.crash_at = crash_at

    @property
    def size(self) -> int:
        return self.volume.size

    def read(self, offset: int, length: int) -> bytes:
        if offset >= self.crash_at * CHUNK:
            raise OSError("the volume went away")
        return self.volume.read(offset, length)

    def allocated(self) -> Iterator[tuple[int, int, bool]]:
        return self.volume.allocated()


def test_a_crashed_backup_leaves_no_orphan_once_run_again(engine: BackupEngine,
                                                          blobs: FsBlobStore) -> None:
    volume = source()
    with pytest.raises(OSError):
        engine.backup(CrashingReader(volume, crash_at=5), "bk-1", KEY, None)
    assert engine.read_manifest("bk-1", KEY) is None
    assert len(set(blobs.ids())) == 2             # chunks 0 and 3, orphans for now
    volume.zero(3 * CHUNK, CHUNK)                 # chunk 3 is zeros by the retry
    manifest = engine.backup(volume, "bk-1", KEY, None)
    assert set(blobs.ids()) == manifest.blob_ids()
    assert restored(engine, manifest).data == volume.data


def test_an_unfinished_backup_is_deleted_by_its_blob_names(engine: BackupEngine,
                                                           blobs: FsBlobStore) -> None:
    volume = source()
    kept = engine.backup(volume, "bk-0", KEY, None)
    with pytest.raises(OSError):
        engine.backup(CrashingReader(volume, crash_at=5), "bk-1", KEY, kept)
    assert engine.delete_unfinished("bk-1", still_referenced=kept.blob_ids()) == 0
    with pytest.raises(OSError):
        engine.backup(CrashingReader(volume, crash_at=5), "bk-2", KEY, None)
    assert engine.delete_unfinished("bk-2", still_referenced=set()) == 2
    assert set(blobs.ids()) == kept.blob_ids()


def test_a_tampered_chunk_fails_the_restore_loudly(engine: BackupEngine,
                                                   blobs: FsBlobStore) -> None:
    volume = source()
    manifest = engine.backup(volume, "bk-1", KEY, None)
    victim = manifest.chunks[3]
    assert victim is not None
    blobs.delete(victim.blob_id)
    writer = blobs.writer(victim.blob_id, KEY)    # same id, same key, other bytes
    writer.write(b"x" * CHUNK)
    writer.commit()
    with pytest.raises(BackupCorrupt, match="does not match its hash"):
        restored(engine, manifest)
    blobs.delete(victim.blob_id)
    with pytest.raises(BackupCorrupt, match="missing"):
        restored(engine, manifest)


def test_the_wrong_key_fails(engine: BackupEngine) -> None:
    manifest = engine.backup(source(), "bk-1", KEY, None)
    with pytest.raises(BlobCorrupt):
        engine.read_manifest("bk-1", b"w" * 32)
    with pytest.raises(BlobCorrupt):
        restored_with(engine, manifest, b"w" * 32)


def restored_with(engine: BackupEngine, manifest: Manifest, key: bytes) -> None:
    engine.restore(manifest, MemoryVolume(SIZE), key)


def test_a_smaller_target_is_refused(engine: BackupEngine) -> None:
    manifest = engine.backup(source(), "bk-1", KEY, None)
    with pytest.raises(BackupError):
        engine.restore(manifest, MemoryVolume(SIZE - 1), KEY)


def test_the_manifest_round_trips_and_rejects_garbage() -> None:
    manifest = Manifest("bk-1", None, 3 * CHUNK, CHUNK, (None, None, None))
    assert Manifest.from_json(manifest.to_json()) == manifest
    with pytest.raises(BackupCorrupt):
        Manifest.from_json(b"{}")
    with pytest.raises(BackupCorrupt):
        Manifest.from_json(Manifest("bk-1", None, 4 * CHUNK, CHUNK, (None,)).to_json())


def test_backup_ids_must_name_blobs(engine: BackupEngine) -> None:
    with pytest.raises(BackupError):
        engine.backup(source(), "../etc", KEY, None)
