"""A server's security groups through the real `openstack` CLI against a live nuage (the
datapath off: the calls need no running guest): `server create --security-group`, `server
show`, `server add security group` / `server remove security group`, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.conftest import Tenant, cli_json, run_cli, unique, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def _groups(shown: dict[str, Any]) -> list[str]:
    # The CLI prints `security_groups` as "name='web'" lines (or a list of dicts with -f json).
    raw = shown.get("security_groups") or []
    if isinstance(raw, str):
        return sorted(part.split("=", 1)[1].strip("'") for part in raw.split("\n") if part)
    return sorted(g["name"] for g in raw)


def _port_groups(env: dict[str, str], server_id: str) -> list[str]:
    [port] = cli_json(env, "port", "list", "--device-id", server_id)
    shown = cli_json(env, "port", "show", port["ID"])
    return sorted(shown["security_group_ids"])


def test_cli_server_security_groups(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("srvsg")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    net = unique("net")
    cli_json(env, "network", "create", net)
    cli_json(env, "subnet", "create", "--network", net, "--subnet-range", "10.20.0.0/24",
             unique("sub"))
    web = cli_json(env, "security", "group", "create", unique("web"))
    default = next(g for g in cli_json(env, "security", "group", "list")
                   if g["Name"] == "default")
    flavors = cli_json(env, "flavor", "list")
    smallest = min(flavors, key=lambda f: (f["RAM"], f["VCPUs"]))["Name"]

    name = unique("vm")
    made = cli_json(env, "server", "create", "--image", "nuage-guest", "--flavor", smallest,
                    "--network", net, "--security-group", web["name"], name)
    sid = made["id"]
    assert _port_groups(env, sid) == [web["id"]]
    assert _groups(cli_json(env, "server", "show", sid)) == [web["name"]]

    run_cli(env, "server", "add", "security", "group", name, "default")
    assert _port_groups(env, sid) == sorted([web["id"], default["ID"]])
    assert _groups(cli_json(env, "server", "show", name)) == sorted(["default", web["name"]])
    run_cli(env, "server", "remove", "security", "group", name, web["id"])
    assert _port_groups(env, sid) == [default["ID"]]
    assert _groups(cli_json(env, "server", "show", name)) == ["default"]

    # Refusals come back as the CLI reports Nova's.
    again = run_cli(env, "server", "remove", "security", "group", name, web["name"],
                    check=False)
    assert again.returncode != 0 and "not associated with the instance" in again.stderr
    unknown = run_cli(env, "server", "add", "security", "group", name, "no-such-group",
                      check=False)
    assert unknown.returncode != 0 and "not found for project" in unknown.stderr
    bad = run_cli(env, "server", "create", "--image", "nuage-guest", "--flavor", smallest,
                  "--network", net, "--security-group", "no-such-group", unique("vm"),
                  check=False)
    assert bad.returncode != 0
    run_cli(env, "server", "delete", "--wait", sid)
    assert cli_json(env, "port", "list", "--device-id", sid) == []
