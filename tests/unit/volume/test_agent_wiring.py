"""bootstrap's volume wiring: the agent gets this machine's volume files (encrypted qcow2
under <state>/volumes, or the override) and the control plane it is given."""

from __future__ import annotations

from pathlib import Path

from nuage.bootstrap import Cloud, Overrides, build
from nuage.drivers.qcow2_volumes import Qcow2Volumes
from nuage.settings import Settings
from tests.support.fake_block_devices import FakeBlockDevices
from tests.unit.volume.agent_support import FakeHostVolumes, FakeImages, volume


def _cloud(tmp_path: Path, overrides: Overrides) -> Cloud:
    return build(Settings.model_validate({"state_dir": tmp_path / "state",
                                          "fast_password_hashing": True,
                                          "user_clouds_yaml": False}),
                 overrides=overrides)


def test_the_volume_files_are_under_the_state_dir(tmp_path: Path) -> None:
    cloud = _cloud(tmp_path, Overrides())
    try:
        devices = cloud.block_devices()
        assert isinstance(devices, Qcow2Volumes)
        assert devices.directory == tmp_path / "state" / "volumes"
    finally:
        cloud.engine.dispose()


def test_the_agent_reconciles_with_the_override(tmp_path: Path) -> None:
    devices = FakeBlockDevices()
    cloud = _cloud(tmp_path, Overrides(block_devices=devices))
    try:
        control = FakeHostVolumes()
        control.add(volume("v1", "creating"))
        agent = cloud.volume_agent(control, FakeImages(devices))
        assert agent.hostname == control.host
        agent.reconciler.pass_once()
        assert control.rows["v1"].status == "available"
        assert "v1" in devices.stored()
    finally:
        cloud.engine.dispose()
