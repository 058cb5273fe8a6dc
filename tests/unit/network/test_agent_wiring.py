"""bootstrap's network wiring: NUAGE_NETWORK_DATAPATH decides whether the agent runs, the
fabric is built once, and a change made through the network services wakes the agent that
`Cloud.network_agent()` attached (in-process, with the in-memory fabric)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nuage.bootstrap import Cloud, Overrides, build
from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from nuage.services.network.subnets import NewSubnet
from nuage.settings import Settings
from tests.unit.network.agent_support import ADMIN
from tests.unit.network.fake_fabric import MemoryNetworkFabric

HOST = "wired-host"


def _cloud(tmp_path: Path, overrides: Overrides, **settings: object) -> Cloud:
    return build(Settings.model_validate({"state_dir": tmp_path / "state",
                                          "fast_password_hashing": True,
                                          "user_clouds_yaml": False, **settings}),
                 overrides=overrides)


def test_the_setting_turns_the_datapath_off_and_names_the_fabric(tmp_path: Path) -> None:
    cloud = _cloud(tmp_path, Overrides(), network_datapath=False, network_prefix="wx1")
    assert cloud.network_datapath() is False
    fabric = cloud.network_fabric()
    assert isinstance(fabric, LinuxNetworkFabric)
    assert fabric is cloud.network_fabric()              # built once
    assert fabric.guest_netns() == "wx1-dp"
    assert fabric.metadata_socket == tmp_path / "state" / "metadata.sock"
    with pytest.raises(ValueError):
        Settings.model_validate({"network_prefix": "much-too-long"})


def test_a_change_through_the_services_wakes_the_attached_agent(tmp_path: Path) -> None:
    fabric = MemoryNetworkFabric(prefix="wx2")
    cloud = _cloud(tmp_path, Overrides(network_fabric=fabric, hostname=HOST))
    assert cloud.network_datapath() is True              # auto, with a fabric given
    agent = cloud.network_agent()
    assert agent.hostname == HOST
    agent.start()                                        # next periodic pass: 30 s away
    try:
        net = cloud.network.networks.create(ADMIN, NewNetwork(name="n")).network
        cloud.network.subnets.create(ADMIN, NewSubnet(network_id=net.id, cidr="10.3.0.0/24"))
        port = cloud.network.ports.create(ADMIN, NewPort(network_id=net.id,
                                                         binding_host_id=HOST))
        deadline = time.monotonic() + 10
        while cloud.network.ports.get(ADMIN, port.id).status != "ACTIVE":
            assert time.monotonic() < deadline, "the agent was not woken"
            time.sleep(0.05)
    finally:
        agent.stop()
    assert fabric.inventory().dhcp == {net.id}
