"""An empty qcow2 overlay on a backing file, written in-process.

It is the file `qemu-img create -f qcow2 -F <fmt> -b <backing> <path> <size>` writes (QEMU
7.2: version 3, 64 KiB clusters, 16-bit refcounts, zlib), field for field: a header cluster
(header, backing format and feature name extensions, the backing file name), the refcount
table, one refcount block, then the L1 table, all L2 entries absent, so every read goes to
the backing file. Writing 192 KiB ourselves costs well under a millisecond; starting
qemu-img costs ~10 ms on every boot's critical path. Layouts this writer does not produce
(an L1 table over one cluster: disks over 4 TiB; a backing name over 1023 bytes) return
False and the caller runs qemu-img. tests/drivers/test_qemu.py checks the result against
qemu-img's own.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

CLUSTER_BITS = 16
CLUSTER = 1 << CLUSTER_BITS
_MAGIC = b"QFI\xfb"
_HEADER_LENGTH = 112           # the version 3 header with the compression type byte
_EXT_BACKING_FORMAT = 0xE2792ACA
_EXT_FEATURE_NAMES = 0x6803F857
# QEMU's feature name table (type: 0 incompatible, 1 compatible, 2 autoclear; bit; name):
# informational, for tools reading an image a newer QEMU marked with a feature.
_FEATURES = (
    (0, 0, b"dirty bit"), (0, 1, b"corrupt bit"), (0, 2, b"external data file"),
    (0, 3, b"compression type"), (0, 4, b"extended L2 entries"), (1, 0, b"lazy refcounts"),
    (2, 0, b"bitmaps"), (2, 1, b"raw external data"),
)
_MAX_BACKING_NAME = 1023       # QEMU's limit
# Clusters: 0 header, 1 refcount table, 2 refcount block, 3.. the L1 table.
_REFCOUNT_TABLE, _REFCOUNT_BLOCK, _L1_TABLE = CLUSTER, 2 * CLUSTER, 3 * CLUSTER


def _extension(kind: int, data: bytes) -> bytes:
    padded = data + b"\0" * (-len(data) % 8)
    return struct.pack(">II", kind, len(data)) + padded


def overlay_bytes(backing: str, backing_format: str, size: int) -> bytes | None:
    """The overlay's content, or None for a layout this module does not write."""
    name = os.fsencode(backing)
    size = -(-size // 512) * 512                      # qemu-img rounds up to a sector
    l1_entries = -(-size // (CLUSTER * (CLUSTER // 8)))  # one L2 table maps 512 MiB
    if (not name or len(name) > _MAX_BACKING_NAME or l1_entries * 8 > CLUSTER
            or backing_format not in ("qcow2", "raw")):
        return None
    features = b"".join(struct.pack(">BB46s", kind, bit, label)
                        for kind, bit, label in _FEATURES)
    extensions = (_extension(_EXT_BACKING_FORMAT, backing_format.encode())
                  + _extension(_EXT_FEATURE_NAMES, features) + _extension(0, b""))
    name_offset = _HEADER_LENGTH + len(extensions)
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII8x",
        _MAGIC, 3, name_offset, len(name), CLUSTER_BITS, size,
        0,                                   # no encryption
        l1_entries, _L1_TABLE, _REFCOUNT_TABLE, 1,
        0, 0,                                # no snapshots
        0, 0, 0,                             # no incompatible, compatible, autoclear feature
        4,                                   # refcount order: 16-bit refcounts
        _HEADER_LENGTH,                      # compression type zlib (0) and padding follow
    )
    image = bytearray(_L1_TABLE + l1_entries * 8)  # the L1 table: all zero, nothing allocated
    image[: name_offset + len(name)] = header + extensions + name
    struct.pack_into(">Q", image, _REFCOUNT_TABLE, _REFCOUNT_BLOCK)
    for cluster in range(4):                       # header, refcounts, L1: one each
        struct.pack_into(">H", image, _REFCOUNT_BLOCK + 2 * cluster, 1)
    return bytes(image)


def write_overlay(path: Path, backing: Path, backing_format: str, size: int) -> bool:
    """Write the overlay at `path` (a new file); False when qemu-img must do it."""
    data = overlay_bytes(str(backing), backing_format, size)
    if data is None:
        return False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    return True


def backing_name(path: Path) -> str | None:
    """The backing file name a qcow2 header names (None: no backing file, or not qcow2)."""
    with path.open("rb") as f:
        header = f.read(20)
        if len(header) < 20 or header[:4] != _MAGIC:
            return None
        offset, length = struct.unpack(">QI", header[8:20])
        if offset == 0 or length == 0 or length > _MAX_BACKING_NAME:
            return None
        f.seek(offset)
        return os.fsdecode(f.read(length))
