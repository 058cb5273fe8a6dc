"""The volume agent's reconciler on the in-memory BlockDevices (whose behaviour the
contract suite pins to the real driver's) and a fake control plane that applies outcomes
with compare-and-set, as the serving side does."""

from __future__ import annotations

import threading
import time

import pytest

from nuage.ports.block_devices import GIB
from nuage.ports.volume_agent import (
    Created,
    Deleted,
    Extended,
    Failed,
    SnapshotAssignment,
    SnapshotDeleted,
    SnapshotTaken,
    SourceOrder,
)
from nuage.services.volume.reconcile import VolumeReconciler
from tests.support.fake_block_devices import FakeBlockDevices
from tests.unit.volume.agent_support import KEY, FakeHostVolumes, FakeImages, volume


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def control() -> FakeHostVolumes:
    return FakeHostVolumes()


@pytest.fixture
def devices() -> FakeBlockDevices:
    return FakeBlockDevices()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def agent(control: FakeHostVolumes, devices: FakeBlockDevices,
          clock: Clock) -> VolumeReconciler:
    return VolumeReconciler(control, devices, FakeImages(devices), orphan_grace=60.0,
                            clock=clock)


# -- transitions -----------------------------------------------------------------------------
def test_a_blank_volume_is_created(agent: VolumeReconciler, control: FakeHostVolumes,
                                   devices: FakeBlockDevices) -> None:
    control.add(volume("v1", "creating", 2))
    assert agent.pass_once() == 1
    assert control.rows["v1"].status == "available"
    assert control.recorded == [("v1", "creating", Created(2))]
    assert devices.stored()["v1"].size == 2 * GIB
    assert agent.pass_once() == 0


def test_a_volume_from_an_image_asks_for_the_projects_copy(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices) -> None:
    control.add(volume("v1", "creating", 1, source=SourceOrder(image_id="img")))
    agent.pass_once()
    assert control.rows["v1"].status == "available"
    assert isinstance(agent.images, FakeImages)
    assert agent.images.asked == [("img", "project-1")]
    assert devices.read("v1", KEY, 0, 5) == b"image"


def test_an_image_the_project_may_not_see_fails_the_create(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices) -> None:
    control.add(volume("v1", "creating", source=SourceOrder(image_id="hidden")))
    agent.pass_once()
    assert control.rows["v1"].status == "error"
    assert "not visible" in control.failures["v1"]
    assert "v1" not in devices.stored()


def test_a_copy_of_a_snapshot(agent: VolumeReconciler, control: FakeHostVolumes,
                              devices: FakeBlockDevices) -> None:
    devices.create("src", GIB, b"s" * 32)
    devices.write("src", b"s" * 32, 0, b"before")
    devices.snapshot("src", "snap", b"s" * 32)
    devices.write("src", b"s" * 32, 0, b"after!")
    control.add(volume("src", "available", snapshots=(SnapshotAssignment("snap",
                                                                         "available"),)))
    control.add(volume("v1", "creating", source=SourceOrder(
        volume_id="src", snapshot_id="snap", source_key=b"s" * 32)))
    agent.pass_once()
    assert control.rows["v1"].status == "available"
    assert devices.read("v1", KEY, 0, 6) == b"before"


def test_a_copy_of_a_snapshot_named_alone(agent: VolumeReconciler, control: FakeHostVolumes,
                                          devices: FakeBlockDevices) -> None:
    devices.create("src", GIB, b"s" * 32)
    devices.write("src", b"s" * 32, 0, b"snapped")
    devices.snapshot("src", "snap", b"s" * 32)
    control.add(volume("src", "available", snapshots=(SnapshotAssignment("snap",
                                                                         "available"),)))
    control.add(volume("v1", "creating", source=SourceOrder(snapshot_id="snap",
                                                            source_key=b"s" * 32)))
    control.add(volume("v2", "creating", source=SourceOrder(snapshot_id="gone",
                                                            source_key=b"s" * 32)))
    agent.pass_once()
    assert devices.read("v1", KEY, 0, 7) == b"snapped"
    assert control.rows["v2"].status == "error"
    assert "gone" in control.failures["v2"]


