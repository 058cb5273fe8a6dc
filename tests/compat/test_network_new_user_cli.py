"""Issue 10's new user, with the plain `openstack` CLI after `nuage up` (the admin's
clouds.yaml that `nuage up` writes, nothing else): a network, a subnet, a router with the
external gateway `public` and the subnet on it; two servers on the network, which get
their addresses by DHCP (their consoles say so) and ping each other (the second's console
says so); ICMP and TCP 22 opened in the default security group and a floating IP added:
from a client namespace on the external network the floating IP answers pings and `ssh`
logs in with the key pair; the ICMP rule removed, the ping stops. Then everything is
deleted with the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import cli_json, run_cli
from tests.support.live_network import (
    BOOT_TIMEOUT,
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

pytestmark = [pytest.mark.compat, pytest.mark.slow, needs_root_net, needs_qemu]

PEER_PING = """#!/bin/sh
for i in $(seq 1 90); do
  if ping -c 1 -W 1 {peer} >/dev/null 2>&1; then echo "NUAGE-PEER-REACHED {peer}"; exit 0; fi
  sleep 1
done
echo "NUAGE-PEER-FAILED"
"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNetworkNuage]:
    with live_network(tmp_path / "state") as node:
        yield node


def fixed_address(server: dict[str, Any], network: str) -> str:
    """The server's fixed address on `network`, from `server show`'s `addresses` (a dict
    from the CLI's JSON output: network name -> addresses)."""
    addresses = server["addresses"]
    assert isinstance(addresses, dict), addresses
    (address,) = [a for a in addresses[network] if "." in a]
    return str(address)


def test_a_new_user_builds_a_reachable_network_with_the_cli(
        live: LiveNetworkNuage, tmp_path: Path) -> None:
    env = live.client_env()

    def cli(*args: str) -> Any:
        return cli_json(env, *args)

    client = outside(live)
    key = ssh_key(tmp_path, "nuage-new-user")
    cli("network", "create", "demo-net")
    cli("subnet", "create", "--network", "demo-net", "--subnet-range", "10.42.0.0/24",
        "demo-subnet")
    cli("router", "create", "demo-router")
    run_cli(env, "router", "set", "--external-gateway", "public", "demo-router")
    run_cli(env, "router", "add", "subnet", "demo-router", "demo-subnet")
    cli("keypair", "create", "--public-key", str(key.with_suffix(".pub")), "demo-key")
    project = cli("token", "issue")["project_id"]
    group = next(g["ID"] for g in cli("security", "group", "list", "--project", project)
                 if g["Name"] == "default")
    flavor = min(cli("flavor", "list"), key=lambda f: (f["RAM"], f["Disk"]))["ID"]

    first = cli("server", "create", "--image", "nuage-guest", "--flavor", flavor,
                "--network", "demo-net", "--key-name", "demo-key", "--wait", "demo-1")
    peer = fixed_address(cli("server", "show", first["id"]), "demo-net")
    user_data = tmp_path / "peer-ping.sh"
    user_data.write_text(PEER_PING.format(peer=peer))
    second = cli("server", "create", "--image", "nuage-guest", "--flavor", flavor,
                 "--network", "demo-net", "--key-name", "demo-key", "--user-data",
                 str(user_data), "--wait", "demo-2")
    other = fixed_address(cli("server", "show", second["id"]), "demo-net")

    def console(server_id: str) -> str:
        return str(run_cli(env, "console", "log", "show", server_id).stdout)

    # Both configured their NIC by DHCP (the console line of the guest's DHCP client),
    # and the second reached the first (members of one default group admit each other).
    for sid, address in ((first["id"], peer), (second["id"], other)):
        # At boot ("<address>/24") or, for a lease that came later, on its own line.
        line = re.compile(rf"^nuage-guest: network eth0 {re.escape(address)}(/24)?\s*$", re.M)

        def configured(sid: str = sid, line: re.Pattern[str] = line) -> bool:
            return line.search(console(sid)) is not None
        wait(f"{address} by DHCP", configured, BOOT_TIMEOUT)
    wait("the peer ping", lambda: "NUAGE-PEER-" in console(second["id"]), BOOT_TIMEOUT,
         lambda: console(second["id"]))
    assert f"NUAGE-PEER-REACHED {peer}" in console(second["id"])

    # Open ICMP and SSH, add a floating IP: the outside reaches the first server.
    icmp = cli("security", "group", "rule", "create", "--protocol", "icmp", group)
    cli("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", group)
    fip = cli("floating", "ip", "create", "public")["floating_ip_address"]
    run_cli(env, "server", "add", "floating", "ip", first["id"], fip)
    wait(f"ping {fip} from outside", lambda: pings(client, fip), 90)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(host_key_line(console(first["id"]), fip))
    login = ssh(client, key, known_hosts, fip, "hostname")
    assert (login.returncode, login.stdout.strip()) == (0, "demo-1"), login.stderr

    # The ICMP rule goes: the ping stops.
    run_cli(env, "security", "group", "rule", "delete", icmp["id"])
    wait("the ping stopped", lambda: not pings(client, fip), 60)
    assert not pings(client, fip, count=2)

    # And everything goes, with the CLI.
    run_cli(env, "server", "remove", "floating", "ip", first["id"], fip)
    run_cli(env, "floating", "ip", "delete", fip)
    run_cli(env, "server", "delete", "--wait", first["id"], second["id"])
    run_cli(env, "router", "remove", "subnet", "demo-router", "demo-subnet")
    run_cli(env, "router", "delete", "demo-router")
    run_cli(env, "network", "delete", "demo-net")
    assert [n["Name"] for n in cli("network", "list")] == ["public"]
    wait("nothing of it left on the host",
         lambda: live.fabric.inventory().routers == frozenset()
         and live.fabric.inventory().networks <= {cli("network", "show", "public")["id"]})
