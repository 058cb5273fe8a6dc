"""A crash with guests running, and drift made by hand while nuage is down: one live
`nuage up` with the datapath, a network on a router to `public`, two servers that ping each
other, a floating IP on one of them pinged from an external client. `nuage up` is killed
(SIGKILL: no clean-up of any kind); the guests keep running; the tenant network's bridge
and the security group's ICMP rule are deleted with `ip` and `nft`; nuage starts again on
the same state directory. Reconciliation puts the bridge (with every port on it) and the
rule back, the same QEMU processes carry on, the guests reach each other and the floating
IP answers again, and no process, chain or namespace is left twice or stale. Deleting
everything through the API then leaves nothing of it in the datapath."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.linux_net.kernel import namespaces
from tests.support.live_network import (
    Api,
    LiveNetworkNuage,
    alive,
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


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNetworkNuage]:
    with live_network(tmp_path / "state") as node:
        yield node


def ip(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *argv], capture_output=True, text=True, check=False)


def nft(ns: str, *argv: str) -> str:
    return subprocess.run(["ip", "netns", "exec", ns, "nft", *argv], capture_output=True,
                          text=True, check=True).stdout


def bridge_members(live: LiveNetworkNuage, bridge: str) -> set[str]:
    shown = ip("-n", live.fabric.guest_netns(), "-o", "link", "show", "master", bridge)
    return {line.split(":")[1].strip().split("@")[0] for line in shown.stdout.splitlines()}


def icmp_rules(live: LiveNetworkNuage, group_id: str) -> list[str]:
    """The ICMP accept lines of the group's ingress chain, with their handles."""
    chain = nft(live.fabric.guest_netns(), "-a", "list", "chain", "inet", "nuage",
                f"sg-{group_id}-in")
    return [line.strip() for line in chain.splitlines()
            if "l4proto icmp" in line and "accept" in line]


def chains(live: LiveNetworkNuage) -> set[str]:
    ruleset = json.loads(nft(live.fabric.guest_netns(), "-j", "list", "ruleset"))["nftables"]
    return {o["chain"]["name"] for o in ruleset if "chain" in o}


LONG_LIVED = ("qemu-system", "dnsmasq", "metadata_proxy")


def processes(live: LiveNetworkNuage) -> dict[str, list[str]]:
    """The long-lived processes in the cloud's namespaces (QEMU, dnsmasq, metadata
    proxies; not a passing `nft` of the agent's), by namespace: their command lines,
    sorted (duplicates stay visible)."""
    out: dict[str, list[str]] = {}
    for ns in namespaces():
        if not ns.startswith(live.prefix + "-") or ns.startswith(f"{live.prefix}-g-"):
            continue
        lines = []
        for pid in ip("netns", "pids", ns).stdout.split():
            try:
                raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            line = raw.replace(b"\0", b" ").decode(errors="replace").strip()
            if any(word in line for word in LONG_LIVED):
                lines.append(line)
        out[ns] = sorted(lines)
    return out


