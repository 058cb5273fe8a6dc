"""The filesystem BlobStore: round trips, ranges, tamper detection, no plaintext on disk,
crash safety and bounded memory."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.blobs_fs import FsBlobStore
from nuage.drivers.blobs_fs.format import HEADER_SIZE, TAG_SIZE
from nuage.ports.blobs import BlobCorrupt, BlobStore

SMALL = 64  # a small chunk size so that tests cover many chunks cheaply


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def store(tmp_path: Path) -> FsBlobStore:
    return FsBlobStore(tmp_path / "store", chunk_size=SMALL)


def put(store: BlobStore, blob_id: str, key: bytes, data: bytes,
        rng: random.Random | None = None) -> None:
    """Write `data` in pieces of random sizes (one piece when no rng)."""
    writer = store.writer(blob_id, key)
    if rng is None:
        writer.write(data)
    else:
        pos = 0
        while pos < len(data):
            step = rng.randint(0, 3 * SMALL)
            writer.write(data[pos : pos + step])
            pos += step
    writer.commit()


def get(store: BlobStore, blob_id: str, key: bytes, offset: int = 0,
        length: int | None = None) -> bytes:
    return b"".join(store.read(blob_id, key, offset, length))


def blob_path(store: FsBlobStore, blob_id: str) -> Path:
    return store.root / "blobs" / blob_id[:2] / blob_id


def all_files(root: Path) -> Iterator[Path]:
    return (p for p in root.rglob("*") if p.is_file())


# Round trips and ranges


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL, 5 * SMALL + 7])
def test_round_trip_sizes(store: FsBlobStore, key: bytes, size: int) -> None:
    data = os.urandom(size)
    put(store, "blob-a", key, data, random.Random(size))
    assert get(store, "blob-a", key) == data
    assert store.size("blob-a") == size
    chunks = max(1, -(-size // SMALL))
    assert store.info("blob-a").stored_size == HEADER_SIZE + size + chunks * TAG_SIZE
    assert blob_path(store, "blob-a").stat().st_size == store.info("blob-a").stored_size


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537])
def test_round_trip_default_chunk(tmp_path: Path, key: bytes, size: int) -> None:
    store = FsBlobStore(tmp_path)
    data = os.urandom(size)
    writer = store.writer("b1", key)
    writer.write(data)
    assert writer.commit().size == size
    assert get(store, "b1", key) == data


def test_several_megabytes_in_random_writes(tmp_path: Path, key: bytes) -> None:
    store = FsBlobStore(tmp_path)
    rng = random.Random(7)
    data = rng.randbytes(5 * 1024 * 1024 + 12345)
    writer = store.writer("big", key)
    pos = 0
    while pos < len(data):
        step = rng.choice([1, 100, 4096, 65535, 65536, 65537, 300_000, 1_000_000])
        writer.write(memoryview(data)[pos : pos + step])
        pos += step
    info = writer.commit()
    assert (info.blob_id, info.size) == ("big", len(data))
    assert get(store, "big", key) == data
    pieces = list(store.read("big", key, 100_000, 200_000))
    assert b"".join(pieces) == data[100_000:300_000]
    assert max(len(p) for p in pieces) <= 65536


def test_every_range(store: FsBlobStore, key: bytes) -> None:
    rng = random.Random(42)
    data = rng.randbytes(10 * SMALL + 13)
    put(store, "ranges", key, data, rng)
    n = len(data)
    edges = sorted({0, 1, n - 1, n, n + 1, 3 * n} | {k * SMALL + d for k in range(11)
                                                    for d in (-1, 0, 1)} - {-1})
    cases = [(o, ln) for o in edges for ln in [*edges, None]]
    cases += [(rng.randint(0, n + 50), rng.choice([None, rng.randint(0, n + 50)]))
              for _ in range(1000)]
    for offset, length in cases:
        expected = data[offset:] if length is None else data[offset : offset + length]
        assert get(store, "ranges", key, offset, length) == expected, (offset, length)


def test_negative_range_is_refused(store: FsBlobStore, key: bytes) -> None:
    put(store, "b1", key, b"abc")
    with pytest.raises(ValueError):
        store.read("b1", key, -1)
    with pytest.raises(ValueError):
        store.read("b1", key, 0, -1)


def test_a_range_decrypts_only_its_chunks(store: FsBlobStore, key: bytes) -> None:
    data = os.urandom(10 * SMALL)
    put(store, "b1", key, data)
    flip(blob_path(store, "b1"), HEADER_SIZE + 3)  # inside chunk 0
    assert get(store, "b1", key, 5 * SMALL + 3, 2 * SMALL) == data[5 * SMALL + 3 : 7 * SMALL + 3]
    with pytest.raises(BlobCorrupt):
        get(store, "b1", key, SMALL - 1, 2)


# Keys and tampering


def flip(path: Path, position: int, bit: int = 0) -> None:
    raw = bytearray(path.read_bytes())
    raw[position] ^= 1 << bit
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("size", [0, 1, 3 * SMALL + 5])
def test_wrong_key_is_corrupt(store: FsBlobStore, key: bytes, size: int) -> None:
    put(store, "b1", key, os.urandom(size))
    for offset, length in [(0, None), (0, 0), (size, 10), (size + 100, None)]:
        with pytest.raises(BlobCorrupt):
            get(store, "b1", os.urandom(32), offset, length)


def test_every_flipped_bit_is_detected(store: FsBlobStore, key: bytes) -> None:
    data = os.urandom(4 * SMALL + 9)
    put(store, "b1", key, data)
    path = blob_path(store, "b1")
    original = path.read_bytes()
    rng = random.Random(3)
    for position in range(len(original)):
        flip(path, position, rng.randrange(8))
        with pytest.raises(BlobCorrupt):
            get(store, "b1", key)
        path.write_bytes(original)
    assert get(store, "b1", key) == data


@pytest.mark.parametrize("cut", [1, TAG_SIZE, SMALL + TAG_SIZE, SMALL + TAG_SIZE + 1])
def test_truncated_file_is_corrupt(store: FsBlobStore, key: bytes, cut: int) -> None:
    put(store, "b1", key, os.urandom(4 * SMALL + 9))
    path = blob_path(store, "b1")
    raw = path.read_bytes()
    path.write_bytes(raw[:-cut])
    with pytest.raises(BlobCorrupt):
        get(store, "b1", key)
    with pytest.raises(BlobCorrupt):
        store.size("b1")


def test_truncated_at_a_chunk_boundary_with_a_fixed_size_is_corrupt(
        store: FsBlobStore, key: bytes) -> None:
    """Even with the header's size edited to match, the new last chunk was not sealed as
    final, so authentication fails."""
    data = os.urandom(4 * SMALL)
    put(store, "b1", key, data)
    path = blob_path(store, "b1")
    raw = bytearray(path.read_bytes()[: HEADER_SIZE + 3 * (SMALL + TAG_SIZE)])
    raw[HEADER_SIZE - 8 : HEADER_SIZE] = (3 * SMALL).to_bytes(8, "big")
    path.write_bytes(bytes(raw))
    assert store.size("b1") == 3 * SMALL
    assert get(store, "b1", key, 0, SMALL) == data[:SMALL]  # authentic chunks still read
    with pytest.raises(BlobCorrupt):
        get(store, "b1", key)


def test_swapped_chunks_are_corrupt(store: FsBlobStore, key: bytes) -> None:
    put(store, "b1", key, os.urandom(4 * SMALL))
    path = blob_path(store, "b1")
    raw = path.read_bytes()
    sealed = SMALL + TAG_SIZE
    chunks = [raw[HEADER_SIZE + i * sealed : HEADER_SIZE + (i + 1) * sealed] for i in range(4)]
    chunks[1], chunks[2] = chunks[2], chunks[1]
    path.write_bytes(raw[:HEADER_SIZE] + b"".join(chunks))
    with pytest.raises(BlobCorrupt):
        get(store, "b1", key, SMALL, SMALL)


def test_chunks_from_another_blob_or_id_are_corrupt(store: FsBlobStore, key: bytes) -> None:
    """Same key, same sizes: the nonce prefix and blob id still tell blobs apart."""
    put(store, "b1", key, os.urandom(3 * SMALL))
    put(store, "b2", key, os.urandom(3 * SMALL))
    one, two = blob_path(store, "b1"), blob_path(store, "b2")
    raw1, raw2 = one.read_bytes(), two.read_bytes()
    sealed = SMALL + TAG_SIZE
    mixed = raw1[: HEADER_SIZE + sealed] + raw2[HEADER_SIZE + sealed :]
    one.write_bytes(mixed)
    with pytest.raises(BlobCorrupt):
        get(store, "b1", key, SMALL, SMALL)
    one.write_bytes(raw2)  # the whole file of b2 under the name b1
    with pytest.raises(BlobCorrupt):
        get(store, "b1", key)


# Store behaviour


def test_missing_blob(store: FsBlobStore, key: bytes) -> None:
    with pytest.raises(KeyError):
        store.read("nope", key)
    with pytest.raises(KeyError):
        store.size("nope")
    store.delete("nope")


def test_delete_ids_and_immutability(store: FsBlobStore, key: bytes) -> None:
    for blob_id in ["aa1", "aa2", "bb1"]:
        put(store, blob_id, key, blob_id.encode())
    assert sorted(store.ids()) == ["aa1", "aa2", "bb1"]
    with pytest.raises(FileExistsError):
        store.writer("aa1", key)
    late = store.writer("cc1", key)
    late.write(b"second")
    put(store, "cc1", key, b"first")
    with pytest.raises(FileExistsError):
        late.commit()
    assert get(store, "cc1", key) == b"first"
    store.delete("aa1")
    store.delete("aa1")
    assert sorted(store.ids()) == ["aa2", "bb1", "cc1"]
    assert store.cleanup_partial() == 0


def test_a_reader_survives_delete(store: FsBlobStore, key: bytes) -> None:
    data = os.urandom(5 * SMALL)
    put(store, "b1", key, data)
    pieces = store.read("b1", key)
    first = next(pieces)
    store.delete("b1")
    assert first + b"".join(pieces) == data


@pytest.mark.parametrize("bad", ["", "a", "../etc", "a/b", "a.b", "x" * 201])
def test_invalid_ids_are_refused(store: FsBlobStore, key: bytes, bad: str) -> None:
    with pytest.raises(ValueError):
        store.writer(bad, key)
    with pytest.raises(ValueError):
        store.delete(bad)


def test_keys_must_be_32_bytes(store: FsBlobStore) -> None:
    with pytest.raises(ValueError):
        store.writer("b1", b"short")


def test_closed_writer_refuses_writes(store: FsBlobStore, key: bytes) -> None:
    writer = store.writer("b1", key)
    writer.commit()
    with pytest.raises(ValueError):
        writer.write(b"x")
    writer.abort()  # idempotent after commit: the committed blob stays
    assert get(store, "b1", key) == b""


def test_permissions(store: FsBlobStore, key: bytes) -> None:
    put(store, "b1", key, b"data")
    writer = store.writer("b2", key)
    for path in [store.root, *store.root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    writer.abort()


def test_no_plaintext_on_disk(store: FsBlobStore, key: bytes) -> None:
    pattern = b"".join(b"nuage known plaintext line %08d\n" % i for i in range(40_000))[:1 << 20]
    slices = [pattern[i : i + 32] for i in range(0, len(pattern) - 32, 9973)]
    put(store, "committed", key, pattern)
    pending = store.writer("pending", key)
    pending.write(pattern)  # a writer that has not committed: its temporary is on disk
    files = list(all_files(store.root))
    assert len(files) == 2
    for path in files:
        raw = path.read_bytes()
        assert not any(piece in raw for piece in slices), path
    pending.abort()


# Crash safety


def test_abandoned_writer_leaves_nothing_visible(tmp_path: Path, key: bytes) -> None:
    store = FsBlobStore(tmp_path)
    writer = store.writer("b1", key)
    writer.write(os.urandom(200_000))
    # As seen by a restarted process while this writer's process is gone.
    again = FsBlobStore(tmp_path)
    assert list(again.ids()) == []
    with pytest.raises(KeyError):
        again.size("b1")
    assert again.cleanup_partial() == 1
    assert list((tmp_path / "tmp").iterdir()) == []
    writer.abort()


def test_a_dropped_writer_removes_its_temporary(store: FsBlobStore, key: bytes) -> None:
    writer = store.writer("b1", key)
    writer.write(os.urandom(200_000))
    del writer
    assert list(all_files(store.root)) == []
    assert list(store.ids()) == []


def test_abort_and_context_manager_remove_the_temporary(store: FsBlobStore, key: bytes) -> None:
    writer = store.writer("b1", key)
    writer.write(b"x" * 1000)
    writer.abort()
    writer.abort()
    with pytest.raises(RuntimeError), store.writer("b2", key) as w2:
        w2.write(b"y" * 1000)
        raise RuntimeError("upload failed")
    assert store.cleanup_partial() == 0
    assert list(store.ids()) == []


_CHILD = textwrap.dedent("""
    import hashlib, random, sys
    from pathlib import Path
    from nuage.drivers.blobs_fs import FsBlobStore

    store = FsBlobStore(Path(sys.argv[1]), chunk_size=4096)
    key = bytes(32)
    if sys.argv[2] == "one":
        writer = store.writer("never", key)
        writer.write(b"x" * 100_000)
        print("ready", flush=True)
        while True:
            writer.write(b"y" * 65536)
    for i in range(10**9):
        blob_id = f"b{i:06d}"
        rng = random.Random(blob_id)
        writer = store.writer(blob_id, key)
        for _ in range(rng.randint(0, 40)):
            writer.write(rng.randbytes(rng.randint(0, 20_000)))
        writer.commit()
        if i == 3:
            print("ready", flush=True)
