"""The volume agent's loop: a pass at start, another when woken, none after stop."""

from __future__ import annotations

import time

from nuage.agent.volume import LocalVolumeAgentChannel, VolumeAgent
from nuage.ports.block_devices import GIB
from nuage.services.volume.reconcile import VolumeReconciler
from tests.support.fake_block_devices import FakeBlockDevices
from tests.unit.volume.agent_support import FakeHostVolumes, FakeImages, volume


def _until(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)
    return False


def test_the_agent_passes_at_start_and_when_woken() -> None:
    control, devices = FakeHostVolumes(), FakeBlockDevices()
    control.add(volume("v1", "creating"))
    agent = VolumeAgent(VolumeReconciler(control, devices, FakeImages(devices)),
                        interval=3600)
    channel = LocalVolumeAgentChannel()
    channel.attach(agent)
    agent.start()
    try:
        # The first pass ran before start() returned.
        assert control.rows["v1"].status == "available"
        control.add(volume("v2", "creating", 2))
        channel.changed("v2")
        assert _until(lambda: control.rows["v2"].status == "available")
        assert devices.stored()["v2"].size == 2 * GIB
    finally:
        agent.stop()
    control.add(volume("v3", "creating"))
    agent.wake()
    time.sleep(0.1)
    assert control.rows["v3"].status == "creating"
