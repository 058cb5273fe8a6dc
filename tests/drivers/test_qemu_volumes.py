"""The QEMU driver's volumes (GuestDisks), with real QEMU under TCG, the default guest and
real LUKS-encrypted qcow2 files made here with qemu-img (8 MiB).

Three boots (one not waited for), shared between the checks (TCG boots are slow): guest
A gets the volume hot-plugged while it runs (its disk-watch prints the disk, its
user-data writes a marker on it), refuses a wrong key, resizes and snapshots it, lets it
go and takes it again, keeps it in its record across a restart by a new driver instance
(which needs the keys first); guest B boots from a volume of its own, has A's volume
from its start and reads A's marker back. Keys never reach a command line or a file of
the guest's directory.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.qemu import QemuHypervisor, qmp, volumes
from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.ports.block_devices import VolumeConnection
from nuage.ports.guest_disks import VolumeDisk
from nuage.ports.hypervisor import ConfigDrive, GuestSpec, HypervisorError, PowerState
from tests.support.qemu import default_boot_image, needs_qemu, processes_under

pytestmark = [needs_qemu, pytest.mark.slow]

BOOT_TIMEOUT = 240.0
MIB = 1 << 20

# Waits for the disk (hot-plugged later, or there from the boot), then: a disk that holds
# no marker gets one; one that does has it printed. In the background: the boot goes on.
USER_DATA = b"""#!/bin/sh
(
while [ ! -b /dev/vdb ]; do sleep 1; done
old=$(dd if=/dev/vdb bs=64 count=1 2>/dev/null | tr -cd 'A-Za-z0-9-')
case "$old" in
    marker-*) echo "nuage-test: read [$old]" ;;
    *)
        new="marker-$(cat /proc/sys/kernel/random/uuid)"
        printf '%-64s' "$new" | dd of=/dev/vdb bs=64 count=1 conv=fsync 2>/dev/null
        sync
        echo "nuage-test: wrote [$new]"
        ;;
esac
) > /dev/console 2>&1 &
"""


@pytest.fixture
def hv(tmp_path: Path) -> Iterator[QemuHypervisor]:
    try:
        yield QemuHypervisor(tmp_path / "qemu", "host-1", accelerator="tcg")
    finally:
        for pid in processes_under(tmp_path / "qemu"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _make_volume(path: Path, key: bytes, size: int = 8 * MIB) -> None:
    """An encrypted qcow2 as the volume driver makes it: the passphrase is the key's
    base64 text. (The key on qemu-img's command line: a test's throwaway key.)"""
    secret = base64.b64encode(key).decode()
    for _ in range(5):     # LUKS' PBKDF benchmark fails now and then on a busy host
        done = subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "--object",
             f"secret,id=k,data={secret}", "-o",
             "encrypt.format=luks,encrypt.key-secret=k,encrypt.iter-time=10",
             str(path), str(size)], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return
    raise AssertionError(done.stderr)


def _snapshots(path: Path, key: bytes) -> str:
    secret = base64.b64encode(key).decode()
    return subprocess.run(
        ["qemu-img", "snapshot", "-l", "--object", f"secret,id=k,data={secret}",
         "--image-opts", f"driver=qcow2,file.filename={path},encrypt.key-secret=k"],
        capture_output=True, text=True, check=True).stdout


def _spec(guest_id: str, disks: tuple[VolumeDisk, ...] = ()) -> GuestSpec:
    return GuestSpec(guest_id=guest_id, name="vm", vcpus=1, memory_mb=128, disk_gb=1,
                     image=default_boot_image(),
                     config_drive=ConfigDrive(meta_data={"uuid": guest_id},
                                              user_data=USER_DATA),
                     volumes=disks)


def _wait_for(hv: QemuHypervisor, guest_id: str, pattern: str, count: int = 1
              ) -> list[str]:
    """The matches of `pattern` in the console, once there are `count` of them."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        found: list[str] = re.findall(pattern, hv.console_output(guest_id))
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern!r} (x{count}) after {BOOT_TIMEOUT} s:\n"
                                 f"{hv.console_output(guest_id, 30)}")
        time.sleep(0.2)


def _volume_fdsets(files: GuestFiles) -> list[str]:
    return [fd["opaque"] for fdset in qmp.execute(files.qmp, "query-fdsets")
            for fd in fdset["fds"] if fd.get("opaque", "").startswith("vol-")]


def _assert_no_key(files: GuestFiles, key: bytes) -> None:
    """Neither the key nor its passphrase in QEMU's command line or any file there."""
    secrets = (key, base64.b64encode(key))
    pid = files.live_qemu_pid()
    assert pid is not None
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert not any(s in cmdline for s in secrets)
    for path in files.dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s in data for s in secrets), path.name


