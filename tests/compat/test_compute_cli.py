"""Flavors, keypairs, limits, quotas, zones and hypervisors through the real `openstack` CLI
and openstacksdk against a live nuage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openstack.connection
import openstack.exceptions
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.compat.conftest import Tenant, cli_json, connect, run_cli, unique, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode() + " compat\n"


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["Name"]: row for row in rows}


def test_seeded_flavors(admin_env: dict[str, str]) -> None:
    rows = by_name(cli_json(admin_env, "flavor", "list"))
    assert {"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"} <= set(rows)
    tiny = rows["m1.tiny"]
    assert (tiny["ID"], tiny["RAM"], tiny["Disk"], tiny["VCPUs"], tiny["Ephemeral"],
            tiny["Is Public"]) == ("1", 256, 1, 1, 0, True)
    shown = cli_json(admin_env, "flavor", "show", "m1.small")
    assert (shown["id"], shown["ram"], shown["vcpus"]) == ("2", 512, 1)


def test_flavor_lifecycle(admin_env: dict[str, str], tenant_factory: Any,
                          live_nuage: LiveNuage) -> None:
    name = unique("flv")
    created = cli_json(admin_env, "flavor", "create", "--ram", "128", "--vcpus", "2",
                       "--disk", "3", "--ephemeral", "1", "--swap", "64", "--private", name)
    assert (created["name"], created["ram"], created["vcpus"], created["disk"]) == (
        name, 128, 2, 3)
    assert created["os-flavor-access:is_public"] is False
    fid = created["id"]
    assert len(fid) == 36

    run_cli(admin_env, "flavor", "set", "--property", "hw:cpu_policy=dedicated",
            "--property", "quota:x=1", name)
    shown = cli_json(admin_env, "flavor", "show", name)
    assert shown["id"] == fid
    assert shown["properties"] == {"hw:cpu_policy": "dedicated", "quota:x": "1"}
    run_cli(admin_env, "flavor", "unset", "--property", "quota:x", name)
    assert cli_json(admin_env, "flavor", "show", fid)["properties"] == {
        "hw:cpu_policy": "dedicated"}

    # Private: absent from the default list, present with --all; a project given access
    # sees it, another does not.
    assert name not in by_name(cli_json(admin_env, "flavor", "list"))
    assert name in by_name(cli_json(admin_env, "flavor", "list", "--all"))
    tenant: Tenant = tenant_factory("flv")
    outsider: Tenant = tenant_factory("flv-out")
    run_cli(admin_env, "flavor", "set", "--project", tenant.project_id, name)
    env = user_env(live_nuage, tenant.username, tenant.password, tenant.project_name)
    out_env = user_env(live_nuage, outsider.username, outsider.password,
                       outsider.project_name)
    assert name in by_name(cli_json(env, "flavor", "list", "--all"))
    assert name not in by_name(cli_json(out_env, "flavor", "list", "--all"))
    denied = run_cli(env, "flavor", "delete", name, check=False)
    assert denied.returncode != 0

    run_cli(admin_env, "flavor", "delete", name)
    missing = run_cli(admin_env, "flavor", "show", name, check=False)
    assert missing.returncode != 0


def test_keypairs(live_nuage: LiveNuage, tenant_factory: Any, tmp_path: Path) -> None:
    tenant: Tenant = tenant_factory("kp")
    env = user_env(live_nuage, tenant.username, tenant.password, tenant.project_name)
    pub = public_key()
    key_file = tmp_path / "key.pub"
    key_file.write_text(pub)
    imported = cli_json(env, "keypair", "create", "--public-key", str(key_file), "imported")
    assert imported["name"] == "imported" and imported["fingerprint"]

    # Without --public-key the CLI makes the pair itself and prints the private key.
    generated = run_cli(env, "keypair", "create", "generated")
    assert "PRIVATE KEY" in generated.stdout

    rows = by_name(cli_json(env, "keypair", "list"))
    assert set(rows) == {"imported", "generated"}
    shown = cli_json(env, "keypair", "show", "imported")
    assert shown["fingerprint"] == imported["fingerprint"]
    assert shown["user_id"] == tenant.user_id
    public = run_cli(env, "keypair", "show", "--public-key", "imported")
    assert public.stdout.strip() == pub.strip()

    dup = run_cli(env, "keypair", "create", "--public-key", str(key_file), "imported",
                  check=False)
    assert dup.returncode != 0
    run_cli(env, "keypair", "delete", "imported", "generated")
    assert cli_json(env, "keypair", "list") == []


def test_limits_quota_zones_hypervisors(admin_env: dict[str, str], live_nuage: LiveNuage,
                                        tenant_factory: Any) -> None:
    tenant: Tenant = tenant_factory("lim")
    env = user_env(live_nuage, tenant.username, tenant.password, tenant.project_name)
    limits = {row["Name"]: row["Value"]
              for row in cli_json(env, "limits", "show", "--absolute")}
    # The CLI shows the SDK's names for Nova's absolute limits.
    assert limits["instances"] == 10 and limits["total_cores"] == 20
    assert limits["instances_used"] == 0 and limits["total_cores_used"] == 0

    run_cli(admin_env, "quota", "set", "--cores", "7", "--key-pairs", "3",
            tenant.project_id)
    quota = cli_json(admin_env, "quota", "show", "--compute", tenant.project_id)
    values = ({row["Resource"]: row["Limit"] for row in quota} if isinstance(quota, list)
              else quota)
    assert values["cores"] == 7 and values["key-pairs"] == 3
    limits = {row["Name"]: row["Value"]
              for row in cli_json(env, "limits", "show", "--absolute")}
    assert limits["total_cores"] == 7

    # The control plane's own zone at least; "nova" once an agent registers its host.
    zones = cli_json(admin_env, "availability", "zone", "list", "--compute")
    assert "internal" in {z["Zone Name"] for z in zones}
    assert all(z["Zone Status"] == "available" for z in zones)
    assert isinstance(cli_json(env, "availability", "zone", "list", "--compute"), list)
    hypervisors = cli_json(admin_env, "hypervisor", "list")
    assert isinstance(hypervisors, list)  # empty until an agent registers its host


def test_sdk(admin_conn: openstack.connection.Connection, live_nuage: LiveNuage,
             tenant_factory: Any) -> None:
    compute = admin_conn.compute
    assert {"m1.tiny", "m1.small"} <= {f.name for f in compute.flavors()}
    tiny = compute.find_flavor("m1.tiny", ignore_missing=False)
    assert (tiny.id, tiny.ram, tiny.vcpus, tiny.disk) == ("1", 256, 1, 1)
    flavor = compute.create_flavor(name=unique("sdk-flv"), ram=64, vcpus=1, disk=1,
                                   is_public=True)
    try:
        assert compute.get_flavor(flavor.id).name == flavor.name
        compute.create_flavor_extra_specs(flavor, {"a": "b"})
        assert compute.fetch_flavor_extra_specs(flavor).extra_specs == {"a": "b"}
    finally:
        compute.delete_flavor(flavor)
    assert compute.find_flavor(flavor.name) is None

    tenant: Tenant = tenant_factory("sdk")
    conn = connect(live_nuage, tenant.username, tenant.password, tenant.project_name)
    try:
        key = conn.compute.create_keypair(name="sdk-key", public_key=public_key())
        assert key.fingerprint
        assert [k.name for k in conn.compute.keypairs()] == ["sdk-key"]
        assert conn.compute.get_keypair("sdk-key").public_key == key.public_key
        with pytest.raises(openstack.exceptions.ConflictException):
            conn.compute.create_keypair(name="sdk-key", public_key=public_key())
        conn.compute.delete_keypair("sdk-key")
        assert list(conn.compute.keypairs()) == []
        with pytest.raises(openstack.exceptions.ResourceNotFound):
            conn.compute.get_keypair("sdk-key")

        limits = conn.compute.get_limits()
        assert limits.absolute.instances == 10
        assert limits.absolute.instances_used == 0
        with pytest.raises(openstack.exceptions.ForbiddenException):
            conn.compute.create_flavor(name=unique("nope"), ram=64, vcpus=1, disk=1)
    finally:
        conn.close()
    quota = compute.get_quota_set(tenant.project_id)
    assert quota.instances == 10
    assert list(compute.availability_zones()) is not None
    assert isinstance(list(compute.hypervisors(details=True)), list)


def test_server_create_nic_none_and_auto(admin_env: dict[str, str]) -> None:
    """`--nic none` and `--nic auto` (microversion 2.37, which the CLI negotiates): both
    are taken. This cloud has no default external network datapath and no auto-allocation
    prefix (tests/support/live.py), so `auto` with no network gives a guest without a NIC
    too; auto-allocation itself is tested in test_auto_allocation_live.py."""
    made = []
    for nic in ("none", "auto"):
        name = unique(f"nic-{nic}")
        server = cli_json(admin_env, "server", "create", "--image", "nuage-guest",
                          "--flavor", "m1.tiny", "--nic", nic, name)
        assert server["status"] in ("BUILD", "ACTIVE"), server
        made.append(name)
    shown = cli_json(admin_env, "--os-compute-api-version", "2.100", "server", "show",
                     made[0])
    assert shown["status"] != "ERROR", shown
    run_cli(admin_env, "server", "delete", "--wait", *made)
