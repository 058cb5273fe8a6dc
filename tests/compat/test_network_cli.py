"""Neutron v2.0 through the real `openstack` CLI against a live nuage: networks, subnets,
ports, and Neutron's errors for the bad cases, as a tenant sees them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.conftest import Tenant, cli_json, run_cli, unique, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_cli_network_subnet_port_lifecycle(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("net")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    name = unique("private")
    net = cli_json(env, "network", "create", "--description", "first", name)
    assert (net["name"], net["status"], net["project_id"]) == (name, "ACTIVE", t.project_id)
    assert net["mtu"] == 1450
    # --internal: the cloud's external network ("public", seeded) is everyone's to see.
    assert [n["ID"] for n in cli_json(env, "network", "list", "--internal")] == [net["id"]]
    renamed = unique("renamed")
    run_cli(env, "network", "set", "--name", renamed, "--description", "second", name)
    shown = cli_json(env, "network", "show", renamed)
    assert (shown["id"], shown["description"], shown["revision_number"]) == (
        net["id"], "second", 1)

    subnet = cli_json(env, "subnet", "create", "--network", renamed, "--subnet-range",
                      "10.0.0.0/24", "--dns-nameserver", "192.0.2.53", unique("sub"))
    assert (subnet["cidr"], subnet["gateway_ip"], subnet["network_id"]) == (
        "10.0.0.0/24", "10.0.0.1", net["id"])
    assert subnet["allocation_pools"] == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    listed = cli_json(env, "subnet", "list", "--network", renamed)
    assert [(s["ID"], s["Subnet"]) for s in listed] == [(subnet["id"], "10.0.0.0/24")]

    port_name = unique("port")
    port = cli_json(env, "port", "create", "--network", renamed, "--fixed-ip",
                    f"subnet={subnet['id']},ip-address=10.0.0.42", port_name)
    assert port["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.0.0.42"}]
    assert port["mac_address"].startswith("fa:16:3e:")
    ports = cli_json(env, "port", "list")
    assert [p["ID"] for p in ports] == [port["id"]]
    assert cli_json(env, "port", "show", port_name)["id"] == port["id"]

    # A network with a port is in use.
    busy = run_cli(env, "network", "delete", renamed, check=False)
    assert busy.returncode != 0
    assert "There are one or more ports still in use on the network" in busy.stderr

    run_cli(env, "port", "delete", port_name)
    run_cli(env, "subnet", "delete", subnet["id"])
    run_cli(env, "network", "delete", renamed)
    assert cli_json(env, "network", "list", "--internal") == []


def test_cli_gets_neutrons_errors(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("neterr")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    name = unique("net")
    cli_json(env, "network", "create", name)
    subnet = cli_json(env, "subnet", "create", "--network", name, "--subnet-range",
                      "10.1.0.0/24", unique("sub"))
    overlap = run_cli(env, "subnet", "create", "--network", name, "--subnet-range",
                      "10.1.0.0/16", unique("sub"), check=False)
    assert overlap.returncode != 0
    assert "overlaps with another subnet" in overlap.stderr
    assert "400" in overlap.stderr
    outside = run_cli(env, "port", "create", "--network", name, "--fixed-ip",
                      f"subnet={subnet['id']},ip-address=192.0.2.10", unique("port"),
                      check=False)
    assert outside.returncode != 0
    assert "IP address 192.0.2.10 is not a valid IP for the specified subnet" in outside.stderr
    missing = run_cli(env, "network", "show", "no-such-network", check=False)
    assert missing.returncode != 0
    assert "No Network found for no-such-network" in missing.stderr
    # Admin-only attributes are refused to a member.
    shared = run_cli(env, "network", "create", "--share", unique("net"), check=False)
    assert shared.returncode != 0
    assert "disallowed by policy" in shared.stderr


def test_cli_admin_provider_networks_tags_and_quotas(live_nuage: LiveNuage, admin_env: Any,
                                                     tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("netadm")
    name = unique("prov")
    net = cli_json(admin_env, "network", "create", "--project", t.project_id,
                   "--provider-network-type", "vxlan", "--provider-segment", "7001",
                   "--tag", "red", name)
    assert (net["provider:network_type"], net["provider:segmentation_id"]) == ("vxlan", 7001)
    assert (net["project_id"], net["tags"]) == (t.project_id, ["red"])
    run_cli(admin_env, "network", "set", "--tag", "blue", net["id"])
    tagged = cli_json(admin_env, "network", "list", "--tags", "blue")
    assert [n["ID"] for n in tagged] == [net["id"]]
    ext = cli_json(admin_env, "network", "create", "--external", "--provider-network-type",
                   "flat", "--provider-physical-network", unique("phys"), unique("ext"))
    assert (ext["router:external"], ext["mtu"]) == (True, 1500)
    # The tenant sees the external network, and its own, never the provider attributes.
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    seen = {n["ID"] for n in cli_json(env, "network", "list")}
    assert {net["id"], ext["id"]} <= seen
    shown = cli_json(env, "network", "show", net["id"])
    assert shown["provider:segmentation_id"] is None      # hidden: the CLI shows null

    run_cli(admin_env, "quota", "set", "--networks", "3", "--ports", "7", t.project_id)
    quota = {row["Resource"]: row["Limit"]
             for row in cli_json(admin_env, "quota", "show", "--network", t.project_id)}
    assert (quota["networks"], quota["subnets"], quota["ports"]) == (3, 100, 7)
    aliases = {e["Alias"] for e in cli_json(admin_env, "extension", "list", "--network")}
    assert {"provider", "external-net", "quotas", "standard-attr-tag"} <= aliases
    run_cli(admin_env, "network", "delete", net["id"], ext["id"])
