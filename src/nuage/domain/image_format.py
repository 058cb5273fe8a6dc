"""Image format inspection: what the first bytes of an upload say it is, and whether it is safe.

A qcow2 file may name a backing file or an external data file; a hypervisor opening it
would then read that path on the host (CVE-2022-47951 and its relatives). So an upload
is refused when:

- its bytes are not the format it was declared as (qcow2 bytes declared raw would be
  opened as qcow2 by anything that probes, raw bytes declared qcow2 would fail later);
- it is a qcow2 with a backing file (backing_file_offset != 0), with the external data
  file incompatible feature bit (bit 2, v3), or with a data-file header extension
  (0x44415441), or with a header we cannot fully read.

The inspector is fed the upload as it streams in and keeps only the first bytes (at most
`HEADER_LIMIT`); the verdict is known once those arrive, so a bad upload is stopped early.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

QCOW2_MAGIC = b"QFI\xfb"
ISO_OFFSET, ISO_MAGIC = 32769, b"CD001"
VMDK_MAGIC = b"KDMV"
VHDX_MAGIC = b"vhdxfile"
VHD_MAGIC = b"conectix"
VDI_OFFSET, VDI_MAGIC = 0x40, b"\x7f\x10\xda\xbe"
DATA_FILE_EXTENSION = 0x44415441
EXTERNAL_DATA_FILE_BIT = 1 << 2
# Header extensions must end inside the first cluster; we keep at most this much.
HEADER_LIMIT = 2 * 1024 * 1024
ISO_NEEDED = ISO_OFFSET + len(ISO_MAGIC)


class UnsafeImage(Exception):
    """The data is not the declared format, or is a format that reaches outside itself."""


@dataclass(frozen=True)
class Verdict:
    format: str                  # what the bytes are (qcow2, iso, vmdk, ..., raw)
    virtual_size: int | None     # the guest-visible disk size, when the header says it


def _qcow2(head: bytes, complete: bool) -> Verdict | None:
    """None while more bytes are needed; raises UnsafeImage for a refused qcow2."""
    if len(head) < 72:
        if complete:
            raise UnsafeImage("The qcow2 header is truncated.")
        return None
    (version, backing_offset, backing_size, cluster_bits, size) = struct.unpack_from(
        ">IQIIQ", head, 4)
    if version not in (2, 3):
        raise UnsafeImage(f"Unsupported qcow2 version {version}.")
    if backing_offset != 0 or backing_size != 0:
        raise UnsafeImage("A qcow2 image with a backing file is not allowed.")
    if not 9 <= cluster_bits <= 21:
        raise UnsafeImage("The qcow2 header is invalid (cluster size).")
    ext_start = 72
    if version == 3:
        if len(head) < 104:
            if complete:
                raise UnsafeImage("The qcow2 header is truncated.")
            return None
        incompatible = struct.unpack_from(">Q", head, 72)[0]
        if incompatible & EXTERNAL_DATA_FILE_BIT:
            raise UnsafeImage("A qcow2 image with an external data file is not allowed.")
        ext_start = struct.unpack_from(">I", head, 100)[0]
        if ext_start < 104 or ext_start > (1 << cluster_bits):
            raise UnsafeImage("The qcow2 header is invalid (header length).")
    limit = min(1 << cluster_bits, HEADER_LIMIT)
    offset = ext_start
    while True:
        if offset + 8 > limit:
            raise UnsafeImage("The qcow2 header extensions do not end in the first cluster.")
        if len(head) < offset + 8:
            if complete:
                raise UnsafeImage("The qcow2 header is truncated.")
            return None
        kind, length = struct.unpack_from(">II", head, offset)
        if kind == 0:
            return Verdict("qcow2", size)
        if kind == DATA_FILE_EXTENSION:
            raise UnsafeImage("A qcow2 image with an external data file is not allowed.")
        offset += 8 + (length + 7) // 8 * 8


class FormatInspector:
    """Feed it the upload in pieces; `verdict` tells what it is once enough has arrived."""

    def __init__(self, declared: str) -> None:
        self.declared = declared
        self._head = bytearray()
        self._total = 0
        self._settled = False   # a header verdict that more bytes cannot change

    def feed(self, data: bytes) -> None:
        self._total += len(data)
        room = HEADER_LIMIT - len(self._head)
        if room > 0:
            self._head += data[:room]
        # Refuse as early as possible: the rest of a refused upload is never stored.
        if not self._settled and (self.declared == "qcow2" or self._head[:4] == QCOW2_MAGIC):
            self._settled = self._check(complete=False) is not None

    def finish(self) -> Verdict:
        """The verdict on the whole upload; raises UnsafeImage to refuse it."""
        verdict = self._check(complete=True)
        assert verdict is not None
        return verdict

    def _detect(self, complete: bool) -> Verdict | None:
        head = bytes(self._head)
        if head[:4] == QCOW2_MAGIC:
            return _qcow2(head, complete)
        if len(head) < 4 and not complete:
            return None
        if head[:4] == VMDK_MAGIC:
            return Verdict("vmdk", None)
        if head[:8] == VHDX_MAGIC:
            return Verdict("vhdx", None)
        if head[:8] == VHD_MAGIC:
            return Verdict("vhd", None)
        if head[VDI_OFFSET:VDI_OFFSET + 4] == VDI_MAGIC:
            return Verdict("vdi", None)
        if len(head) < ISO_NEEDED and not complete:
            return None
        if head[ISO_OFFSET:ISO_NEEDED] == ISO_MAGIC:
            return Verdict("iso", self._total)
        return Verdict("raw", self._total)

    def _check(self, complete: bool) -> Verdict | None:
        if self.declared == "qcow2" and len(self._head) >= 4 and self._head[:4] != QCOW2_MAGIC:
            raise UnsafeImage("Image data is not qcow2, the declared disk_format.")
        verdict = self._detect(complete)
        if verdict is None:
            return None
        declared = self.declared
        if verdict.format == declared:
            return verdict
        # An ISO 9660 filesystem is a valid raw disk image, byte for byte.
        if declared == "raw" and verdict.format == "iso":
            return Verdict("raw", self._total)
        # Formats we do not inspect deeply only need to not be another known format.
        if declared in ("ami", "ari", "aki", "ploop") and verdict.format in ("raw", "iso"):
            return Verdict(declared, None)
        if not complete and verdict.format == "raw" and declared == "iso":
            return None
        raise UnsafeImage(f"Image data does not match the declared disk_format {declared!r} "
                          f"(it looks like {verdict.format}).")
