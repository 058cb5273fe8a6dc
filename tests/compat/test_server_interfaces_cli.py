"""A server's interfaces after its create through the real `openstack` CLI against a
live nuage (the datapath off: the ports stay DOWN and the guest gets no NIC, but every
call the CLI makes is answered): `server add port`, `server add network`, `server
remove port`, `server remove network` (which lists os-interface, then deletes), and a
refusal as the CLI reports it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.conftest import Tenant, cli_json, run_cli, unique, user_env
from tests.compat.test_servers_cli import wait_status
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_cli_server_add_and_remove_ports_and_networks(live_nuage: LiveNuage,
                                                      tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("srviface")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    net = unique("net")
    made_net = cli_json(env, "network", "create", net)
    cli_json(env, "subnet", "create", "--network", net, "--subnet-range", "10.30.0.0/24",
             unique("sub"))
    name = unique("vm")
    sid = cli_json(env, "server", "create", "--image", "nuage-guest", "--flavor", "1",
                   "--nic", "none", name)["id"]
    wait_status(env, sid, "ACTIVE")

    port = cli_json(env, "port", "create", "--network", net, unique("port"))
    run_cli(env, "server", "add", "port", name, port["id"])
    # A refusal as the CLI reports it (the API tests have the others): the port in use.
    in_use = run_cli(env, "server", "add", "port", name, port["id"], check=False)
    assert in_use.returncode != 0 and "still in use" in in_use.stderr
    run_cli(env, "server", "add", "network", name, net)
    ports = cli_json(env, "port", "list", "--device-id", sid)
    assert len(ports) == 2 and port["id"] in [p["ID"] for p in ports]

    # The user's port is unbound and kept; the network's port (compute's) goes.
    run_cli(env, "server", "remove", "port", name, port["id"])
    kept = cli_json(env, "port", "show", port["id"])
    assert (kept["device_id"], kept["device_owner"]) == ("", "")
    run_cli(env, "server", "remove", "network", name, made_net["id"])
    assert cli_json(env, "port", "list", "--device-id", sid) == []
    run_cli(env, "server", "delete", "--wait", sid)


def test_cli_server_add_and_remove_fixed_ip(live_nuage: LiveNuage,
                                            tenant_factory: Any) -> None:
    """`server add fixed ip` attaches an interface with that address (os-interface);
    `server remove fixed ip` is the removeFixedIp action, which 2.44 removed: the CLI
    sends its newest microversion (404, as from Nova) unless told 2.43."""
    t: Tenant = tenant_factory("srvfixed")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    net = unique("net")
    cli_json(env, "network", "create", net)
    cli_json(env, "subnet", "create", "--network", net, "--subnet-range", "10.32.0.0/24",
             unique("sub"))
    name = unique("vm")
    sid = cli_json(env, "server", "create", "--image", "nuage-guest", "--flavor", "1",
                   "--nic", "none", name)["id"]
    wait_status(env, sid, "ACTIVE")
    run_cli(env, "server", "add", "fixed", "ip", "--fixed-ip-address", "10.32.0.50", name,
            net)
    [port] = cli_json(env, "port", "list", "--device-id", sid)
    assert "10.32.0.50" in str(port["Fixed IP Addresses"])
    too_new = run_cli(env, "server", "remove", "fixed", "ip", name, "10.32.0.50",
                      check=False)
    assert too_new.returncode != 0 and "404" in too_new.stderr
    run_cli(env, "--os-compute-api-version", "2.43", "server", "remove", "fixed", "ip", name,
            "10.32.0.50")
    [port] = cli_json(env, "port", "list", "--device-id", sid)
    assert "10.32.0.50" not in str(port["Fixed IP Addresses"])
    run_cli(env, "server", "delete", "--wait", sid)