def test_volumes_attached_detached_kept_and_read_back(hv: QemuHypervisor,
                                                      tmp_path: Path) -> None:
    key, wrong = os.urandom(32), os.urandom(32)
    volume_id = str(uuid.uuid4())
    path = tmp_path / "volume.qcow2"
    _make_volume(path, key)
    disk = VolumeDisk(volume_id, VolumeConnection(path), key, "/dev/vdb")
    root_key = os.urandom(32)
    _make_volume(tmp_path / "root.qcow2", root_key)
    root = VolumeDisk(str(uuid.uuid4()), VolumeConnection(tmp_path / "root.qcow2"),
                      root_key, "/dev/vda", boot=True)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    files = GuestFiles(tmp_path / "qemu" / "guests", a)
    try:
        hv.spawn(_spec(a))
        _wait_for(hv, a, r"nuage-guest: ready")

        # A wrong key: QEMU refuses, nothing is left in QEMU or in the record.
        with pytest.raises(HypervisorError, match=r"password|keyslot"):
            hv.attach_volume(a, VolumeDisk(volume_id, VolumeConnection(path), wrong, ""))
        assert hv.volumes(a) == {}
        assert files.read_record().volumes == ()
        assert _volume_fdsets(files) == []
        objects = {o["name"] for o in qmp.execute(files.qmp, "qom-list",
                                                  {"path": "/objects"})}
        assert volumes.secret_id(volume_id) not in objects

        # Hot-plugged: the guest sees the disk, serial = the id's first 20 characters,
        # and its user-data writes its marker.
        hv.attach_volume(a, disk)
        hv.attach_volume(a, disk)                   # idempotent
        _wait_for(hv, a, rf"nuage-disk: vdb added serial={volume_id[:20]} "
                         rf"size={8 * MIB}")
        marker = _wait_for(hv, a, r"nuage-test: wrote \[(marker-[0-9a-f-]+)\]")[0]
        assert hv.volumes(a) == {volume_id: 8 * MIB}
        assert [v.volume_id for v in files.read_record().volumes] == [volume_id]
        assert files.read_record().volumes[0].key == b""
        _assert_no_key(files, key)

        # Grown through QEMU: the guest sees the new size.
        hv.resize_volume(a, volume_id, 16 * MIB)
        _wait_for(hv, a, rf"nuage-disk: vdb resized size={16 * MIB}")
        assert hv.volumes(a) == {volume_id: 16 * MIB}

        hv.snapshot_volume(a, volume_id, "snap-1")
        hv.snapshot_volume(a, volume_id, "snap-1")   # idempotent
        # A snapshot deleted while the guest holds the file: through QEMU.
        hv.snapshot_volume(a, volume_id, "snap-2")
        hv.delete_snapshot_volume(a, volume_id, "snap-2")
        hv.delete_snapshot_volume(a, volume_id, "snap-2")   # idempotent

        # Detached: the guest lets it go, QEMU closes the file (qemu-img may open it).
        hv.detach_volume(a, volume_id, timeout=60.0)
        _wait_for(hv, a, r"nuage-disk: vdb removed")
        # The kernel zeroes a departing disk's capacity first: not a resize to 0.
        assert "vdb resized size=0" not in hv.console_output(a)
        hv.detach_volume(a, volume_id)               # idempotent
        assert hv.volumes(a) == {}
        assert files.read_record().volumes == ()
        assert _volume_fdsets(files) == []
        listed = _snapshots(path, key)
        assert listed.count("snap-1") == 1
        assert "snap-2" not in listed

        # Attached again, then kept across a restart by a driver that lost its keys.
        hv.attach_volume(a, disk)
        _wait_for(hv, a, r"nuage-disk: vdb added", count=2)
        # Suspended and resumed: the launch that loads the memory has the volume where
        # the hot-plug put it.
        hv.suspend(a)
        assert hv.volumes(a) == {volume_id: 16 * MIB}
        hv.resume(a)
        assert hv.state(a) == PowerState.RUNNING
        assert hv.volumes(a) == {volume_id: 16 * MIB}
        hv.stop(a, timeout=60.0)
        assert hv.volumes(a) == {volume_id: 16 * MIB}        # the record's, the file's
        restarted = QemuHypervisor(tmp_path / "qemu", "host-1", accelerator="tcg")
        with pytest.raises(HypervisorError, match="volume keys not provided"):
            restarted.start(a)
        assert restarted.state(a) == PowerState.SHUTDOWN
        restarted.provide_keys(a, (disk,))
        restarted.start(a)
        assert restarted.volumes(a) == {volume_id: 16 * MIB}
        _assert_no_key(files, key)
        record = json.loads(files.record.read_text())
        assert record["volumes"][0]["volume_id"] == volume_id
        # Stopped at once (before its user-data): it writes nothing more; detached
        # while stopped, from the record only.
        restarted.stop(a, timeout=1.0)
        restarted.detach_volume(a, volume_id)
        assert restarted.volumes(a) == {}

        # Guest B boots from a volume of its own (its root disk: vda, no overlay on the
        # image), has A's volume from its start too, and reads A's marker back.
        hv.spawn(_spec(b, (disk, root)))
        _wait_for(hv, b, rf"nuage-disk: vda added serial={root.volume_id[:20]} "
                         rf"size={8 * MIB}")
        _wait_for(hv, b, rf"nuage-disk: vdb added serial={volume_id[:20]}")
        assert _wait_for(hv, b, r"nuage-test: read \[(marker-[0-9a-f-]+)\]") == [marker]
        files_b = GuestFiles(tmp_path / "qemu" / "guests", b)
        _assert_no_key(files_b, key)
        _assert_no_key(files_b, root_key)
        assert not files_b.disk.exists()
        nodes = {n["node-name"] for n in qmp.execute(files_b.qmp, "query-named-block-nodes")}
        assert "root" not in nodes
        with pytest.raises(HypervisorError, match="boots from a volume"):
            hv.snapshot(b, tmp_path / "b.qcow2")
        with pytest.raises(HypervisorError, match="boots from"):
            hv.detach_volume(b, root.volume_id)
    finally:
        hv.destroy(a)
        hv.destroy(b)