def test_a_copy_without_its_key_fails(agent: VolumeReconciler,
                                      control: FakeHostVolumes) -> None:
    control.add(volume("v1", "creating", source=SourceOrder(volume_id="src")))
    agent.pass_once()
    assert control.rows["v1"].status == "error"
    assert "no key" in control.failures["v1"]


def test_extend_and_delete(agent: VolumeReconciler, control: FakeHostVolumes,
                           devices: FakeBlockDevices) -> None:
    devices.create("v1", GIB, KEY)
    control.add(volume("v1", "extending", 3))
    agent.pass_once()
    assert control.recorded[-1:] == [("v1", "extending", Extended(3))]
    assert devices.stored()["v1"].size == 3 * GIB
    control.add(volume("v1", "deleting", 3))
    agent.pass_once()
    assert control.recorded[-1:] == [("v1", "deleting", Deleted())]
    assert "v1" not in control.rows and devices.stored() == {}


def test_snapshots_are_taken_and_deleted(agent: VolumeReconciler, control: FakeHostVolumes,
                                         devices: FakeBlockDevices) -> None:
    devices.create("v1", GIB, KEY)
    devices.snapshot("v1", "old", KEY)
    control.add(volume("v1", "available", snapshots=(
        SnapshotAssignment("new", "creating"), SnapshotAssignment("old", "deleting"))))
    assert agent.pass_once() == 2
    assert devices.stored()["v1"].snapshots == {"new"}
    assert control.rows["v1"].snapshots == (SnapshotAssignment("new", "available"),)
    assert {o for _, _, o in control.recorded} == {SnapshotTaken("new"),
                                                   SnapshotDeleted("old")}


def test_failures_carry_the_drivers_words(agent: VolumeReconciler, control: FakeHostVolumes,
                                          devices: FakeBlockDevices) -> None:
    devices.create("v1", GIB, KEY)
    devices.fail_next["extend"] = "qemu-img: No space left on device"
    devices.fail_next["snapshot"] = "qemu-img: snapshot failed"
    control.add(volume("v1", "extending", 2))
    control.add(volume("v2", "available", snapshots=(SnapshotAssignment("s", "creating"),)))
    devices.create("v2", GIB, KEY)
    agent.pass_once()
    assert control.rows["v1"].status == "error_extending"
    assert "No space left" in control.failures["v1"]
    assert control.rows["v2"].snapshots == (SnapshotAssignment("s", "error"),)
    failed = [o for _, _, o in control.recorded if isinstance(o, Failed)]
    assert any(f.snapshot_id == "s" and "snapshot failed" in f.reason for f in failed)


# -- races and crashes -----------------------------------------------------------------------
def test_a_delete_during_a_create_wins(agent: VolumeReconciler, control: FakeHostVolumes,
                                       devices: FakeBlockDevices) -> None:
    control.add(volume("v1", "creating"))
    control.before_record["v1"] = volume("v1", "deleting")
    assert agent.pass_once() == 0
    assert control.rows["v1"].status == "deleting"
    assert "v1" in devices.stored()
    agent.pass_once()
    assert "v1" not in control.rows and devices.stored() == {}


def test_a_create_a_crash_left_half_way_is_finished(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices) -> None:
    devices.leave_part("v1")
    control.add(volume("v1", "creating", source=SourceOrder(image_id="img")))
    agent.pass_once()
    stored = devices.stored()["v1"]
    assert stored.complete and stored.size == GIB
    assert control.rows["v1"].status == "available"


def test_a_volume_in_use_is_left_for_the_next_pass(
        agent: VolumeReconciler, control: FakeHostVolumes, devices: FakeBlockDevices) -> None:
    devices.create("v1", GIB, KEY)
    devices.in_use.add("v1")
    control.add(volume("v1", "extending", 2))
    assert agent.pass_once() == 0
    assert control.rows["v1"].status == "extending" and control.recorded == []


