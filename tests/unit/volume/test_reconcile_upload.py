"""The volume agent's upload to an image (os-volume_upload_image): the volume read in
place and streamed whole, zeros made for unallocated ranges, the outcome recorded; a
failure recorded so the control plane gives the volume back."""

from __future__ import annotations

import hashlib

import pytest

from nuage.ports.volume_agent import Failed, Uploaded
from nuage.services.volume.reconcile import VolumeReconciler, read_all
from tests.support.fake_block_devices import FakeBlockDevices
from tests.unit.volume.agent_support import KEY, FakeHostVolumes, FakeImages, volume

# Small enough to hash quickly, several upload chunks long.
SIZE = 18 << 20


@pytest.fixture
def devices() -> FakeBlockDevices:
    return FakeBlockDevices()


@pytest.fixture
def control() -> FakeHostVolumes:
    return FakeHostVolumes()


@pytest.fixture
def images(devices: FakeBlockDevices) -> FakeImages:
    return FakeImages(devices)


@pytest.fixture
def agent(control: FakeHostVolumes, devices: FakeBlockDevices,
          images: FakeImages) -> VolumeReconciler:
    return VolumeReconciler(control, devices, images)


def _expected(size: int, content: dict[int, bytes]) -> str:
    data = bytearray(size)
    for at, chunk in content.items():
        data[at:at + len(chunk)] = chunk
    return hashlib.sha256(data).hexdigest()


def test_the_volume_is_streamed_whole_into_its_image(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices,
        images: FakeImages) -> None:
    devices.create("v1", SIZE, KEY)
    devices.write("v1", KEY, 0, b"boot sector")
    devices.write("v1", KEY, 5 << 20, b"later data")
    control.add(volume("v1", "uploading", upload_image_id="img-1"))
    assert agent.pass_once() == 1
    assert control.recorded == [("v1", "uploading", Uploaded("img-1"))]
    assert control.rows["v1"].status == "available"
    count, digest, size = images.uploaded["img-1"]
    assert (count, size) == (SIZE, SIZE)
    assert digest == _expected(SIZE, {0: b"boot sector", 5 << 20: b"later data"})
    # Read in place, never copied to a file of its own.
    assert set(devices.stored()) == {"v1"}


def test_a_failed_upload_is_recorded(agent: VolumeReconciler, control: FakeHostVolumes,
                                     devices: FakeBlockDevices, images: FakeImages) -> None:
    devices.create("v1", SIZE, KEY)
    images.fail_upload = "image deleted meanwhile"
    control.add(volume("v1", "uploading", upload_image_id="img-1"))
    agent.pass_once()
    ((_, _, outcome),) = control.recorded
    assert isinstance(outcome, Failed) and "deleted meanwhile" in outcome.reason
    assert control.rows["v1"].status == "available"


def test_an_attached_volume_is_not_the_volume_agents(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices) -> None:
    devices.create("v1", SIZE, KEY)
    control.add(volume("v1", "uploading", upload_image_id="img-1", attached=True))
    assert agent.pass_once() == 0
    assert ("reader", "v1") not in devices.calls


def test_read_all_cuts_extents_into_chunks() -> None:
    class Reader:
        size = 10

        def read(self, offset: int, length: int) -> bytes:
            return bytes([offset + i for i in range(length)])

        def allocated(self):  # type: ignore[no-untyped-def]
            yield 0, 5, True
            yield 5, 5, False

    assert list(read_all(Reader(), chunk=3)) == [b"\0\1\2", b"\3\4", b"\0\0\0", b"\0\0"]


def test_an_attached_volume_is_uploaded_from_its_snapshot(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices,
        images: FakeImages) -> None:
    devices.create("v1", SIZE, KEY)
    devices.write("v1", KEY, 0, b"snapped")
    devices.snapshot("v1", "s1", KEY)
    devices.write("v1", KEY, 0, b"later!!")
    devices.in_use.add("v1")
    control.add(volume("v1", "uploading", upload_image_id="img-1",
                       upload_snapshot_id="s1", attached=True))
    assert agent.pass_once() == 1
    assert ("reader", "v1") in devices.calls
    assert images.uploaded["img-1"][1] == _expected(SIZE, {0: b"snapped"})


def test_an_upload_waiting_for_its_snapshot_does_nothing(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices) -> None:
    devices.create("v1", SIZE, KEY)
    control.add(volume("v1", "uploading", upload_snapshot_id="s1", attached=True))
    assert agent.pass_once() == 0
    assert ("reader", "v1") not in devices.calls
