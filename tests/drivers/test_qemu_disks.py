"""How the QEMU driver opens guest disks: hostile images in the cache are refused before
QEMU sees them, and QEMU (and qemu-img) open explicit node graphs that follow no reference
a tenant's image makes, even one that got past inspection."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.qemu import QemuHypervisor, qmp
from nuage.drivers.qemu.command_line import qemu_argv
from nuage.drivers.qemu.guest_files import GuestFiles, pid_alive
from nuage.drivers.qemu.qcow2 import write_overlay
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec, HypervisorError
from tests.support.hostile_images import qemu_img, vmdk_descriptor, vmdk_sparse

needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or shutil.which("qemu-img") is None,
    reason="QEMU is not installed",
)
pytestmark = needs_qemu
SECRET = b"host secret, never in a guest\n"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "host-secret"
    path.write_bytes(SECRET * (1 << 15))      # 1 MiB of it
    return path


def _spec(image: Path, disk_format: str, guest_id: str = "g1") -> GuestSpec:
    return GuestSpec(guest_id=guest_id, name="vm", vcpus=1, memory_mb=64, disk_gb=1,
                     image=BootImage(path=image, disk_format=disk_format),
                     config_drive=ConfigDrive(meta_data={}))


def _hostile(tmp: Path, secret: Path) -> list[tuple[Path, str]]:
    qcow2 = tmp / "backed.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", str(secret),
                    "-F", "raw", str(qcow2), "1M"], check=True)
    vmdk = tmp / "extent.vmdk"
    vmdk.write_bytes(vmdk_sparse(vmdk_descriptor(
        "monolithicFlat", f'RW 2048 FLAT "{secret}" 0'), 0))
    data_file = tmp / "data-file.qcow2"
    data_file.write_bytes(qemu_img(tmp, "qcow2", "-o", f"data_file={secret}",
                                   name="data-file-src"))
    return [(qcow2, "qcow2"), (vmdk, "vmdk"), (data_file, "qcow2"), (qcow2, "raw")]


def test_hostile_images_never_reach_qemu(tmp_path: Path, secret: Path) -> None:
    hv = QemuHypervisor(tmp_path / "state", "host-1", accelerator="tcg", guest_user=None)
    for n, (image, disk_format) in enumerate(_hostile(tmp_path, secret)):
        guest = f"hostile-{n}"
        with pytest.raises(HypervisorError, match="refused"):
            hv.spawn(_spec(image, disk_format, guest))
        files = GuestFiles(tmp_path / "state" / "guests", guest)
        assert files.live_qemu_pid() is None
        assert not files.qemu_log.exists()     # QEMU was never started
        hv.destroy(guest)


def test_kernels_and_ramdisks_are_no_root_disks(tmp_path: Path) -> None:
    hv = QemuHypervisor(tmp_path / "state", "host-1", accelerator="tcg", guest_user=None)
    kernel = tmp_path / "vmlinuz"
    kernel.write_bytes(b"\0" * 4096)
    with pytest.raises(HypervisorError, match="aki"):
        hv.spawn(_spec(kernel, "aki"))
    hv.destroy("g1")


@contextlib.contextmanager
def _qemu(files: GuestFiles, spec: GuestSpec) -> Iterator[int]:
    """QEMU on the driver's own command line for `spec`, CPUs stopped; its pid."""
    files.dir.mkdir(parents=True, exist_ok=True)
    files.config_drive.write_bytes(b"\0" * 2048)
    argv = qemu_argv("qemu-system-x86_64", files, spec, accelerator="tcg", guest_user=None,
                     sandbox=False, restore=False)
    subprocess.run(argv, cwd=files.dir, check=True, timeout=60, capture_output=True)
    pid = int(files.qemu_pid.read_text())
    try:
        yield pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def test_qemu_opens_explicit_nodes_and_follows_no_backing_file(
        tmp_path: Path, secret: Path) -> None:
    """Defence in depth: a qcow2 naming a host file as its backing file, handed to QEMU
    as if it had passed inspection. The command line names every driver and QEMU opens
    neither the header's backing file nor the overlay's own backing name."""
    image = tmp_path / "backed.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", str(secret),
                    "-F", "raw", str(image), "1M"], check=True)
    files = GuestFiles(tmp_path / "guests", "g1")
    spec = _spec(image, "qcow2")
    files.dir.mkdir(parents=True)
    assert write_overlay(files.disk, image, "qcow2", 1 << 30)
    argv = qemu_argv("qemu-system-x86_64", files, spec, accelerator="tcg", guest_user=None,
                     sandbox=False, restore=False)
    assert "-drive" not in argv
    nodes = [json.loads(argv[i + 1]) for i, a in enumerate(argv) if a == "-blockdev"]
    assert all("driver" in node for node in nodes)
    by_name = {node["node-name"]: node for node in nodes}
    assert by_name["image"]["backing"] is None and by_name["root"]["backing"] == "image"
    with _qemu(files, spec) as pid:
        opened = qmp.execute(files.qmp, "query-named-block-nodes", {"flat": True})
        held = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    # No node beyond ours (a followed backing file would add one), none on the secret.
    assert {n["node-name"] for n in opened} == {"image-file", "image", "root-file", "root",
                                                "config-file", "config"}
    assert not any(n["file"] == str(secret) for n in opened)
    assert str(secret) not in held and str(image) in held


