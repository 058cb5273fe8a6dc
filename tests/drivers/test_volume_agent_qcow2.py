"""The volume agent's reconciler on the real driver (encrypted qcow2 through qemu-img) and
a fake control plane: a volume's life, pass by pass, including a create a crash left
half way, with tiny volumes (the agent sizes in GiB; qcow2 files are thin)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from nuage.drivers.qcow2_volumes import Qcow2Volumes
from nuage.ports.block_devices import GIB, ImageFile
from nuage.ports.volume_agent import SnapshotAssignment, SourceOrder
from nuage.services.volume.reconcile import VolumeReconciler
from tests.drivers.test_block_devices_contract import PATTERN, needs_qemu_img
from tests.support.qemu import processes_under
from tests.unit.volume.agent_support import FakeHostVolumes, volume


class LocalImages:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.uploaded: dict[str, tuple[int, str]] = {}   # image id -> (size, sha256)

    def local(self, image_id: str, project_id: str) -> ImageFile:
        return ImageFile(self.path, "raw")

    def upload(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        digest = hashlib.sha256()
        count = 0
        for chunk in chunks:
            digest.update(chunk)
            count += len(chunk)
        assert count == size
        self.uploaded[image_id] = (count, digest.hexdigest())


@needs_qemu_img
def test_a_volumes_life_on_the_real_driver(tmp_path: Path) -> None:
    image = tmp_path / "image.raw"
    image.write_bytes(PATTERN * 64)
    devices = Qcow2Volumes(tmp_path / "volumes")
    control = FakeHostVolumes()
    agent = VolumeReconciler(control, devices, LocalImages(image), orphan_grace=0)
    key, copy_key = os.urandom(32), os.urandom(32)

    # A crash left the create half written: the pass finishes it.
    (devices.directory / "v1.qcow2.part").write_bytes(b"half")
    control.add(dataclasses.replace(volume("v1", "creating", 1,
                                           source=SourceOrder(image_id="img")), key=key))
    assert agent.pass_once() == 1
    assert control.rows["v1"].status == "available"
    assert sorted(p.name for p in devices.directory.iterdir()) == ["v1.qcow2"]

    control.add(dataclasses.replace(control.rows["v1"], snapshots=(
        SnapshotAssignment("s1", "creating"),)))
    agent.pass_once()
    assert devices.stored()["v1"].snapshots == {"s1"}

    control.add(dataclasses.replace(volume("v2", "creating", 2, source=SourceOrder(
        volume_id="v1", snapshot_id="s1", source_key=key)), key=copy_key))
    control.add(dataclasses.replace(control.rows["v1"], status="extending", size_gb=3))
    assert agent.pass_once() == 2
    stored = devices.stored()
    assert (stored["v1"].size, stored["v2"].size) == (3 * GIB, 2 * GIB)
    assert control.rows["v2"].status == "available"

    # A file no volume names (its row went while the agent was down): removed.
    devices.create("stray", GIB, os.urandom(32))
    control.add(dataclasses.replace(control.rows["v1"], status="deleting"))
    agent.pass_once()
    assert set(devices.stored()) == {"v2"}
    for path in devices.directory.iterdir():
        assert PATTERN not in path.read_bytes()
    assert processes_under(tmp_path) == []


@needs_qemu_img
def test_an_upload_to_an_image_reads_the_volume_in_place(tmp_path: Path) -> None:
    """os-volume_upload_image on the real driver: the volume's plaintext reaches the
    image through NBD, and no file but the volume's own is left."""
    image = tmp_path / "image.raw"
    image.write_bytes(PATTERN * 64)
    devices = Qcow2Volumes(tmp_path / "volumes")
    control = FakeHostVolumes()
    images = LocalImages(image)
    agent = VolumeReconciler(control, devices, images, orphan_grace=0)
    key = os.urandom(32)
    control.add(dataclasses.replace(volume("v1", "creating", 1,
                                           source=SourceOrder(image_id="img")), key=key))
    agent.pass_once()
    control.add(dataclasses.replace(control.rows["v1"], status="uploading",
                                    upload_image_id="img-up"))
    assert agent.pass_once() == 1
    assert control.rows["v1"].status == "available"
    expected = hashlib.sha256(PATTERN * 64)
    expected.update(bytes(GIB - len(PATTERN * 64)))
    assert images.uploaded["img-up"] == (GIB, expected.hexdigest())
    assert sorted(p.name for p in devices.directory.iterdir()) == ["v1.qcow2"]
    assert PATTERN not in (devices.directory / "v1.qcow2").read_bytes()
    assert processes_under(tmp_path) == []