""")


def expected_content(blob_id: str) -> bytes:
    rng = random.Random(blob_id)
    return b"".join(rng.randbytes(rng.randint(0, 20_000)) for _ in range(rng.randint(0, 40)))


def run_and_kill(root: Path, mode: str, delay: float) -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(root), mode],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=delay)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_killed_writer_leaves_only_a_temporary(tmp_path: Path) -> None:
    run_and_kill(tmp_path, "one", 0.2)
    store = FsBlobStore(tmp_path)
    assert list(store.ids()) == []
    with pytest.raises(KeyError):
        store.read("never", bytes(32))
    assert store.cleanup_partial() == 1
    assert list(all_files(tmp_path)) == []


@pytest.mark.parametrize("delay", [0.05, 0.13, 0.31])
def test_killed_during_commits_every_visible_blob_is_whole(tmp_path: Path, delay: float) -> None:
    run_and_kill(tmp_path, "many", delay)
    store = FsBlobStore(tmp_path)
    ids = sorted(store.ids())
    assert len(ids) >= 4
    assert ids == [f"b{i:06d}" for i in range(len(ids))]
    for blob_id in ids:
        assert get(store, blob_id, bytes(32)) == expected_content(blob_id)
    assert store.cleanup_partial() <= 1
    assert list((tmp_path / "tmp").iterdir()) == []
    assert sorted(store.ids()) == ids


# Memory


def test_memory_stays_bounded(tmp_path: Path, key: bytes) -> None:
    store = FsBlobStore(tmp_path)
    piece = os.urandom(256 * 1024)
    tracemalloc.start()
    try:
        writer = store.writer("big", key)
        for _ in range(256):  # 64 MiB
            writer.write(piece)
        writer.commit()
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        total = sum(len(p) for p in store.read("big", key))
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 64 * 1024 * 1024
    # About two chunks (64 KiB each) in practice; 512 KiB leaves room for the allocator
    # while still catching any buffering that grows with the object.
    assert write_peak < 512 * 1024
    assert read_peak < 512 * 1024
