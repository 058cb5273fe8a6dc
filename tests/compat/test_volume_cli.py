"""Cinder v3 through the real `openstack` CLI and openstacksdk against a live nuage: the
control plane's side: discovery, create, list, show, set, types, quotas, and Cinder's
errors as the CLI shows them. (The data path and the refusals of bad requests are in
test_volume_new_user_cli.py, test_volume_sdk.py and tests/system/test_volume_bad_input.py.)"""

from __future__ import annotations

from typing import Any

import openstack.connection
import pytest

from tests.compat.conftest import Tenant, cli_json, run_cli, unique, user_env
from tests.support.live import LiveNuage
from tests.support.live_network import wait

pytestmark = pytest.mark.compat


def test_cli_volume_records(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("vol")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    name = unique("data")
    made = cli_json(env, "volume", "create", "--size", "1", "--property", "k=v", name)
    assert (made["name"], made["size"], made["status"]) == (name, 1, "creating")
    assert made["type"] == "__DEFAULT__"
    listed = cli_json(env, "volume", "list")
    assert [v["ID"] for v in listed] == [made["id"]]
    renamed = unique("renamed")
    run_cli(env, "volume", "set", "--name", renamed, "--property", "a=b", made["id"])
    shown = cli_json(env, "volume", "show", renamed)
    assert shown["id"] == made["id"]
    assert shown["properties"] == {"k": "v", "a": "b"}
    types = cli_json(env, "volume", "type", "list")
    assert "__DEFAULT__" in {ty["Name"] for ty in types}
    # The volume agent makes it (it may already have), then it goes with the CLI.
    wait("the volume available",
         lambda: cli_json(env, "volume", "show", made["id"])["status"] == "available", 120)
    run_cli(env, "volume", "delete", made["id"])
    wait("the volume deleted",
         lambda: made["id"] not in {v["ID"] for v in cli_json(env, "volume", "list")}, 120)
    # A missing volume is a 404 the CLI reports by name.
    missing = run_cli(env, "volume", "show", "no-such-volume", check=False)
    assert missing.returncode != 0 and "no-such-volume" in missing.stderr


def test_sdk_block_storage(admin_conn: openstack.connection.Connection) -> None:
    bs = admin_conn.block_storage
    name = unique("sdk")
    volume = bs.create_volume(size=1, name=name)
    try:
        assert bs.get_volume(volume.id).name == name
        assert name in {v.name for v in bs.volumes(details=True)}
        assert any(t.name == "__DEFAULT__" for t in bs.types())
        limits = bs.get_limits()
        assert limits.absolute.max_total_volumes >= 1
    finally:
        bs.reset_volume_status(volume.id, "available", "detached", None)
        bs.delete_volume(volume.id)
