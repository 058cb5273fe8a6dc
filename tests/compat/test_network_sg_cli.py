"""Security groups through the real `openstack` CLI and openstacksdk against a live nuage:
groups and rules as a tenant manages them, groups on ports, and Neutron's errors."""

from __future__ import annotations

from typing import Any

import openstack.exceptions
import pytest

from tests.compat.conftest import Tenant, cli_json, connect, run_cli, unique, user_env
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_cli_security_groups_rules_and_ports(live_nuage: LiveNuage,
                                             tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("sgcli")
    env = user_env(live_nuage, t.username, t.password, t.project_name)
    listed = cli_json(env, "security", "group", "list")
    assert [g["Name"] for g in listed] == ["default"]          # made on the first list
    default_id = listed[0]["ID"]

    name = unique("web")
    web = cli_json(env, "security", "group", "create", "--description", "front", name)
    assert (web["name"], web["description"], web["project_id"], web["stateful"]) == (
        name, "front", t.project_id, True)
    assert {(r["direction"], r["ethertype"]) for r in web["rules"]} == {
        ("egress", "IPv4"), ("egress", "IPv6")}
    ssh = cli_json(env, "security", "group", "rule", "create", "--protocol", "tcp",
                   "--dst-port", "22", name)
    assert (ssh["protocol"], ssh["port_range_min"], ssh["port_range_max"],
            ssh["remote_ip_prefix"], ssh["direction"]) == ("tcp", 22, 22, "0.0.0.0/0",
                                                           "ingress")
    ping = cli_json(env, "security", "group", "rule", "create", "--protocol", "icmp",
                    "--icmp-type", "8", "--icmp-code", "0", name)
    assert (ping["protocol"], ping["port_range_min"], ping["port_range_max"]) == (
        "icmp", 8, 0)
    peers = cli_json(env, "security", "group", "rule", "create", "--protocol", "udp",
                     "--dst-port", "5000:5010", "--remote-group", "default", name)
    assert (peers["remote_group_id"], peers["port_range_min"], peers["port_range_max"]) == (
        default_id, 5000, 5010)
    dup = run_cli(env, "security", "group", "rule", "create", "--protocol", "tcp",
                  "--dst-port", "22", name, check=False)
    assert dup.returncode != 0 and "Security group rule already exists" in dup.stderr
    bad = run_cli(env, "security", "group", "rule", "create", "--protocol", "gre",
                  "--dst-port", "10", name, check=False)
    assert bad.returncode != 0
    assert "Invalid protocol 47 for port range, only supported for" in bad.stderr
    rules = cli_json(env, "security", "group", "rule", "list", name)
    assert {r["ID"] for r in rules} >= {ssh["id"], ping["id"], peers["id"]}
    assert len(rules) == 5
    run_cli(env, "security", "group", "rule", "delete", ping["id"])
    assert len(cli_json(env, "security", "group", "rule", "list", name)) == 4

    renamed = unique("web2")
    run_cli(env, "security", "group", "set", "--name", renamed, "--description", "back", name)
    shown = cli_json(env, "security", "group", "show", renamed)
    assert (shown["id"], shown["description"]) == (web["id"], "back")
    keep = run_cli(env, "security", "group", "set", "--name", "other", "default", check=False)
    assert keep.returncode != 0
    assert "Updating default security group not allowed" in keep.stderr

    net = unique("net")
    cli_json(env, "network", "create", net)
    cli_json(env, "subnet", "create", "--network", net, "--subnet-range", "10.9.0.0/24",
             unique("sub"))
    port = cli_json(env, "port", "create", "--network", net, "--security-group", renamed,
                    unique("port"))
    assert port["security_group_ids"] == [web["id"]]
    plain = cli_json(env, "port", "create", "--network", net, unique("port"))
    assert plain["security_group_ids"] == [default_id]
    busy = run_cli(env, "security", "group", "delete", renamed, check=False)
    assert busy.returncode != 0 and "in use" in busy.stderr
    run_cli(env, "port", "set", "--no-security-group", port["id"])
    assert cli_json(env, "port", "show", port["id"])["security_group_ids"] == []
    run_cli(env, "security", "group", "delete", renamed)
    assert [g["Name"] for g in cli_json(env, "security", "group", "list")] == ["default"]
    missing = run_cli(env, "security", "group", "show", renamed, check=False)
    assert missing.returncode != 0
    run_cli(env, "port", "delete", port["id"], plain["id"])
    run_cli(env, "network", "delete", net)


def test_sdk_security_groups(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("sgsdk")
    conn = connect(live_nuage, t.username, t.password, t.project_name)
    try:
        group = conn.network.create_security_group(name=unique("sdk"), description="d")
        assert group.project_id == t.project_id and len(group.security_group_rules) == 2
        rule = conn.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", ethertype="IPv6",
            protocol="tcp", port_range_min=443, port_range_max=443,
            remote_ip_prefix="2001:db8::/32")
        assert (rule.protocol, rule.port_range_min, rule.remote_ip_prefix) == (
            "tcp", 443, "2001:db8::/32")
        found = conn.network.find_security_group(group.name)
        assert found is not None and found.id == group.id
        names = {g.name for g in conn.network.security_groups()}
        assert names == {"default", group.name}
        listed = [r.id for r in conn.network.security_group_rules(security_group_id=group.id)]
        assert rule.id in listed and len(listed) == 3
        with pytest.raises(openstack.exceptions.ConflictException):
            conn.network.create_security_group_rule(
                security_group_id=group.id, direction="ingress", ethertype="IPv6",
                protocol="tcp", port_range_min=443, port_range_max=443,
                remote_ip_prefix="2001:db8::/32")
        with pytest.raises(openstack.exceptions.BadRequestException):
            conn.network.create_security_group_rule(
                security_group_id=group.id, direction="ingress", protocol="icmp",
                port_range_max=3)
        updated = conn.network.update_security_group(group, name=unique("sdk2"))
        assert updated.revision_number >= 1
        conn.network.delete_security_group_rule(rule)
        conn.network.delete_security_group(group)
        with pytest.raises(openstack.exceptions.NotFoundException):
            conn.network.get_security_group(group.id)
    finally:
        conn.close()
