"""The QEMU driver's volumes without QEMU: the guest's record keeps them without their
keys, and the command line names them as hot-plug does, with no key on it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nuage.drivers.qemu import volumes
from nuage.drivers.qemu.command_line import qemu_argv
from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.drivers.qemu.volumes import VolumeFds
from nuage.ports.block_devices import VolumeConnection
from nuage.ports.guest_disks import VolumeDisk
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec

KEY = b"k" * 32
DATA = VolumeDisk("3f1c9a52-7d1e-4c55-9a36-0d2b3c4e5f60",
                  VolumeConnection(Path("/v/data.qcow2")), KEY, "/dev/vdb")
ROOT = VolumeDisk("root-volume", VolumeConnection(Path("/v/root.qcow2")), KEY, "/dev/vda",
                  boot=True)


def _spec(*disks: VolumeDisk) -> GuestSpec:
    return GuestSpec(guest_id="g1", name="vm", vcpus=1, memory_mb=128, disk_gb=1,
                     image=BootImage(path=Path("/images/i.qcow2"), disk_format="qcow2"),
                     config_drive=ConfigDrive(meta_data={}), volumes=disks)


def test_the_record_keeps_volumes_without_their_keys(tmp_path: Path) -> None:
    files = GuestFiles(tmp_path, "g1")
    files.dir.mkdir()
    files.write_record(_spec(DATA, ROOT))
    assert b"a2a2" not in files.record.read_bytes()          # base64 of b"kkk"
    assert b"kkkk" not in files.record.read_bytes()
    recorded = files.read_record().volumes
    assert recorded == (replace(DATA, key=b""), replace(ROOT, key=b""))


def test_the_command_line_names_volumes_as_hot_plug_does(tmp_path: Path) -> None:
    files = GuestFiles(tmp_path, "g1")
    fds = (VolumeFds(DATA.volume_id, 7, 8), VolumeFds(ROOT.volume_id, 9, 10))
    argv = qemu_argv("qemu", files, _spec(DATA, ROOT), accelerator="tcg", guest_user=None,
                     sandbox=False, restore=False, volume_fds=fds)
    line = " ".join(argv)
    assert "kkkk" not in line and "a2tr" not in line
    # Boot from volume: no overlay, no root node; the boot volume is the first disk.
    assert "drive=root" not in line and "root-file" not in line
    devices = [argv[i + 1] for i, a in enumerate(argv) if a == "-device"
               and argv[i + 1].startswith("virtio-blk-pci")]
    assert devices == [
        f"virtio-blk-pci,id=vol-root-volume,drive={volumes.format_node(ROOT.volume_id)},"
        "serial=root-volume,bootindex=1",
        f"virtio-blk-pci,id=vol-{DATA.volume_id},drive={volumes.format_node(DATA.volume_id)},"
        f"serial={DATA.volume_id}",
    ]
    assert "secret,id=key-root-volume,file=/dev/fd/10" in argv
    assert f"fd=7,set=11,opaque=vol-{DATA.volume_id}" in argv
    assert all(len(volumes.format_node(v)) < 32 for v in (DATA.volume_id, "x" * 64))
