"""os-interface end to end on this machine: a real `nuage up` with the network datapath
and a running server of the default guest image on one network; a port on a second
network (DHCP) is attached through the API: the network agent plugs its TAP, the compute
agent hot-plugs the NIC into the running guest over QMP, the guest asks DHCP on it
(`nuage-guest: network eth1 <address>` on its console) and the second network's DHCP
namespace (a peer there) pings that address. The detach hot-unplugs it: the ping stops,
the port is gone, the guest's record has one NIC again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.qemu.guest_files import GuestFiles
from tests.support.live_network import BOOT_TIMEOUT, Api, LiveNetworkNuage, live_network, wait
from tests.support.netns import needs_root_net, pings
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.slow, needs_root_net, needs_qemu]

@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNetworkNuage]:
    with live_network(tmp_path / "state") as node:
        yield node


def _network(api: Api, name: str, cidr: str) -> dict[str, Any]:
    net = api.neutron("POST", "networks", {"network": {"name": name}}, 201)["network"]
    api.neutron("POST", "subnets", {"subnet": {"network_id": net["id"], "cidr": cidr,
                                               "ip_version": 4}}, 201)
    return dict(net)


def test_a_port_hot_plugged_into_a_running_guest_gets_dhcp_and_answers(
        live: LiveNetworkNuage) -> None:
    fabric = live.fabric
    api = Api(live)
    first = _network(api, "iface-a", "10.61.0.0/24")
    second = _network(api, "iface-b", "10.62.0.0/24")
    project = first["project_id"]
    api.allow(api.default_group(project)["id"], "icmp")
    sid = api.boot("iface-vm", first["id"])

    def console() -> str:
        return api.console(sid)

    api.wait_active(sid)
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
    guest = GuestFiles(live.guests_dir, sid)
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
