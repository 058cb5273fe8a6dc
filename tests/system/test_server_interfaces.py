"""os-interface end to end on this machine: a real `nuage up` with the network datapath
and a running server of the default guest image on one network; a port on a second
network (DHCP) is attached through the API: the network agent plugs its TAP, the compute
agent hot-plugs the NIC into the running guest over QMP, the guest asks DHCP on it
(`nuage-guest: network eth1 <address>` on its console) and the second network's DHCP
namespace (a peer there) pings that address. The detach hot-unplugs it: the ping stops,
the port is gone, the guest's record has one NIC again."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces, remove_namespace
from nuage.drivers.qemu.guest_files import GuestFiles
from tests.support.live import LiveNuage
from tests.support.netns import needs_root_net, pings, unique_prefix
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.slow, needs_root_net, needs_qemu]

BOOT_TIMEOUT = 240.0


class Api:
    def __init__(self, live: LiveNuage) -> None:
        self.base = live.base_url
        self.headers = {"X-Auth-Token": live.admin_token()}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        r = httpx.request(method, f"{self.base}/{path}", json=body, timeout=120,
                          headers=self.headers)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return dict(r.json()) if r.content else {}

    def neutron(self, method: str, path: str, body: dict[str, Any] | None = None,
                expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"network/v2.0/{path}", body, expect)

    def nova(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"compute/v2.1/{path}", body, expect)


def wait(what: str, condition: Callable[[], bool], timeout: float = 60,
         detail: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"not reached in {timeout:g} s: {what}\n{detail()}")


@pytest.fixture
def prefix() -> Iterator[str]:
    name = unique_prefix()
    try:
        yield name
    finally:
        for ns in namespaces():
            if ns.startswith(name + "-"):
                remove_namespace(ns)


@pytest.fixture
def live(tmp_path: Path, prefix: str) -> Iterator[LiveNuage]:
    node = LiveNuage(tmp_path / "state", extra_env={
        "NUAGE_NETWORK_DATAPATH": "true", "NUAGE_NETWORK_PREFIX": prefix})
    try:
        yield node.start(timeout=240)
    finally:
        node.stop()
        LinuxNetworkFabric(node.state_dir / "network", prefix=prefix).teardown()


def _network(api: Api, name: str, cidr: str) -> dict[str, Any]:
    net = api.neutron("POST", "networks", {"network": {"name": name}}, 201)["network"]
    api.neutron("POST", "subnets", {"subnet": {"network_id": net["id"], "cidr": cidr,
                                               "ip_version": 4}}, 201)
    return dict(net)


def test_a_port_hot_plugged_into_a_running_guest_gets_dhcp_and_answers(
        live: LiveNuage, prefix: str) -> None:
    fabric = LinuxNetworkFabric(live.state_dir / "network", prefix=prefix)
    api = Api(live)
    first = _network(api, "iface-a", "10.61.0.0/24")
    second = _network(api, "iface-b", "10.62.0.0/24")
    project = first["project_id"]
    (group,) = api.neutron("GET", f"security-groups?name=default&project_id={project}"
                           )["security_groups"]
    api.neutron("POST", "security-group-rules", {"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "icmp",
        "ethertype": "IPv4"}}, 201)
    (image,) = api.call("GET", "image/v2/images?name=nuage-guest")["images"]
    sid = api.nova("POST", "servers", {"server": {
        "name": "iface-vm", "imageRef": image["id"], "flavorRef": "1",
        "networks": [{"uuid": first["id"]}]}}, 202)["server"]["id"]

    def console() -> str:
        return str(api.nova("POST", f"servers/{sid}/action",
                            {"os-getConsoleOutput": {}})["output"])

    def status() -> str:
        return str(api.nova("GET", f"servers/{sid}")["server"]["status"])

    wait("the server ACTIVE", lambda: status() in ("ACTIVE", "ERROR"), BOOT_TIMEOUT)
    assert status() == "ACTIVE", api.nova("GET", f"servers/{sid}")
    # The boot is over (nic-watch runs from then on).
    wait("the guest ready", lambda: "nuage-guest: ready" in console(), BOOT_TIMEOUT, console)

    att = api.nova("POST", f"servers/{sid}/os-interface",
                   {"interfaceAttachment": {"net_id": second["id"]}})["interfaceAttachment"]
    address = att["fixed_ips"][0]["ip_address"]
    assert address.startswith("10.62.0.")
    wait("the port ACTIVE", lambda: api.nova(
        "GET", f"servers/{sid}/os-interface/{att['port_id']}")["interfaceAttachment"][
        "port_state"] == "ACTIVE", 120)
    line = f"nuage-guest: network eth1 {address}/24"
    wait("the guest's DHCP lease on its new NIC", lambda: line in console(), BOOT_TIMEOUT,
         console)
    peer = fabric.names.dhcp_ns(second["id"])
    wait(f"ping {address} from the second network", lambda: pings(peer, address), 60,
         console)
    # The guest's record has it: its next start gives it the NIC too.
    guest = GuestFiles(live.state_dir / "compute" / "guests", sid)
    assert [n.mac for n in guest.read_record().nics][-1] == att["mac_addr"]

    # Detach: unplugged from the guest, the port gone, the ping stops.
    api.nova("DELETE", f"servers/{sid}/os-interface/{att['port_id']}", expect=202)
    wait("the guest released its NIC", lambda: "nuage-guest: network eth1 removed"
         in console(), 120, console)
    assert api.neutron("GET", f"ports?device_id={sid}")["ports"][0]["network_id"] == \
        first["id"]
    assert len(api.neutron("GET", f"ports?device_id={sid}")["ports"]) == 1
    wait("the ping stopped", lambda: not pings(peer, address), 60)
    assert len(guest.read_record().nics) == 1

    api.nova("DELETE", f"servers/{sid}", expect=204)
    wait("the server gone", lambda: not api.neutron("GET", f"ports?device_id={sid}")["ports"],
         120)
