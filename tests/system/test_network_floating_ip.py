"""Routers and floating IPs end to end on this machine: a real `nuage up` with the network
datapath, everything made through the API as a user would (network, subnet, a router
with the seeded external network "public" as its gateway, the subnet on it, ICMP and SSH
allowed in, a key pair, a server of the default guest image). A client namespace plugged
into the fabric's external bridge (never the root namespace) plays the outside world:
it pings the server's floating IP and logs in over ssh with the key; the router and the
floating IP are ACTIVE as the datapath shows them; the guest reads its floating IP as
`public-ipv4` from the metadata service; the ICMP rule's removal stops the ping; once
disassociated the floating IP is DOWN and its translation gone; the guest's own
user-data reaches the client through the router's SNAT (the client has no route to the
tenant network: a reply proves the NAT);
deleting everything leaves nothing of the router in the fabric's inventory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net.kernel import namespaces
from tests.support.live_network import (
    BOOT_TIMEOUT,
    CLIENT,
    Api,
    LiveNetworkNuage,
    host_key_line,
    live_network,
    outside,
    ssh,
    ssh_key,
    wait,
)
from tests.support.netns import needs_root_net, pings
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.slow, needs_root_net, needs_qemu]

USER_DATA = f"""#!/bin/sh
for i in $(seq 1 60); do
  if ping -c 1 -W 1 {CLIENT} >/dev/null 2>&1; then echo "NUAGE-SNAT-REACHED {CLIENT}"; exit 0; fi
  sleep 1
done
echo "NUAGE-SNAT-FAILED"
"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNetworkNuage]:
    with live_network(tmp_path / "state") as node:
        yield node


def test_a_floating_ip_reaches_the_server_and_snat_reaches_out(
        live: LiveNetworkNuage, tmp_path: Path) -> None:
    fabric = live.fabric
    api = Api(live)
    public = api.public()
    assert public["name"] == "public"
    client = outside(live)
    key = ssh_key(tmp_path, "nuage-fip")

    net, subnet, router = api.routed_network("fip-net")
    group = api.default_group(router["project_id"])
    icmp = api.allow(group["id"], "icmp")
    api.allow(group["id"], "tcp", 22)
    api.keypair("fip-key", key)
    sid = api.boot("fip-vm", net["id"], key_name="fip-key", user_data=USER_DATA)
    api.wait_active(sid)
    port = api.port_of(sid)
    fixed = port["fixed_ips"][0]["ip_address"]

    def console() -> str:
        return api.console(sid)

    # The router's namespace is on the host (gateway leg, the subnet's leg), and the agent
    # says so.
    wait("the router in the datapath", lambda: router["id"] in fabric.inventory().routers)
    wait("the router ACTIVE", lambda: api.neutron("GET", f"routers/{router['id']}")
         ["router"]["status"] == "ACTIVE")

    # SNAT: the guest's user-data reaches the client, which has no route back to
    # 10.0.0.0/24: only the router's external address can have answered.
    wait("the guest's user-data reached the client", lambda: "NUAGE-SNAT-" in console(),
         BOOT_TIMEOUT, console)
    assert f"NUAGE-SNAT-REACHED {CLIENT}" in console(), console()

    fip = api.neutron("POST", "floatingips", {"floatingip": {
        "floating_network_id": public["id"], "port_id": port["id"]}}, 201)["floatingip"]
    address = fip["floating_ip_address"]
    assert (fip["fixed_ip_address"], fip["router_id"]) == (fixed, router["id"])
    # Nova shows it after the fixed address on the network.
    shown = api.server(sid)["addresses"]["fip-net"]
    assert [(a["addr"], a["OS-EXT-IPS:type"]) for a in shown] == [
        (fixed, "fixed"), (address, "floating")]

    wait(f"ping {address} from the outside", lambda: pings(client, address), 60, console)
    # ACTIVE from the datapath: its translation is in the router's NAT table.
    assert address in fabric.inventory().floating_ips
    wait("the floating IP ACTIVE", lambda: api.neutron("GET", f"floatingips/{fip['id']}")
         ["floatingip"]["status"] == "ACTIVE")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(host_key_line(console(), address))
    login = ssh(client, key, known_hosts, address, "echo ok")
    assert (login.returncode, login.stdout) == (0, "ok\n"), login.stderr
    # The guest learns its floating IP from the metadata service (through its router).
    asked = ssh(client, key, known_hosts, address,
                "wget -q -O - http://169.254.169.254/latest/meta-data/public-ipv4")
    assert (asked.returncode, asked.stdout) == (0, address), asked.stderr

    # The ICMP rule goes: the ping stops (the agent is woken by the change).
    api.neutron("DELETE", f"security-group-rules/{icmp['id']}", expect=204)
    wait("the ping stopped", lambda: not pings(client, address), 60)
    assert not pings(client, address, count=2)

    # Disassociated: DOWN, its translation gone from the router.
    api.neutron("PUT", f"floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
    wait("the floating IP's translation gone",
         lambda: address not in fabric.inventory().floating_ips)
    assert api.neutron("GET", f"floatingips/{fip['id']}")["floatingip"]["status"] == "DOWN"
    asked = ssh(client, key, known_hosts, address, "true", timeout=30)
    assert asked.returncode != 0

    # Everything goes: nothing of the router is left on the host.
    api.neutron("DELETE", f"floatingips/{fip['id']}", expect=204)
    api.nova("DELETE", f"servers/{sid}", expect=204)
    wait("the server gone", lambda: not api.neutron("GET", f"ports?device_id={sid}")["ports"],
         120)
    api.neutron("PUT", f"routers/{router['id']}/remove_router_interface",
                {"subnet_id": subnet["id"]})
    api.neutron("DELETE", f"routers/{router['id']}", expect=204)
    api.neutron("DELETE", f"networks/{net['id']}", expect=204)
    wait("nothing of the router left", lambda: fabric.inventory().routers == frozenset()
         and net["id"] not in fabric.inventory().networks)
    assert f"{live.prefix}-r-{router['id']}" not in namespaces()