def test_a_copy_of_a_volume_in_use_fails(agent: VolumeReconciler, control: FakeHostVolumes,
                                        devices: FakeBlockDevices) -> None:
    devices.create("src", GIB, b"s" * 32)
    devices.in_use.add("src")
    control.add(volume("v1", "creating", source=SourceOrder(volume_id="src",
                                                            source_key=b"s" * 32)))
    agent.pass_once()
    assert control.rows["v1"].status == "error"
    assert "in use" in control.failures["v1"]


def test_attached_volumes_are_left_alone(agent: VolumeReconciler, control: FakeHostVolumes,
                                         devices: FakeBlockDevices) -> None:
    devices.create("v1", GIB, KEY)
    control.add(volume("v1", "extending", 2, attached=True,
                       snapshots=(SnapshotAssignment("s", "creating"),)))
    control.add(volume("v2", "deleting", attached=True))
    devices.create("v2", GIB, KEY)
    assert agent.pass_once() == 0
    assert devices.calls == [("create", "v1"), ("create", "v2")]
    assert devices.stored()["v1"].size == GIB


def test_orphans_are_removed_after_the_grace(agent: VolumeReconciler,
                                             control: FakeHostVolumes,
                                             devices: FakeBlockDevices, clock: Clock) -> None:
    devices.create("orphan", GIB, KEY)
    devices.leave_part("half")
    devices.create("named", GIB, KEY)
    control.add(volume("named", "available"))
    assert agent.pass_once() == 0
    clock.now += 59
    assert agent.pass_once() == 0
    clock.now += 1
    assert agent.pass_once() == 2
    assert set(devices.stored()) == {"named"}


def test_a_file_claimed_during_the_grace_is_kept(agent: VolumeReconciler,
                                                 control: FakeHostVolumes,
                                                 devices: FakeBlockDevices,
                                                 clock: Clock) -> None:
    devices.create("v1", GIB, KEY)
    agent.pass_once()
    control.add(volume("v1", "available"))
    clock.now += 30
    agent.pass_once()
    control.rows.clear()
    clock.now += 40
    assert agent.pass_once() == 0   # unnamed again: a new grace begins
    assert "v1" in devices.stored()


def test_many_volumes_work_in_parallel_each_once(control: FakeHostVolumes,
                                                 devices: FakeBlockDevices) -> None:
    agent = VolumeReconciler(control, devices, FakeImages(devices), workers=3)
    for i in range(8):
        control.add(volume(f"v{i}", "creating"))
    assert agent.pass_once() == 8
    assert sorted(devices.calls) == sorted(("create", f"v{i}") for i in range(8))
    assert all(r.status == "available" for r in control.rows.values())


class SlowDevices(FakeBlockDevices):
    """Each call takes a moment; records the calls that overlapped another."""

    def __init__(self) -> None:
        super().__init__()
        self.active: set[str] = set()
        self.overlaps: list[set[str]] = []
        self._guard = threading.Lock()

    def _call(self, operation: str, volume_id: str) -> None:
        with self._guard:
            if self.active:
                self.overlaps.append(self.active | {volume_id})
            self.active.add(volume_id)
        time.sleep(0.05)
        with self._guard:
            self.active.discard(volume_id)
        super()._call(operation, volume_id)


def test_a_copy_never_runs_beside_its_sources_own_steps() -> None:
    control, devices = FakeHostVolumes(), SlowDevices()
    agent = VolumeReconciler(control, devices, FakeImages(devices), workers=4)
    devices.create("src", GIB, KEY)
    devices.snapshot("src", "snap", KEY)
    devices.calls.clear()
    control.add(volume("src", "extending", 2, snapshots=(SnapshotAssignment("snap",
                                                                            "available"),)))
    control.add(volume("copy", "creating", source=SourceOrder(
        volume_id="src", snapshot_id="snap", source_key=KEY)))
    control.add(volume("other", "creating"))
    assert agent.pass_once() == 3
    assert [c for c in devices.calls if c[1] != "other"] == [("extend", "src"),
                                                             ("create", "copy")]
    assert not any({"src", "copy"} <= o for o in devices.overlaps)
    assert control.rows["copy"].status == "available"
    assert control.rows["src"].status == "available" and control.rows["src"].size_gb == 2
