"""bootstrap's volume wiring: the agent gets this machine's volume files (encrypted qcow2
under <state>/volumes, or the override) and the control plane it is given."""

from __future__ import annotations

from pathlib import Path

from nuage.bootstrap import Cloud, Overrides, build
from nuage.drivers.qcow2_volumes import Qcow2Volumes
from nuage.services.volume.volumes import NewVolume
from nuage.settings import Settings
from tests.support.fake_block_devices import FakeBlockDevices
from tests.unit.volume.conftest import member_of


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


def test_the_agent_reconciles_the_volume_services_volumes(tmp_path: Path) -> None:
    """The agent works on what the volume service records, in the override's files, and
    the service's commits wake it."""
    devices = FakeBlockDevices()
    cloud = _cloud(tmp_path, Overrides(block_devices=devices, hostname="host-a"))
    try:
        assert cloud.volume is not None
        agent = cloud.volume_agent()
        assert agent.hostname == "host-a"
        made = cloud.volume.volumes.create(member_of("p-a"), NewVolume(size=1))
        assert made.volume.status == "creating"
        agent.reconciler.pass_once()
        assert made.volume.id in devices.stored()
        shown = cloud.volume.volumes.get(member_of("p-a"), made.volume.id)
        assert shown.volume.status == "available"
    finally:
        cloud.engine.dispose()
