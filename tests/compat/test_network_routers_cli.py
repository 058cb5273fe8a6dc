"""Routers and floating IPs through the real `openstack` CLI against a live nuage: a
tenant's router on the seeded external network, an interface on its subnet, a floating IP
bound to and unbound from its port, and Neutron's errors as the CLI shows them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.conftest import Tenant, cli_json, run_cli, unique, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_cli_router_and_floating_ip_lifecycle(live_nuage: LiveNuage,
                                              tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("rtr")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    public = cli_json(env, "network", "show", "public")
    assert public["router:external"] is True

    net = unique("private")
    cli_json(env, "network", "create", net)
    subnet = cli_json(env, "subnet", "create", "--network", net, "--subnet-range",
                      "10.0.0.0/24", unique("sub"))
    port = cli_json(env, "port", "create", "--network", net, unique("port"))
    fixed = port["fixed_ips"][0]["ip_address"]

    name = unique("router")
    router = cli_json(env, "router", "create", name)
    assert (router["name"], router["project_id"], router["status"]) == (name, t.project_id,
                                                                        "ACTIVE")
    run_cli(env, "router", "set", "--external-gateway", "public", name)
    shown = cli_json(env, "router", "show", name)
    gateway = shown["external_gateway_info"]
    assert (gateway["network_id"], gateway["enable_snat"]) == (public["id"], True)
    assert gateway["external_fixed_ips"][0]["ip_address"].startswith("203.0.113.")
    run_cli(env, "router", "add", "subnet", name, subnet["id"])
    interfaces = cli_json(env, "port", "list", "--router", name)
    assert [p["Fixed IP Addresses"][0]["ip_address"] for p in interfaces] == ["10.0.0.1"]

    # Without a path from the port to "public" the CLI gets Neutron's 404; with one, binds.
    fip = cli_json(env, "floating", "ip", "create", "public")
    assert (fip["status"], fip["port_id"]) == ("DOWN", None)
    address = fip["floating_ip_address"]
    assert address.startswith("203.0.113.")
    run_cli(env, "floating", "ip", "set", "--port", port["id"], address)
    bound = cli_json(env, "floating", "ip", "show", address)
    assert (bound["port_id"], bound["fixed_ip_address"], bound["router_id"],
            bound["status"]) == (port["id"], fixed, router["id"], "ACTIVE")
    listed = cli_json(env, "floating", "ip", "list", "--port", port["id"])
    assert [f["Floating IP Address"] for f in listed] == [address]

    # Neutron's refusals, in its words.
    busy = run_cli(env, "router", "delete", name, check=False)
    assert busy.returncode != 0 and "still has ports" in busy.stderr
    needed = run_cli(env, "router", "remove", "subnet", name, subnet["id"], check=False)
    assert needed.returncode != 0
    assert "required by one or more floating IPs" in needed.stderr

    run_cli(env, "floating", "ip", "unset", "--port", address)
    assert cli_json(env, "floating", "ip", "show", address)["port_id"] is None
    run_cli(env, "router", "remove", "subnet", name, subnet["id"])
    assert cli_json(env, "port", "list", "--router", name) == []
    run_cli(env, "floating", "ip", "delete", address)
    run_cli(env, "router", "unset", "--external-gateway", name)
    run_cli(env, "router", "delete", name)
    assert cli_json(env, "router", "list") == []
    assert cli_json(env, "floating", "ip", "list") == []
    run_cli(env, "port", "delete", port["id"])
    run_cli(env, "subnet", "delete", subnet["id"])
    run_cli(env, "network", "delete", net)


def test_cli_router_errors(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("rtrerr")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    net = unique("private")
    cli_json(env, "network", "create", net)
    cli_json(env, "subnet", "create", "--network", net, "--subnet-range", "10.0.0.0/24",
             unique("sub"))
    port = cli_json(env, "port", "create", "--network", net, unique("port"))
    internal = run_cli(env, "router", "create", "--external-gateway", net, unique("r"),
                       check=False)
    assert internal.returncode != 0 and "is not an external network" in internal.stderr
    no_path = run_cli(env, "floating", "ip", "create", "--port", port["id"], "public",
                      check=False)
    assert no_path.returncode != 0 and "is not reachable from subnet" in no_path.stderr
    not_external = run_cli(env, "floating", "ip", "create", net, check=False)
    assert not_external.returncode != 0
    assert "is not a valid external network" in not_external.stderr
