"""Disk images crafted to reference host files (and well-behaved ones), built with qemu-img
where it can write them and by hand where only an attacker would: one per format nuage
accepts. Each builder writes into `tmp` and returns the image's bytes."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

QEMU_IMG = shutil.which("qemu-img")
needs_qemu_img = pytest.mark.skipif(QEMU_IMG is None, reason="qemu-img is not installed")
# A file of the host the hostile images name (tests point it at a secret of their own).
HOST_FILE = "/etc/hostname"


def qemu_img(tmp: Path, fmt: str, *options: str, size: str = "1M",
             name: str = "image") -> bytes:
    assert QEMU_IMG is not None
    path = tmp / f"{name}.{fmt}"
    subprocess.run([QEMU_IMG, "create", "-q", "-f", fmt, *options, str(path), size],
                   check=True, cwd=tmp)
    return path.read_bytes()


def vmdk_descriptor(create_type: str, extent: str) -> bytes:
    return (f'# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n'
            f'createType="{create_type}"\n\n{extent}\n\nddb.virtualHWVersion = "4"\n').encode()


def vmdk_sparse(descriptor: bytes, capacity_sectors: int) -> bytes:
    """A hosted sparse extent (KDMV) with `descriptor` embedded at sector 1. With capacity
    zero, QEMU opens the embedded descriptor's extents: the issue's attack."""
    header = struct.pack("<4sIIQQQQIQQQB4sH", b"KDMV", 1, 3, capacity_sectors, 128, 1, 20,
                         512, 0, 0, 128, 0, b"\n \r\n", 0)
    return (header.ljust(512, b"\0") + descriptor.ljust(20 * 512, b"\0")).ljust(128 * 512,
                                                                                b"\0")


def iso_bytes() -> bytes:
    """The start of an ISO 9660 filesystem: a primary volume descriptor at sector 16."""
    data = bytearray(64 * 1024)
    data[32768] = 1
    data[32769:32774] = b"CD001"
    return bytes(data)


def qcow2_with_backing(tmp: Path) -> bytes:
    qemu_img(tmp, "qcow2", name="base")
    return qemu_img(tmp, "qcow2", "-b", HOST_FILE, "-F", "raw", name="child")


def qcow2_with_data_file(tmp: Path) -> bytes:
    return qemu_img(tmp, "qcow2", "-o", f"data_file={tmp / 'data.raw'}", name="df")


def vmdk_flat(tmp: Path, subformat: str) -> bytes:
    """A descriptor file whose extent is a file next to it (qemu-img's own)."""
    return qemu_img(tmp, "vmdk", "-o", f"subformat={subformat}", name=subformat)


Builder = Callable[[Path], bytes]

# (id, declared disk_format, builder, a word of the refusal)
HOSTILE: list[tuple[str, str, Builder, str]] = [
    ("qcow2-backing-file", "qcow2", qcow2_with_backing, "backing file"),
    ("qcow2-data-file", "qcow2", qcow2_with_data_file, "data file"),
    ("qcow2-backing-declared-raw", "raw", qcow2_with_backing, "qcow2"),
    ("vmdk-sparse-capacity-0-absolute-extent", "vmdk",
     lambda t: vmdk_sparse(vmdk_descriptor("monolithicFlat",
                                           f'RW 2048 FLAT "{HOST_FILE}" 0'), 0), "VMDK"),
    ("vmdk-sparse-capacity-0-relative-extent", "vmdk",
     lambda t: vmdk_sparse(vmdk_descriptor("monolithicSparse", 'RW 2048 FLAT "other" 0'),
                           0), "VMDK"),
    ("vmdk-monolithicFlat", "vmdk", lambda t: vmdk_flat(t, "monolithicFlat"), "VMDK"),
    ("vmdk-twoGbMaxExtentFlat", "vmdk", lambda t: vmdk_flat(t, "twoGbMaxExtentFlat"), "VMDK"),
    ("vmdk-text-descriptor-absolute", "vmdk",
     lambda t: vmdk_descriptor("monolithicFlat", f'RW 2048 FLAT "{HOST_FILE}" 0'), "VMDK"),
    ("vmdk-text-descriptor-declared-raw", "raw",
     lambda t: vmdk_descriptor("monolithicFlat", f'RW 2048 FLAT "{HOST_FILE}" 0'), "vmdk"),
    ("vmdk-sparse-declared-raw", "raw", lambda t: qemu_img(t, "vmdk"), "vmdk"),
    ("qed-backing-declared-raw", "raw",
     lambda t: qemu_img(t, "qed", "-b", HOST_FILE, "-F", "raw"), "qed"),
    ("qed-declared-qcow2", "qcow2", lambda t: qemu_img(t, "qed"), "qcow2"),
    ("vhd-declared-raw", "raw", lambda t: qemu_img(t, "vpc"), "vhd"),
    ("vhdx-declared-raw", "raw", lambda t: qemu_img(t, "vhdx"), "vhdx"),
    ("vdi-declared-raw", "raw", lambda t: qemu_img(t, "vdi"), "vdi"),
    ("vhd-declared-vhdx", "vhdx", lambda t: qemu_img(t, "vpc"), "vhdx"),
    ("zeros-declared-qcow2", "qcow2", lambda t: b"\0" * 100_000, "qcow2"),
    ("zeros-declared-vmdk", "vmdk", lambda t: b"\0" * 100_000, "vmdk"),
    ("zeros-declared-vhd", "vhd", lambda t: b"\0" * 100_000, "vhd"),
    ("zeros-declared-vhdx", "vhdx", lambda t: b"\0" * 300_000, "vhdx"),
    ("zeros-declared-vdi", "vdi", lambda t: b"\0" * 100_000, "vdi"),
    ("zeros-declared-iso", "iso", lambda t: b"\0" * 100_000, "iso"),
    ("qcow2-declared-aki", "aki", lambda t: qemu_img(t, "qcow2"), "qcow2"),
]

# (id, declared disk_format, builder, virtual size)
SAFE: list[tuple[str, str, Builder, int]] = [
    ("qcow2", "qcow2", lambda t: qemu_img(t, "qcow2"), 1 << 20),
    ("vmdk-monolithicSparse", "vmdk", lambda t: qemu_img(t, "vmdk"), 1 << 20),
    ("vmdk-streamOptimized", "vmdk",
     lambda t: qemu_img(t, "vmdk", "-o", "subformat=streamOptimized"), 1 << 20),
    ("vhd", "vhd", lambda t: qemu_img(t, "vpc"), 1079296),   # VHD rounds to its geometry
    ("vhdx", "vhdx", lambda t: qemu_img(t, "vhdx"), 1 << 20),
    ("vdi", "vdi", lambda t: qemu_img(t, "vdi"), 1 << 20),
    ("iso", "iso", lambda t: iso_bytes(), 64 * 1024),
    ("iso-declared-raw", "raw", lambda t: iso_bytes(), 64 * 1024),
    ("raw", "raw", lambda t: b"\x01" * 70_000, 70_000),
]


def qcow2_header(version: int = 3, backing: int = 0, features: int = 0) -> bytes:
    """A qcow2 header as an attacker writes it (1 GiB, 64 KiB clusters), and zeros."""
    head = struct.pack(">4sIQIIQIIQQIIQ", b"QFI\xfb", version, backing, 0, 16, 1 << 30,
                       0, 0, 0, 0, 0, 0, 0)
    if version >= 3:
        head += struct.pack(">QQQII", features, 0, 0, 4, 104)
    return head + struct.pack(">II", 0, 0) + b"\0" * 4096
