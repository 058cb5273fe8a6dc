"""A server on a Neutron network, end to end on this machine: the compute agent (real
QEMU, the default guest image) waits for its port to be plugged, boots the guest inside
the datapath's guest namespace on the port's TAP, the guest configures its address from
network_data.json, a stand-in on the same network pings it, and the server's delete
releases the port.

The network agent is not part of this branch: the test does its part itself, through the
real Linux fabric (ensure_network, ensure_port) and by recording the port ACTIVE, as
that agent does once ensure_port succeeded."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.bootstrap import Cloud, Overrides, build
from nuage.domain.context import RequestContext
from nuage.drivers.guest_image import build_guest_image
from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.ports.network_fabric import (
    FixedIp,
    NetworkSpec,
    PortSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from nuage.services.compute.servers import NewServer
from nuage.services.image.default_image import DefaultImageSetup, GuestImage
from nuage.services.network.networks import NewNetwork
from nuage.services.network.subnets import NewSubnet
from nuage.settings import Settings
from tests.support.netns import configure, eventually_pings, linux_fabric, needs_root_net
from tests.support.netns import stand_in as make_stand_in
from tests.support.qemu import needs_qemu

pytestmark = [needs_root_net, needs_qemu, pytest.mark.slow]

HOST = "e2e-host"
BOOT_TIMEOUT = 180.0
MEMBER = RequestContext(request_id="req-e2e", user_id="u-e2e", project_id="p-e2e",
                        roles=frozenset({"member", "reader"}))
OPEN = SecurityGroupSpec("e2e-open", rules=(SecurityRule(direction="egress"),
                                             SecurityRule(direction="ingress",
                                                          protocol="icmp")))


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path / "net") as real:
        yield real


@pytest.fixture
def cloud(tmp_path: Path, fabric: LinuxNetworkFabric) -> Iterator[Cloud]:
    made = build(Settings.model_validate({
        "state_dir": tmp_path / "state", "fast_password_hashing": True,
        "user_clouds_yaml": False, "accelerator": "tcg"}),
        overrides=Overrides(hostname=HOST, network_fabric=fabric))
    made.seed()
    try:
        yield made
    finally:
        made.engine.dispose()


def _wait(what: str, check: object, timeout: float = BOOT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():     # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what}: not in {timeout:g} s"
        time.sleep(0.5)


def test_a_server_boots_on_its_port_and_answers(cloud: Cloud, fabric: LinuxNetworkFabric
                                                ) -> None:
    files = build_guest_image(cloud.settings.guest_image_dir)
    image_id = DefaultImageSetup(cloud.images.images, cloud.images.data).register(
        GuestImage(files.kernel, files.initrd, files.disk, files.version, files.cmdline),
        MEMBER.project_id or "")
    net = cloud.network.networks.create(MEMBER, NewNetwork(name="e2e")).network
    # No DHCP on this subnet: the config drive gives the guest a static address.
    subnet = cloud.network.subnets.create(MEMBER, NewSubnet(
        network_id=net.id, cidr="10.0.0.0/24", ip_version=4, enable_dhcp=False))
    agent = cloud.compute_agent()
    agent.start()
    sid = ""
    try:
        server = cloud.compute.servers.create(MEMBER, NewServer(
            "e2e", image_id, "1", networks=[{"uuid": net.id}]))
        sid = server.id
        assert server.host == HOST
        with cloud.compute_ports.uow() as uow:
            [port] = uow.ports.find(device_id=sid)
        assert port.binding_host_id == HOST
        address = port.fixed_ips[0]["ip_address"]
        # The agent waits: the port is not plugged yet.
        time.sleep(2)
        assert cloud.compute.servers.get(MEMBER, sid).status == "BUILD"
        # What the network agent does for its host: plug, then record ACTIVE.
        fabric.ensure_security_group(OPEN)
        fabric.ensure_network(NetworkSpec(net.id, net.segmentation_id or 1, mtu=net.mtu,
                                          subnets=(SubnetSpec(subnet.id, subnet.cidr,
                                                              subnet.gateway_ip),)))
        fabric.ensure_port(PortSpec(port.id, net.id, port.mac_address,
                                    fixed_ips=(FixedIp(subnet.id, address),),
                                    security_groups=(OPEN.group_id,)))
        with cloud.compute_ports.uow(write=True) as uow:
            plugged = uow.ports.get(port.id)
            assert plugged is not None
            plugged.status, plugged.binding_vif_type = "ACTIVE", "tap"
            uow.commit()
        cloud.compute.agents.notify(HOST)
        _wait("ACTIVE", lambda: cloud.compute.servers.get(MEMBER, sid).status == "ACTIVE")
        # The guest configures itself from network_data (no DHCP server on this network).
        line = f"nuage-guest: network eth0 {address}/24"
        _wait("the guest's address line",
              lambda: line in agent.reconciler.console_output(sid, None))
        peer = make_stand_in(fabric, "peer")
        fabric.ensure_port(PortSpec(str(uuid.uuid4()), net.id, "fa:16:3e:00:92:06",
                                    fixed_ips=(FixedIp(subnet.id, "10.0.0.200"),),
                                    security_groups=(OPEN.group_id,), guest_netns=peer))
        configure(peer, "10.0.0.200/24")
        assert eventually_pings(peer, address, tries=10)
        # Delete: the guest goes, then its port.
        cloud.compute.servers.delete(MEMBER, sid)
        _wait("the port released", lambda: _ports(cloud, sid) == 0, 60)
        fabric.remove_port(port.id)       # the network agent's unplug
    finally:
        agent.stop()
        if sid:
            agent.hypervisor.destroy(sid)


def _ports(cloud: Cloud, server_id: str) -> int:
    with cloud.compute_ports.uow() as uow:
        return len(uow.ports.find(device_id=server_id))
