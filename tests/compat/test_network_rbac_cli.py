"""Network RBAC through the real `openstack network rbac` commands against a live nuage: a
tenant shares its network with another project, which then sees it and attaches a port
(the grant cannot go while that port needs it), then makes it an external network for
that project, whose router takes its gateway there."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.conftest import Tenant, cli_json, run_cli, unique, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_cli_network_rbac_lifecycle(live_nuage: LiveNuage, tenant_factory: Any,
                                    admin_env: dict[str, str]) -> None:
    owner: Tenant = tenant_factory("rbac-own")
    other: Tenant = tenant_factory("rbac-tgt")
    env = user_env(live_nuage, owner.username, owner.password, owner.project_name)
    other_env = user_env(live_nuage, other.username, other.password, other.project_name)
    name = unique("shared-net")
    net = cli_json(env, "network", "create", name)
    cli_json(env, "subnet", "create", "--network", name, "--subnet-range", "10.40.0.0/24",
             unique("sub"))
    hidden = run_cli(other_env, "network", "show", net["id"], check=False)
    assert hidden.returncode != 0

    made = cli_json(env, "network", "rbac", "create", "--type", "network", "--action",
                    "access_as_shared", "--target-project", other.project_id, name)
    assert (made["object_type"], made["object_id"], made["action"],
            made["target_project_id"], made["project_id"]) == (
        "network", net["id"], "access_as_shared", other.project_id, owner.project_id)
    listed = cli_json(env, "network", "rbac", "list", "--long")
    assert [(p["ID"], p["Object Type"], p["Object ID"], p["Action"]) for p in listed] == [
        (made["id"], "network", net["id"], "access_as_shared")]
    by_target = cli_json(env, "network", "rbac", "list", "--target-project", other.project_id)
    assert [p["ID"] for p in by_target] == [made["id"]]
    assert cli_json(env, "network", "rbac", "list", "--target-project", owner.project_id) == []
    assert cli_json(env, "network", "rbac", "show", made["id"])["target_project_id"] == (
        other.project_id)

    # The target project sees and uses the network; the policy is not its own to see.
    seen = cli_json(other_env, "network", "show", net["id"])
    assert (seen["id"], seen["shared"]) == (net["id"], True)
    port = cli_json(other_env, "port", "create", "--network", net["id"], unique("port"))
    assert port["project_id"] == other.project_id
    assert cli_json(other_env, "network", "rbac", "list") == []

    # Moving the grant away from the project is refused while its port needs it.
    moved = run_cli(env, "network", "rbac", "set", "--target-project", owner.project_id,
                    made["id"], check=False)
    assert moved.returncode != 0
    assert "cannot be removed because other objects depend on it" in moved.stderr
    # Its port holds the grant: Neutron's RbacPolicyInUse, then the delete once it is gone.
    busy = run_cli(env, "network", "rbac", "delete", made["id"], check=False)
    assert busy.returncode != 0
    assert "cannot be removed because other objects depend on it" in busy.stderr
    run_cli(other_env, "port", "delete", port["id"])
    run_cli(env, "network", "rbac", "delete", made["id"])
    assert run_cli(other_env, "network", "show", net["id"], check=False).returncode != 0
    assert cli_json(env, "network", "rbac", "list") == []

    # Every project is the cloud's to grant: refused to the tenant, done by the admin.
    everyone = run_cli(env, "network", "rbac", "create", "--type", "network", "--action",
                       "access_as_shared", "--target-all-projects", name, check=False)
    assert everyone.returncode != 0
    assert "disallowed by policy" in everyone.stderr
    wildcard = cli_json(admin_env, "network", "rbac", "create", "--type", "network",
                        "--action", "access_as_shared", "--target-all-projects", net["id"])
    assert wildcard["target_project_id"] == "*"
    assert cli_json(env, "network", "show", name)["shared"] is True
    run_cli(admin_env, "network", "rbac", "delete", wildcard["id"])
    assert cli_json(env, "network", "show", name)["shared"] is False

    # access_as_external: the network becomes an external network for the other project,
    # which lists it among the external ones and puts its router's gateway on it.
    external = cli_json(env, "network", "rbac", "create", "--type", "network", "--action",
                        "access_as_external", "--target-project", other.project_id, name)
    assert external["action"] == "access_as_external"
    assert net["id"] in [n["ID"] for n in cli_json(other_env, "network", "list",
                                                   "--external")]
    router = cli_json(other_env, "router", "create", "--external-gateway", net["id"],
                      unique("router"))
    assert router["external_gateway_info"]["network_id"] == net["id"]
    run_cli(other_env, "router", "delete", router["id"])
    run_cli(env, "network", "rbac", "delete", external["id"])
    assert cli_json(env, "network", "show", name)["router:external"] is False
    run_cli(env, "network", "delete", name)
