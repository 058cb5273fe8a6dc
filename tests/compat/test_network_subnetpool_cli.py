"""Subnet pools through the real `openstack` CLI against a live nuage: a project's own pool
(create, list, show, set, delete), subnets carved from it by prefix length, Neutron's
errors, and the cloud's shared default pool used by `--use-default-subnet-pool`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.conftest import Tenant, cli_json, run_cli, unique, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_cli_subnet_pool_lifecycle_and_subnets_from_it(live_nuage: LiveNuage,
                                                       tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("pool")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    name = unique("pool")
    pool = cli_json(env, "subnet", "pool", "create", "--pool-prefix", "10.210.0.0/24",
                    "--default-prefix-length", "26", "--max-prefix-length", "28",
                    "--description", "mine", name)
    assert (pool["name"], pool["ip_version"], pool["default_prefixlen"],
            pool["max_prefixlen"], pool["project_id"], pool["shared"]) == (
        name, 4, 26, 28, t.project_id, False)
    listed = cli_json(env, "subnet", "pool", "list")
    assert [(p["ID"], p["Name"]) for p in listed] == [(pool["id"], name)]
    run_cli(env, "subnet", "pool", "set", "--pool-prefix", "10.210.1.0/24", "--name",
            f"{name}-2", name)
    shown = cli_json(env, "subnet", "pool", "show", f"{name}-2")
    assert (shown["id"], shown["prefixes"], shown["revision_number"]) == (
        pool["id"], ["10.210.0.0/23"], 1)

    net = cli_json(env, "network", "create", unique("net"))
    first = cli_json(env, "subnet", "create", "--network", net["id"], "--subnet-pool",
                     f"{name}-2", "--prefix-length", "27", unique("sub"))
    second = cli_json(env, "subnet", "create", "--network", net["id"], "--subnet-pool",
                      f"{name}-2", unique("sub"))
    assert (first["cidr"], first["subnetpool_id"], second["cidr"]) == (
        "10.210.0.0/27", pool["id"], "10.210.0.64/26")

    too_long = run_cli(env, "subnet", "create", "--network", net["id"], "--subnet-pool",
                       f"{name}-2", "--prefix-length", "30", unique("sub"), check=False)
    assert too_long.returncode != 0
    assert "maximum allowed prefix is 28" in too_long.stderr
    in_use = run_cli(env, "subnet", "pool", "delete", f"{name}-2", check=False)
    assert in_use.returncode != 0
    assert "Subnet pool has existing allocations" in in_use.stderr

    run_cli(env, "subnet", "delete", first["id"], second["id"])
    run_cli(env, "subnet", "pool", "delete", f"{name}-2")
    assert cli_json(env, "subnet", "pool", "list") == []
    run_cli(env, "network", "delete", net["id"])


def test_cli_shared_default_pool(live_nuage: LiveNuage, admin_env: Any,
                                 tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("dpool")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    refused = run_cli(env, "subnet", "pool", "create", "--pool-prefix", "10.220.0.0/22",
                      "--share", unique("pool"), check=False)
    assert refused.returncode != 0
    assert "disallowed by policy" in refused.stderr
    name = unique("default")
    pool = cli_json(admin_env, "subnet", "pool", "create", "--pool-prefix", "10.220.0.0/22",
                    "--default-prefix-length", "26", "--share", "--default", name)
    try:
        assert (pool["shared"], pool["is_default"]) == (True, True)
        seen = cli_json(env, "subnet", "pool", "list", "--default")
        assert [p["ID"] for p in seen] == [pool["id"]]
        net = cli_json(env, "network", "create", unique("net"))
        subnet = cli_json(env, "subnet", "create", "--network", net["id"],
                          "--use-default-subnet-pool", unique("sub"))
        assert (subnet["cidr"], subnet["subnetpool_id"]) == ("10.220.0.0/26", pool["id"])
        run_cli(env, "subnet", "delete", subnet["id"])
        run_cli(env, "network", "delete", net["id"])
    finally:
        run_cli(admin_env, "subnet", "pool", "delete", pool["id"])
