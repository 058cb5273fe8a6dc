"""An in-memory BlockDevices for the volume agent's unit tests. The contract suite
(tests/drivers/test_block_devices_contract.py) runs it beside the real qcow2 driver, so
what this one does, the real one does.

Content is sparse (written ranges only): a "10 GiB" volume costs nothing. Keys are
checked as the real driver's LUKS does: a wrong key fails. A test may mark a volume in
use (`in_use`), leave a crashed create behind (`leave_part`), or make the next call of an
operation fail (`fail_next`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from nuage.ports.block_devices import (
    BlockDeviceError,
    BlockReader,
    BlockWriter,
    CopyOf,
    ImageFile,
    Source,
    StoredVolume,
    VolumeBusy,
    VolumeConnection,
    VolumeKey,
    VolumeMissing,
)

Content = dict[int, bytes]   # offset -> bytes written there; the rest reads as zeros


@dataclass
class _Volume:
    size: int
    key: VolumeKey
    content: Content = field(default_factory=dict)
    snapshots: dict[str, tuple[int, Content]] = field(default_factory=dict)
    complete: bool = True


def read(content: Content, size: int, offset: int, length: int) -> bytes:
    out = bytearray(max(0, min(length, size - offset)))
    for at, data in sorted(content.items()):
        for i, byte in enumerate(data):
            if offset <= at + i < offset + len(out):
                out[at + i - offset] = byte
    return bytes(out)


class FakeBlockDevices:
    def __init__(self, directory: Path = Path("/fake/volumes")) -> None:
        self.directory = directory
        self.volumes: dict[str, _Volume] = {}
        # Plaintext image files a source may name: path -> (virtual size, content).
        self.images: dict[Path, tuple[int, Content]] = {}
        self.in_use: set[str] = set()
        self.fail_next: dict[str, str] = {}      # operation -> the error's message
        self.calls: list[tuple[str, str]] = []   # (operation, volume id), in order
        self._lock = threading.Lock()

    # -- test controls ---------------------------------------------------------------------
    def add_image(self, path: Path, size: int, content: Content | None = None) -> ImageFile:
        self.images[path] = (size, dict(content or {}))
        return ImageFile(path, "raw")

    def leave_part(self, volume_id: str) -> None:
        """What a crash half way through a create leaves."""
        self.volumes[volume_id] = _Volume(0, b"", complete=False)

    def write(self, volume_id: str, key: VolumeKey, offset: int, data: bytes) -> None:
        volume = self._open(volume_id, key)
        volume.content[offset] = data

    def read(self, volume_id: str, key: VolumeKey, offset: int, length: int) -> bytes:
        volume = self._open(volume_id, key)
        return read(volume.content, volume.size, offset, length)

    # -- the port --------------------------------------------------------------------------
    def stored(self) -> dict[str, StoredVolume]:
        with self._lock:
            return {vid: StoredVolume(vid, v.size, frozenset(v.snapshots), v.complete)
                    for vid, v in self.volumes.items()}

    def create(self, volume_id: str, size: int, key: VolumeKey, source: Source = None
               ) -> VolumeConnection:
        self._call("create", volume_id)
        existing = self.volumes.get(volume_id)
        if existing is not None and existing.complete:
            return self.connection(volume_id)
        self.volumes.pop(volume_id, None)
        if size <= 0:
            raise BlockDeviceError(f"size {size} is not positive")
        content: Content = {}
        if isinstance(source, ImageFile):
            if source.path not in self.images:
                raise BlockDeviceError(f"no image file {source.path}")
            image_size, image_content = self.images[source.path]
            _check_fits(image_size, size)
            content = dict(image_content)
        elif isinstance(source, CopyOf):
            if source.volume_id not in self.volumes:
                raise VolumeMissing(f"source volume {source.volume_id} absent")
            src = self._open(source.volume_id, source.key)
            if source.snapshot_id is None:
                if source.volume_id in self.in_use:
                    raise VolumeBusy(f"volume {source.volume_id} is in use")
                _check_fits(src.size, size)
                content = dict(src.content)
            elif source.snapshot_id not in src.snapshots:
                raise VolumeMissing(f"no snapshot {source.snapshot_id}")
            else:
                snapshot_size, snapshot_content = src.snapshots[source.snapshot_id]
                _check_fits(snapshot_size, size)
                content = dict(snapshot_content)
        with self._lock:
            self.volumes[volume_id] = _Volume(size, key, content)
        return self.connection(volume_id)

    def delete(self, volume_id: str) -> None:
        self._call("delete", volume_id)
        self._idle(volume_id)
        with self._lock:
            self.volumes.pop(volume_id, None)

    def extend(self, volume_id: str, size: int, key: VolumeKey) -> None:
        self._call("extend", volume_id)
        volume = self._open(volume_id, key)
        self._idle(volume_id)
        volume.size = max(volume.size, size)

    def snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        self._call("snapshot", volume_id)
        volume = self._open(volume_id, key)
        if snapshot_id in volume.snapshots:
            return
        self._idle(volume_id)
        volume.snapshots[snapshot_id] = (volume.size, dict(volume.content))

    def delete_snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        self._call("delete_snapshot", volume_id)
        volume = self.volumes.get(volume_id)
        if volume is None or snapshot_id not in volume.snapshots:
            return
        self._open(volume_id, key)
        self._idle(volume_id)
        del volume.snapshots[snapshot_id]

    def connection(self, volume_id: str) -> VolumeConnection:
        volume = self.volumes.get(volume_id)
        if volume is None or not volume.complete:
            raise VolumeMissing(f"volume {volume_id} absent")
        return VolumeConnection(self.directory / f"{volume_id}.qcow2")

    def reader(self, volume_id: str, key: VolumeKey, snapshot_id: str | None = None,
               shared: bool = False) -> AbstractContextManager[BlockReader]:
        self._call("reader", volume_id)
        volume = self._open(volume_id, key)
        if snapshot_id is None:
            self._idle(volume_id)
            return nullcontext(_Reader(volume.size, dict(volume.content)))
        if snapshot_id not in volume.snapshots:
            raise VolumeMissing(f"snapshot {snapshot_id} of volume {volume_id} absent")
        size, content = volume.snapshots[snapshot_id]
        return nullcontext(_Reader(size, dict(content)))

    def writer(self, volume_id: str, key: VolumeKey) -> AbstractContextManager[BlockWriter]:
        self.connection(volume_id)
        raise BlockDeviceError("writer not available")

    # -- inside ----------------------------------------------------------------------------
    def _call(self, operation: str, volume_id: str) -> None:
        self.calls.append((operation, volume_id))
        message = self.fail_next.pop(operation, None)
        if message is not None:
            raise BlockDeviceError(message)

    def _open(self, volume_id: str, key: VolumeKey) -> _Volume:
        volume = self.volumes.get(volume_id)
        if volume is None or not volume.complete:
            raise VolumeMissing(f"volume {volume_id} absent")
        if volume.key != key:
            raise BlockDeviceError("Invalid password, cannot unlock any keyslot")
        return volume

    def _idle(self, volume_id: str) -> None:
        if volume_id in self.in_use:
            raise VolumeBusy(f"volume {volume_id} is in use: Failed to get \"write\" lock")


class _Reader:
    """A volume's content as BlockReader: the written ranges are data, the rest zeros."""

    def __init__(self, size: int, content: Content) -> None:
        self._size = size
        self._content = content

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        return read(self._content, self._size, offset, length)

    def allocated(self) -> Iterator[tuple[int, int, bool]]:
        at = 0
        for offset, data in sorted(self._content.items()):
            if offset > at:
                yield at, offset - at, False
            end = min(offset + len(data), self._size)
            if end > max(at, offset):
                yield max(at, offset), end - max(at, offset), True
            at = max(at, end)
        if at < self._size:
            yield at, self._size - at, False


def _check_fits(source_size: int, size: int) -> None:
    if source_size > size:
        raise BlockDeviceError(f"the source is {source_size} bytes, larger than {size}")