def test_a_snapshot_follows_no_reference_of_the_image(tmp_path: Path, secret: Path) -> None:
    """qemu-img convert of the guest's disk opens the same explicit graph: the host file a
    (hostile) cached image names as its backing file is not in the snapshot."""
    image = tmp_path / "backed.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", str(secret),
                    "-F", "raw", str(image), "1M"], check=True)
    state = tmp_path / "state"
    hv = QemuHypervisor(state, "host-1", accelerator="tcg", guest_user=None)
    files = GuestFiles(state / "guests", "g1")
    files.dir.mkdir(parents=True)
    files.write_record(_spec(image, "qcow2"))
    assert write_overlay(files.disk, image, "qcow2", 1 << 20)
    dest = tmp_path / "snap.qcow2"
    hv.snapshot("g1", dest)
    raw = tmp_path / "snap.raw"
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(dest), str(raw)],
                   check=True)
    assert SECRET not in raw.read_bytes()
    # What a probing `qemu-img convert disk.qcow2` would have done instead:
    leaked = tmp_path / "leak.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(files.disk), str(leaked)],
                   check=True)
    assert SECRET in leaked.read_bytes()


@pytest.mark.parametrize(("disk_format", "qemu_format", "driver"), [
    ("raw", "raw", "raw"), ("ami", "raw", "raw"), ("qcow2", "qcow2", "qcow2"),
    ("vmdk", "vmdk", "vmdk"), ("vhd", "vpc", "vpc"), ("vhdx", "vhdx", "vhdx"),
    ("vdi", "vdi", "vdi"),
])
def test_every_accepted_format_opens_through_its_named_driver(
        tmp_path: Path, disk_format: str, qemu_format: str, driver: str) -> None:
    image = tmp_path / f"image.{qemu_format}"
    subprocess.run(["qemu-img", "create", "-q", "-f", qemu_format, str(image), "1M"],
                   check=True)
    state = tmp_path / "state"
    hv = QemuHypervisor(state, "host-1", accelerator="tcg", guest_user=None, sandbox=False)
    spec = _spec(image, disk_format)
    files = GuestFiles(state / "guests", "g1")
    files.dir.mkdir(parents=True)
    hv._create_disk(files, spec)     # the overlay the driver makes for a spawn
    with _qemu(files, spec):
        nodes = {n["node-name"]: n for n in
                 qmp.execute(files.qmp, "query-named-block-nodes", {"flat": True})}
    assert nodes["image"]["drv"] == driver and nodes["root"]["drv"] == "qcow2"
    assert nodes["image"]["ro"] and not nodes["root"]["ro"]
    assert nodes["root"]["image"]["virtual-size"] == 1 << 30     # the flavor's disk