def ours(live: LiveNetworkNuage) -> list[str]:
    """Command lines of every process on the host naming the cloud's state directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        if str(live.state_dir) in cmdline and "nuage up" not in cmdline:
            found.append(cmdline)
    return found


def test_a_crash_with_drift_is_repaired_and_the_guests_talk_again(
        live: LiveNetworkNuage, tmp_path: Path) -> None:
    api = Api(live)
    fabric = live.fabric
    client = outside(live)
    key = ssh_key(tmp_path, "nuage-restart")

    net, subnet, router = api.routed_network("restart-net")
    group = api.default_group(router["project_id"])
    api.allow(group["id"], "icmp")
    api.allow(group["id"], "tcp", 22)
    api.keypair("restart-key", key)
    a = api.boot("restart-a", net["id"], key_name="restart-key")
    b = api.boot("restart-b", net["id"])
    api.wait_active(a)
    api.wait_active(b)
    port_a, port_b = api.port_of(a), api.port_of(b)
    address_b = port_b["fixed_ips"][0]["ip_address"]
    fip = api.neutron("POST", "floatingips", {"floatingip": {
        "floating_network_id": api.public()["id"], "port_id": port_a["id"]}},
        201)["floatingip"]
    address = fip["floating_ip_address"]

    # Before: the floating IP answers, A reaches B, and A knows its floating IP.
    wait(f"ping {address} from the outside", lambda: pings(client, address), 120,
         lambda: api.console(a))
    wait("A's ssh server", lambda: "ssh server on port 22, host key" in api.console(a), 120)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(host_key_line(api.console(a), address))

    def a_pings_b() -> bool:
        return ssh(client, key, known_hosts, address,
                   f"ping -c 1 -W 2 {address_b}").returncode == 0

    wait("A pings B", a_pings_b, 120, lambda: api.console(b))
    wait("the floating IP ACTIVE", lambda: api.neutron(
        "GET", f"floatingips/{fip['id']}")["floatingip"]["status"] == "ACTIVE")
    assert api.neutron("GET", f"routers/{router['id']}")["router"]["status"] == "ACTIVE"

    segment = api.neutron("GET", f"networks/{net['id']}")["network"][
        "provider:segmentation_id"]
    bridge = f"nb{segment}"
    plugged = bridge_members(live, bridge)
    assert {fabric.tap_name(port_a["id"]), fabric.tap_name(port_b["id"])} <= plugged
    assert len(plugged) == 4                 # the two TAPs, the DHCP leg, the router leg
    (icmp_before,) = icmp_rules(live, group["id"])
    held = fabric.inventory()
    pids = {a: live.qemu_pid(a), b: live.qemu_pid(b)}
    running = processes(live)

    # The crash. The guests keep running (QEMU is not in nuage's process group).
    live.kill()
    assert all(alive(pid) for pid in pids.values()), "guests must outlive nuage"
    # Drift by hand: the tenant network's bridge, and the group's ICMP accept.
    assert ip("-n", fabric.guest_netns(), "link", "del", bridge).returncode == 0
    handle = icmp_before.rsplit("# handle ", 1)[1]
    nft(fabric.guest_netns(), "delete", "rule", "inet", "nuage", f"sg-{group['id']}-in",
        "handle", handle)
    assert icmp_rules(live, group["id"]) == []
    assert net["id"] not in fabric.inventory().networks
    assert not pings(client, address, count=2)

    # The restart on the same state directory: everything comes back.
    live.start(timeout=240)
    wait("the bridge back with every port on it",
         lambda: bridge_members(live, bridge) == plugged, 120)
    wait("the ICMP rule back", lambda: len(icmp_rules(live, group["id"])) == 1, 60)
    assert fabric.inventory() == held
    assert api.server(a)["status"] == "ACTIVE" and api.server(b)["status"] == "ACTIVE"
    assert {a: live.qemu_pid(a), b: live.qemu_pid(b)} == pids
    assert all(alive(pid) for pid in pids.values())
    wait(f"ping {address} from the outside again", lambda: pings(client, address), 120)
    wait("A pings B again", a_pings_b, 120)
    asked = ssh(client, key, known_hosts, address,
                "wget -q -O - http://169.254.169.254/latest/meta-data/public-ipv4")
    assert (asked.returncode, asked.stdout) == (0, address), asked.stderr
    # Nothing twice, nothing stale: the same processes in the same namespaces, the port
    # chains of the two ports only, statuses as before.
    assert processes(live) == running
    port_chains = {c for c in chains(live) if c.startswith("p-")}
    assert {c.split("-", 1)[1].rsplit("-", 1)[0] for c in port_chains} == {
        port_a["id"], port_b["id"]}
    assert api.neutron("GET", f"floatingips/{fip['id']}")["floatingip"]["status"] == "ACTIVE"
    assert api.neutron("GET", f"routers/{router['id']}")["router"]["status"] == "ACTIVE"
    assert {api.neutron("GET", f"ports/{p['id']}")["port"]["status"]
            for p in (port_a, port_b)} == {"ACTIVE"}

    # Everything deleted through the API: nothing of it remains in the datapath.
    api.neutron("DELETE", f"floatingips/{fip['id']}", expect=204)
    for sid in (a, b):
        api.nova("DELETE", f"servers/{sid}", expect=204)
    wait("the servers' ports gone", lambda: not any(
        api.neutron("GET", f"ports?device_id={sid}")["ports"] for sid in (a, b)), 180)
    api.neutron("PUT", f"routers/{router['id']}/remove_router_interface",
                {"subnet_id": subnet["id"]})
    api.neutron("DELETE", f"routers/{router['id']}", expect=204)
    api.neutron("DELETE", f"networks/{net['id']}", expect=204)

    def empty() -> bool:
        now = fabric.inventory()
        return (now.networks, now.dhcp, now.ports, now.routers, now.floating_ips,
                now.security_groups) == (frozenset(),) * 6

    wait("an empty datapath", empty, 120, lambda: repr(fabric.inventory()))
    wait("the guests stopped", lambda: not any(alive(pid) for pid in pids.values()), 120)
    left: dict[str, Any] = {
        "namespaces": sorted(n for n in namespaces() if n.startswith(live.prefix + "-")),
        "bridge": ip("-n", fabric.guest_netns(), "link", "show", bridge).returncode == 0,
        "chains": sorted(c for c in chains(live) if c.startswith(("p-", "sg-"))),
        "processes": ours(live),
    }
    assert left == {"namespaces": sorted([fabric.guest_netns(), client]), "bridge": False,
                    "chains": [], "processes": []}
