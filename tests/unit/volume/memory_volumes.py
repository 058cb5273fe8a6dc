"""In-memory volumes for the backup layers' unit tests: a BlockReader/BlockWriter over a
bytearray, and a dict-backed BlockDevices holding them (with snapshots as copies)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nuage.ports.block_devices import (
    BlockDeviceError,
    BlockReader,
    BlockWriter,
    Source,
    StoredVolume,
    VolumeBusy,
    VolumeConnection,
    VolumeKey,
    VolumeMissing,
)

CLUSTER = 64 * 1024


class MemoryVolume:
    """A volume's plaintext; clusters never written are unallocated (read as zeros)."""

    def __init__(self, size: int) -> None:
        self.data = bytearray(size)
        self.written: set[int] = set()       # cluster indexes
        self.reads: list[tuple[int, int]] = []

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self, offset: int, length: int) -> bytes:
        assert offset >= 0 and offset + length <= self.size
        self.reads.append((offset, length))
        return bytes(self.data[offset : offset + length])

    def write(self, offset: int, data: bytes) -> None:
        assert offset >= 0 and offset + len(data) <= self.size
        self.data[offset : offset + len(data)] = data
        self.written.update(range(offset // CLUSTER, -(-(offset + len(data)) // CLUSTER)))

    def zero(self, offset: int, length: int) -> None:
        self.data[offset : offset + length] = bytes(length)

    def flush(self) -> None:
        pass

    def allocated(self) -> Iterator[tuple[int, int, bool]]:
        for cluster in range(-(-self.size // CLUSTER)):
            start = cluster * CLUSTER
            yield start, min(CLUSTER, self.size - start), cluster in self.written

    def copy(self) -> MemoryVolume:
        twin = MemoryVolume(self.size)
        twin.data[:] = self.data
        twin.written = set(self.written)
        return twin


@dataclass
class _Stored:
    volume: MemoryVolume
    key: VolumeKey
    snapshots: dict[str, MemoryVolume] = field(default_factory=dict)


class MemoryBlockDevices:
    """BlockDevices over MemoryVolumes; checks the key as the real driver would."""

    def __init__(self) -> None:
        self.volumes: dict[str, _Stored] = {}
        self.in_use: set[str] = set()    # volumes a running guest holds open

    def stored(self) -> dict[str, StoredVolume]:
        return {volume_id: StoredVolume(volume_id, held.volume.size,
                                        frozenset(held.snapshots))
                for volume_id, held in self.volumes.items()}

    def create(self, volume_id: str, size: int, key: VolumeKey, source: Source = None
               ) -> VolumeConnection:
        if volume_id not in self.volumes:
            self.volumes[volume_id] = _Stored(MemoryVolume(size), key)
        return self.connection(volume_id)

    def delete(self, volume_id: str) -> None:
        self.volumes.pop(volume_id, None)

    def extend(self, volume_id: str, size: int, key: VolumeKey) -> None:
        held = self._held(volume_id, key)
        if size > held.volume.size:
            held.volume.data.extend(bytes(size - held.volume.size))

    def snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        held = self._held(volume_id, key)
        held.snapshots.setdefault(snapshot_id, held.volume.copy())

    def delete_snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        if volume_id in self.volumes:
            self.volumes[volume_id].snapshots.pop(snapshot_id, None)

    def connection(self, volume_id: str) -> VolumeConnection:
        if volume_id not in self.volumes:
            raise VolumeMissing(volume_id)
        return VolumeConnection(Path("/memory") / volume_id)

    def reader(self, volume_id: str, key: VolumeKey, snapshot_id: str | None = None,
               shared: bool = False) -> AbstractContextManager[BlockReader]:
        held = self._held(volume_id, key)
        if snapshot_id is None:
            if volume_id in self.in_use and not shared:
                raise VolumeBusy(volume_id)
            return _opened(held.volume)
        if snapshot_id not in held.snapshots:
            raise VolumeMissing(f"{volume_id}@{snapshot_id}")
        return _opened(held.snapshots[snapshot_id])

    def writer(self, volume_id: str, key: VolumeKey) -> AbstractContextManager[BlockWriter]:
        return _opened(self._held(volume_id, key).volume)

    def _held(self, volume_id: str, key: VolumeKey) -> _Stored:
        held = self.volumes.get(volume_id)
        if held is None:
            raise VolumeMissing(volume_id)
        if held.key != key:
            raise BlockDeviceError(f"{volume_id}: wrong key")
        return held


@contextmanager
def _opened(volume: MemoryVolume) -> Iterator[MemoryVolume]:
    yield volume
