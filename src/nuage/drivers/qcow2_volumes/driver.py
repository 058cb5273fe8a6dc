"""BlockDevices on local disk: one qcow2 file per volume, encrypted with QEMU's native
LUKS encryption for qcow2, its snapshots qcow2 internal snapshots inside it.

Layout of the directory (`<state_dir>/volumes/`):

    <volume_id>.qcow2        a complete volume
    <volume_id>.qcow2.part   a create in progress (or one a crash interrupted)

A create writes the `.part` file, fsyncs it, renames it and fsyncs the directory: a crash
leaves either no volume or a whole one (plus, maybe, a `.part` that `stored()` reports
incomplete and the next `create` or `delete` removes). Every other change is one
qemu-img call on the volume itself, atomic as QEMU makes qcow2 metadata updates.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from nuage.drivers.qcow2_volumes import nbd, qemu_img
from nuage.drivers.qcow2_volumes.qemu_img import Secret
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

log = logging.getLogger(__name__)

_SUFFIX = ".qcow2"
_PART = ".qcow2.part"
# Volume and snapshot ids are UUIDs; anything else must not become a path or reach
# QEMU's option syntax.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
# The key is 256 random bits, so stretching the passphrase (LUKS' PBKDF2) protects
# nothing; QEMU's default of 2 s would be paid by every open. 100 ms of iterations.
_ITER_TIME_MS = 100
# qemu-img benchmarks PBKDF2 before choosing its iteration count, and gives up at once
# when its first round measures 0 ms of CPU: with SHA-256 on a CPU with SHA instructions
# that happens to one create in three. SHA-512 (no such instructions) takes long enough
# to measure; a flake left is retried, the benchmark measuring again.
_HASH = "sha512"
_BENCHMARK_FLAKE = "Unable to get accurate CPU usage"
_CREATE_TRIES = 10
# What qemu-img convert -n says when the source is larger than the target.
_SOURCE_GREW = "output file is smaller than input file"
_COPY_TRIES = 3
# A file unchanged this long (ns) has its `qemu-img info` cached.
_SETTLED_NS = 2_000_000_000


class Qcow2Volumes:
    """The BlockDevices port on one host's local disk (see ports/block_devices.py)."""

    def __init__(self, directory: Path, copy_timeout: float = qemu_img.COPY_TIMEOUT) -> None:
        self.directory = directory
        self.copy_timeout = copy_timeout
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # What `qemu-img info` said of each file, by the file's identity: the agent asks
        # `stored()` every pass, and an unchanged file need not cost a process. A resize
        # or a snapshot rewrites the header, which changes the file's mtime; only a file
        # unchanged for a while is cached, so two changes sharing a timestamp (the
        # kernel's clock is coarse) cannot hide the second.
        self._info: dict[str, tuple[tuple[int, ...], StoredVolume]] = {}
        self._info_lock = threading.Lock()

    # -- paths -----------------------------------------------------------------------------
    def path(self, volume_id: str) -> Path:
        return self.directory / f"{_checked(volume_id)}{_SUFFIX}"

    def _part(self, volume_id: str) -> Path:
        return self.directory / f"{_checked(volume_id)}{_PART}"

    def _existing(self, volume_id: str) -> Path:
        path = self.path(volume_id)
        if not path.exists():
            raise VolumeMissing(f"volume {volume_id}: no file {path}")
        return path

    # -- the port --------------------------------------------------------------------------
    def stored(self) -> dict[str, StoredVolume]:
        found: dict[str, StoredVolume] = {}
        parts: list[str] = []
        for entry in sorted(self.directory.iterdir()):
            name = entry.name
            if name.endswith(_PART):
                parts.append(name[: -len(_PART)])
            elif name.endswith(_SUFFIX) and _ID.match(name[: -len(_SUFFIX)]):
                volume_id = name[: -len(_SUFFIX)]
                stored = self._stored_one(volume_id, entry)
                if stored is not None:
                    found[volume_id] = stored
        for volume_id in parts:
            # A part beside a complete file is a leftover (create removes it): the
            # volume is whole.
            if volume_id not in found and _ID.match(volume_id):
                found[volume_id] = StoredVolume(volume_id, 0, complete=False)
        with self._info_lock:
            for gone in set(self._info) - set(found):
                del self._info[gone]
        return found

    def _stored_one(self, volume_id: str, path: Path) -> StoredVolume | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        identity = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._info_lock:
            cached = self._info.get(volume_id)
        if cached is not None and cached[0] == identity:
            return cached[1]
        try:
            data = qemu_img.info(path, f"volume {volume_id}")
        except BlockDeviceError as exc:
            if not path.exists():
                return None
            # A file qemu-img cannot read is still the host's: report it (no size to
            # trust) so that it is not forgotten.
            log.warning("volume %s: unreadable: %s", volume_id, exc)
            return StoredVolume(volume_id, 0, complete=False)
        stored = StoredVolume(volume_id, int(data["virtual-size"]), _snapshot_names(data))
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _SETTLED_NS:
            with self._info_lock:
                self._info[volume_id] = (identity, stored)
        return stored

    def create(self, volume_id: str, size: int, key: VolumeKey, source: Source = None
               ) -> VolumeConnection:
        path = self.path(volume_id)
        if path.exists():
            self._discard(self._part(volume_id))
            return VolumeConnection(path)
        part = self._part(volume_id)
        self._discard(part)
        what = f"volume {volume_id}: create"
        if size <= 0:
            raise BlockDeviceError(f"{what}: size {size} is not positive")
        source_args = self._source(source, size, what)
        try:
            if source_args is None:
                self._create_encrypted(part, size, key, what)
            else:
                for attempt in range(1, _COPY_TRIES + 1):
                    args, secrets, source_size = source_args
                    # qemu-img copies a snapshot as large as its volume is now; a
                    # snapshot taken before an extend fits a smaller volume: shrunk below.
                    self._create_encrypted(part, max(size, source_size), key, what)
                    try:
                        qemu_img.run(["convert", "-n", "--target-is-zero", *args,
                                      "--target-image-opts",
                                      qemu_img.image_opts(part, "dst")],
                                     [*secrets, Secret("dst", key)], what,
                                     self.copy_timeout)
                        break
                    except BlockDeviceError as exc:
                        # The source volume was extended since its size was read (the
                        # agent extends it, or its guest's QEMU): read it again.
                        if _SOURCE_GREW not in str(exc) or attempt == _COPY_TRIES:
                            raise
                        self._discard(part)
                        source_args = self._source(source, size, what)
                        assert source_args is not None
                if source_size > size:
                    self._shrink_copy(part, size, key, what)
            _fsync_file(part)
            os.rename(part, path)
            _fsync_dir(self.directory)
        except BaseException:
            # A failed create leaves nothing behind (a crash may: the next call redoes).
            self._discard(part)
            raise
        log.info("volume %s created (%d bytes, %s)", volume_id, size, _describe(source))
        return VolumeConnection(path)

    def delete(self, volume_id: str) -> None:
        path = self.path(volume_id)
        if path.exists():
            # Unlinking a file a guest holds open would leave the guest writing to a file
            # nobody can see; refuse as the port says.
            try:
                qemu_img.check_unused(path, f"volume {volume_id}: delete")
            except VolumeBusy:
                raise
            except BlockDeviceError as exc:
                # Not a qcow2 qemu-img can open: no guest can have it open either.
                log.warning("volume %s: deleting a damaged file: %s", volume_id, exc)
            path.unlink(missing_ok=True)
            log.info("volume %s deleted", volume_id)
        self._discard(self._part(volume_id))
        _fsync_dir(self.directory)

    def extend(self, volume_id: str, size: int, key: VolumeKey) -> None:
        path = self._existing(volume_id)
        what = f"volume {volume_id}: extend"
        current = int(qemu_img.info(path, what)["virtual-size"])
        if current >= size:
            return
        qemu_img.run(["resize", "-q", "--image-opts", qemu_img.image_opts(path, "key"),
                      str(size)], [Secret("key", key)], what)
        log.info("volume %s extended from %d to %d bytes", volume_id, current, size)

    def snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        path = self._existing(volume_id)
        what = f"volume {volume_id}: snapshot {snapshot_id}"
        if _checked(snapshot_id) in _snapshot_names(qemu_img.info(path, what)):
            return
        qemu_img.run(["snapshot", "-c", snapshot_id, "--image-opts",
                      qemu_img.image_opts(path, "key")], [Secret("key", key)], what)

    def delete_snapshot(self, volume_id: str, snapshot_id: str, key: VolumeKey) -> None:
        path = self.path(volume_id)
        what = f"volume {volume_id}: delete snapshot {snapshot_id}"
        if not path.exists():
            return
        if _checked(snapshot_id) not in _snapshot_names(qemu_img.info(path, what)):
            return
        qemu_img.run(["snapshot", "-d", snapshot_id, "--image-opts",
                      qemu_img.image_opts(path, "key")], [Secret("key", key)], what)

    def connection(self, volume_id: str) -> VolumeConnection:
        return VolumeConnection(self._existing(volume_id))

    def reader(self, volume_id: str, key: VolumeKey, snapshot_id: str | None = None,
               shared: bool = False) -> AbstractContextManager[BlockReader]:
        path = self._existing(volume_id)
        return nbd.open_reader(path, key, snapshot_id, shared)

    def writer(self, volume_id: str, key: VolumeKey) -> AbstractContextManager[BlockWriter]:
        path = self._existing(volume_id)
        return nbd.open_writer(path, key)

    # -- inside ----------------------------------------------------------------------------
    def _create_encrypted(self, part: Path, size: int, key: VolumeKey, what: str) -> None:
        options = (f"encrypt.format=luks,encrypt.key-secret=key,"
                   f"encrypt.iter-time={_ITER_TIME_MS},encrypt.hash-alg={_HASH}")
        for attempt in range(1, _CREATE_TRIES + 1):
            try:
                qemu_img.run(["create", "-q", "-f", "qcow2", "-o", options, str(part),
                              str(size)], [Secret("key", key)], what)
                return
            except BlockDeviceError as exc:
                if _BENCHMARK_FLAKE not in str(exc) or attempt == _CREATE_TRIES:
                    raise
                self._discard(part)

    def _shrink_copy(self, part: Path, size: int, key: VolumeKey, what: str) -> None:
        """Cut a copied snapshot to `size` bytes, unless data lies past them (the
        snapshot itself is larger than the volume asked for)."""
        opts = qemu_img.image_opts(part, "key")
        extents = json.loads(qemu_img.run(["map", "--output=json", "--image-opts", opts],
                                          [Secret("key", key)], what))
        if any(e["data"] and e["start"] + e["length"] > size for e in extents):
            raise BlockDeviceError(f"{what}: the snapshot is larger than the volume's "
                                   f"{size} bytes")
        qemu_img.run(["resize", "-q", "--shrink", "--image-opts", opts, str(size)],
                     [Secret("key", key)], what)

    def _source(self, source: Source, size: int, what: str
                ) -> tuple[list[str], list[Secret], int] | None:
        """qemu-img convert's arguments reading `source` (None: a blank volume) and the
        size qemu-img reads it as, after checking it fits in `size` bytes (a snapshot:
        `_shrink_copy` checks)."""
        if source is None:
            return None
        if isinstance(source, ImageFile):
            spec = qemu_img.plain_image(source.path, source.disk_format)
            out = qemu_img.run(["info", "--output=json", spec], what=what)
            image_size = int(_json(out)["virtual-size"])
            _check_fits(image_size, size, what)
            return [spec], [], image_size
        assert isinstance(source, CopyOf)
        src = self.path(source.volume_id)
        if not src.exists():
            raise VolumeMissing(f"{what}: source volume {source.volume_id} absent")
        data = qemu_img.info(src, what)
        source_size = int(data["virtual-size"])
        args = ["--image-opts", qemu_img.image_opts(src, "src")]
        if source.snapshot_id is None:
            _check_fits(source_size, size, what)
        else:
            if _checked(source.snapshot_id) not in _snapshot_names(data):
                raise VolumeMissing(f"{what}: volume {source.volume_id} has no snapshot "
                                    f"{source.snapshot_id}")
            # A snapshot's clusters are never written again (copy on write), so it can be
            # read while a guest writes the volume (-U: share the lock).
            args = ["-U", "-l", f"snapshot.name={source.snapshot_id}", *args]
        return args, [Secret("src", source.key)], source_size

    def _discard(self, part: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
            log.info("removed the unfinished create %s", part.name)


def _checked(ident: str) -> str:
    if not _ID.match(ident):
        raise BlockDeviceError(f"not a volume or snapshot id: {ident!r}")
    return ident


def _snapshot_names(info: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(s["name"]) for s in info.get("snapshots", ()))


def _check_fits(source_size: int, size: int, what: str) -> None:
    if source_size > size:
        raise BlockDeviceError(f"{what}: the source is {source_size} bytes, larger than "
                               f"the volume's {size}")


def _json(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data


def _describe(source: Source) -> str:
    if source is None:
        return "blank"
    if isinstance(source, ImageFile):
        return f"from image file {source.path.name}"
    return f"copy of volume {source.volume_id}" + (
        f" snapshot {source.snapshot_id}" if source.snapshot_id else "")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

