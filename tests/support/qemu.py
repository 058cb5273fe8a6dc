"""What the tests on real QEMU share: the skip mark, the default guest image, the cleanup."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nuage.drivers.guest_image import build_guest_image
from nuage.ports.hypervisor import BootImage

needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or shutil.which("qemu-img") is None,
    reason="QEMU is not installed",
)


def default_boot_image() -> BootImage:
    """The default guest image, built once into the tests' cache."""
    cache = Path(os.environ.get("NUAGE_TEST_CACHE", Path.home() / ".cache" / "nuage-tests"))
    files = build_guest_image(cache / "guest-image")
    return BootImage(path=files.disk, disk_format="qcow2", kernel=files.kernel,
                     initrd=files.initrd, cmdline=files.cmdline)


def processes_under(root: Path) -> list[int]:
    """Every process whose command line or working directory is under `root`."""
    needle = str(root).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd").encode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and (needle in cmdline or cwd.startswith(needle)):
            found.append(int(entry.name))
    return found
