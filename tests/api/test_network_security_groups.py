"""Security groups and rules on the Neutron wire: the default group and its rules exactly
as Neutron makes them, shapes, Neutron's exception names and words, groups on ports,
quotas, filters and paging, and isolation between projects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_api
from tests.api.network_support import Neutron, neutron_error

GROUP_KEYS = {"id", "name", "description", "project_id", "tenant_id", "stateful",
              "security_group_rules", "tags", "created_at", "updated_at", "revision_number"}
RULE_KEYS = {"id", "project_id", "tenant_id", "security_group_id", "direction", "ethertype",
             "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
             "remote_group_id", "remote_address_group_id", "normalized_cidr", "description",
             "created_at", "updated_at", "revision_number"}


@pytest.fixture
def member(api: Api) -> Neutron:
    project = api.project()
    return Neutron(api, api.member_of(project["id"])[1])


def _rule(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["direction"], r["ethertype"], r["protocol"], r["port_range_min"],
            r["port_range_max"], r["remote_ip_prefix"], r["remote_group_id"])


def _made(r: Any, resource: str) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return dict(r.json()[resource])


def _group(n: Neutron, **attrs: Any) -> dict[str, Any]:
    return _made(n.post("/security-groups", {"security_group": attrs}), "security_group")


def _add_rule(n: Neutron, group_id: str, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("direction", "ingress")
    return _made(n.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": group_id, **attrs}}), "security_group_rule")


def test_the_default_group_is_made_on_first_list_with_neutrons_rules(member: Neutron
                                                                     ) -> None:
    r = member.get("/security-groups")
    assert r.status_code == 200
    (default,) = r.json()["security_groups"]
    assert set(default) == GROUP_KEYS
    assert (default["name"], default["description"], default["stateful"],
            default["revision_number"], default["tags"]) == (
        "default", "Default security group", True, 0, [])
    assert default["project_id"] == default["tenant_id"]
    rules = default["security_group_rules"]
    assert all(set(x) == RULE_KEYS for x in rules)
    assert sorted(_rule(x) for x in rules) == sorted([
        ("egress", "IPv4", None, None, None, None, None),
        ("egress", "IPv6", None, None, None, None, None),
        ("ingress", "IPv4", None, None, None, None, default["id"]),
        ("ingress", "IPv6", None, None, None, None, default["id"]),
    ])
    assert all(x["project_id"] == default["project_id"] and x["description"] == ""
               and x["security_group_id"] == default["id"]
               and x["remote_address_group_id"] is None and x["normalized_cidr"] is None
               for x in rules)
    # Listing again makes no second one.
    again = member.get("/security-groups").json()["security_groups"]
    assert [g["id"] for g in again] == [default["id"]]
    assert member.get(f"/security-groups/{default['id']}").json()["security_group"] == default


def test_group_lifecycle_and_neutrons_errors(member: Neutron) -> None:
    web = _group(member, name="web", description="front", tags=["a"])
    assert set(web) == GROUP_KEYS
    assert sorted(_rule(x) for x in web["security_group_rules"]) == [
        ("egress", "IPv4", None, None, None, None, None),
        ("egress", "IPv6", None, None, None, None, None)]
    r = member.put(f"/security-groups/{web['id']}", {"security_group": {
        "name": "web2", "description": "changed"}})
    assert r.status_code == 200
    changed = r.json()["security_group"]
    assert (changed["name"], changed["description"], changed["revision_number"]) == (
        "web2", "changed", 1)
    message = neutron_error(member.post("/security-groups", {"security_group": {
        "name": "default"}}), 409, "SecurityGroupDefaultAlreadyExists")
    assert message == "Default security group already exists."
    neutron_error(member.put(f"/security-groups/{web['id']}", {"security_group": {
        "name": "default"}}), 409, "SecurityGroupDefaultAlreadyExists")
    (default,) = member.get("/security-groups", name="default").json()["security_groups"]
    message = neutron_error(member.put(f"/security-groups/{default['id']}", {
        "security_group": {"name": "mine"}}), 409, "SecurityGroupCannotUpdateDefault")
    assert message == "Updating default security group not allowed."
    neutron_error(member.delete(f"/security-groups/{default['id']}"), 409,
                  "SecurityGroupCannotRemoveDefault")
    neutron_error(member.put(f"/security-groups/{web['id']}", {"security_group": {
        "id": "x"}}), 400, "HTTPBadRequest")
    neutron_error(member.post("/security-groups", {"security_group": {
        "name": "x" * 256}}), 400, "HTTPBadRequest")
    assert member.delete(f"/security-groups/{web['id']}").status_code == 204
    message = neutron_error(member.get(f"/security-groups/{web['id']}"), 404,
                            "SecurityGroupNotFound")
    assert message == f"Security group {web['id']} does not exist"
    neutron_error(member.delete(f"/security-groups/{web['id']}"), 404,
                  "SecurityGroupNotFound")


def test_rules_on_the_wire(member: Neutron) -> None:
    group = _group(member, name="g")
    ssh = _add_rule(member, group["id"], protocol="tcp", port_range_min=22,
                    port_range_max=22, remote_ip_prefix="192.0.2.7")
    assert set(ssh) == RULE_KEYS
    assert _rule(ssh) == ("ingress", "IPv4", "tcp", 22, 22, "192.0.2.7/32", None)
    assert ssh["normalized_cidr"] == "192.0.2.7/32"
    ping = _add_rule(member, group["id"], protocol="icmp", port_range_min=8,
                     port_range_max=0, ethertype="IPv4")
    assert _rule(ping)[2:5] == ("icmp", 8, 0)
    v6 = _add_rule(member, group["id"], protocol=58, ethertype="IPv6",
                   remote_ip_prefix="2001:db8::1/64")
    assert (v6["protocol"], v6["remote_ip_prefix"], v6["normalized_cidr"]) == (
        "58", "2001:db8::1/64", "2001:db8::/64")
    from_self = _add_rule(member, group["id"], remote_group_id=group["id"], protocol="udp")
    assert from_self["remote_group_id"] == group["id"]
    shown = member.get(f"/security-groups/{group['id']}").json()["security_group"]
    assert shown["revision_number"] == 4
    assert {x["id"] for x in shown["security_group_rules"]} >= {ssh["id"], ping["id"]}
    assert member.get(f"/security-group-rules/{ssh['id']}").json()[
        "security_group_rule"] == ssh
    listed = member.get("/security-group-rules", security_group_id=group["id"],
                        protocol="tcp").json()["security_group_rules"]
    assert [x["id"] for x in listed] == [ssh["id"]]
    fields = member.get("/security-group-rules", security_group_id=group["id"],
                        fields="id").json()["security_group_rules"]
    assert all(set(x) == {"id"} for x in fields) and len(fields) == 6
    message = neutron_error(member.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "6",
        "port_range_min": "22", "port_range_max": 22, "remote_ip_prefix": "192.0.2.7/32"}}),
        409, "SecurityGroupRuleExists")
    assert message == f"Security group rule already exists. Rule id is {ssh['id']}."
    neutron_error(member.put(f"/security-group-rules/{ssh['id']}", {
        "security_group_rule": {"description": "x"}}), 405, "HTTPMethodNotAllowed")
    assert member.delete(f"/security-group-rules/{ssh['id']}").status_code == 204
    message = neutron_error(member.get(f"/security-group-rules/{ssh['id']}"), 404,
                            "SecurityGroupRuleNotFound")
    assert message == f"Security group rule {ssh['id']} does not exist"
    # Bulk: all or none.
    r = member.post("/security-group-rules", {"security_group_rules": [
        {"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
         "port_range_min": 80, "port_range_max": 80},
        {"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
         "port_range_min": 80, "port_range_max": 80}]})
    neutron_error(r, 409, "SecurityGroupRuleExists")
    assert member.get("/security-group-rules", port_range_min="80").json()[
        "security_group_rules"] == []


@pytest.mark.parametrize(("attrs", "kind", "words"), [
    ({"direction": "up"}, "InvalidInput",
     "Invalid input for direction. Reason: 'up' is not in ['ingress', 'egress']."),
    ({"ethertype": "bad"}, "SecurityGroupRuleInvalidEtherType",
     "Security group rule for ethertype 'bad' not supported."),
    ({"protocol": "bad_protocol"}, "SecurityGroupRuleInvalidProtocol",
     "Security group rule protocol bad_protocol not supported."),
    ({"protocol": "tcp", "port_range_min": -16, "port_range_max": 80},
     "SecurityGroupInvalidPortValue", "Invalid value for port -16"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 79},
     "SecurityGroupInvalidPortRange", "port_range_min must be <= port_range_max"),
    ({"protocol": "tcp", "port_range_max": 6},
     "SecurityGroupInvalidPortRange", "port_range_min must be <= port_range_max"),
    ({"protocol": "icmp", "port_range_min": 1, "port_range_max": 256},
     "SecurityGroupInvalidIcmpValue", "Invalid value for ICMP code"),
    ({"protocol": "icmp", "port_range_min": 300, "port_range_max": 1},
     "SecurityGroupInvalidIcmpValue", "Invalid value for ICMP type"),
    ({"protocol": "icmp", "port_range_max": 6},
     "SecurityGroupMissingIcmpType", "ICMP type (port-range-min) is missing"),
    ({"port_range_min": 22, "port_range_max": 22},
     "SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol"),
    ({"protocol": "gre", "port_range_min": 1, "port_range_max": 1},
     "SecurityGroupInvalidProtocolForPort", "Invalid protocol 47 for port range"),
    ({"protocol": "icmpv6"}, "SecurityGroupEthertypeConflictWithProtocol",
     "Invalid ethertype IPv4 for protocol icmpv6."),
    ({"remote_ip_prefix": "Bad Prefix"}, "InvalidInput",
     "Invalid input for remote_ip_prefix."),
    ({"remote_ip_prefix": "2001:db8::/64"}, "SecurityGroupRuleParameterConflict",
     "Conflicting value ethertype IPv4 for CIDR 2001:db8::/64"),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "SELF"},
     "SecurityGroupRemoteGroupAndRemoteIpPrefix",
     "Only remote_ip_prefix or remote_group_id may be provided."),
])
def test_rules_neutron_refuses(member: Neutron, attrs: dict[str, Any], kind: str,
                               words: str) -> None:
    group = _group(member, name="g")
    body = {"security_group_id": group["id"], "direction": "ingress", **attrs}
    if body.get("remote_group_id") == "SELF":
        body["remote_group_id"] = group["id"]
    message = neutron_error(member.post("/security-group-rules",
                                        {"security_group_rule": body}), 400, kind)
    assert words in message


def test_missing_groups_are_404(member: Neutron) -> None:
    group = _group(member, name="g")
    missing = "11111111-2222-3333-4444-555555555555"
    neutron_error(member.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": missing, "direction": "ingress"}}), 404,
        "SecurityGroupNotFound")
    neutron_error(member.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress",
        "remote_group_id": missing}}), 404, "SecurityGroupNotFound")
    neutron_error(member.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": group["id"]}}), 400, "HTTPBadRequest")


def test_groups_on_ports(member: Neutron) -> None:
    net = member.network()
    member.subnet(net["id"], "10.0.0.0/24")
    web = _group(member, name="web")
    db = _group(member, name="db")
    port = member.make("port", network_id=net["id"], security_groups=[web["id"]])
    assert port["security_groups"] == [web["id"]]
    r = member.put(f"/ports/{port['id']}", {"port": {"security_groups": [web["id"],
                                                                        db["id"]]}})
    assert r.json()["port"]["security_groups"] == [web["id"], db["id"]]
    found = member.get("/ports", security_groups=db["id"]).json()["ports"]
    assert [p["id"] for p in found] == [port["id"]]
    message = neutron_error(member.delete(f"/security-groups/{db['id']}"), 409,
                            "SecurityGroupInUse")
    assert message == f"Security Group {db['id']} in use."
    message = neutron_error(member.put(f"/ports/{port['id']}", {"port": {
        "port_security_enabled": False}}), 409, "PortSecurityPortHasSecurityGroup")
    assert message.startswith("Port has security group associated.")
    # What `openstack port set --no-security-group --disable-port-security` sends.
    r = member.put(f"/ports/{port['id']}", {"port": {"security_groups": [],
                                                     "port_security_enabled": False}})
    assert r.status_code == 200 and r.json()["port"]["security_groups"] == []
    assert member.delete(f"/security-groups/{db['id']}").status_code == 204
    neutron_error(member.post("/ports", {"port": {
        "network_id": net["id"], "port_security_enabled": False,
        "security_groups": [web["id"]]}}), 400, "PortSecurityAndIPRequiredForSecurityGroups")
    neutron_error(member.post("/ports", {"port": {
        "network_id": net["id"], "security_groups": ["not-a-uuid"]}}), 400, "HTTPBadRequest")
    none = member.make("port", network_id=net["id"], security_groups=[])
    assert none["security_groups"] == []


def test_two_projects_are_isolated(api: Api) -> None:
    a, b = api.project(), api.project()
    alice = Neutron(api, api.member_of(a["id"])[1])
    bob = Neutron(api, api.member_of(b["id"])[1])
    a_group = _group(alice, name="shared-name")
    b_group = _group(bob, name="shared-name")
    a_rule = a_group["security_group_rules"][0]
    seen = {g["id"] for g in alice.get("/security-groups").json()["security_groups"]}
    assert a_group["id"] in seen and b_group["id"] not in seen
    assert all(g["project_id"] == a["id"]
               for g in alice.get("/security-groups").json()["security_groups"])
    assert all(x["project_id"] == b["id"] for x in bob.get(
        "/security-group-rules").json()["security_group_rules"])
    neutron_error(bob.get(f"/security-groups/{a_group['id']}"), 404, "SecurityGroupNotFound")
    neutron_error(bob.put(f"/security-groups/{a_group['id']}", {"security_group": {
        "name": "x"}}), 404, "SecurityGroupNotFound")
    neutron_error(bob.delete(f"/security-groups/{a_group['id']}"), 404,
                  "SecurityGroupNotFound")
    neutron_error(bob.get(f"/security-group-rules/{a_rule['id']}"), 404,
                  "SecurityGroupRuleNotFound")
    neutron_error(bob.delete(f"/security-group-rules/{a_rule['id']}"), 404,
                  "SecurityGroupRuleNotFound")
    neutron_error(bob.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": a_group["id"], "direction": "ingress"}}), 404,
        "SecurityGroupNotFound")
    neutron_error(bob.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": b_group["id"], "direction": "ingress",
        "remote_group_id": a_group["id"]}}), 404, "SecurityGroupNotFound")
    neutron_error(bob.put(f"/security-groups/{a_group['id']}/tags/x"), 404,
                  "SecurityGroupNotFound")
    # A port of Bob's cannot take Alice's group.
    net = bob.network()
    message = neutron_error(bob.post("/ports", {"port": {
        "network_id": net["id"], "security_groups": [a_group["id"]]}}), 404,
        "SecurityGroupNotFound")
    assert a_group["id"] in message
    # Each project has its own default group.
    a_default = alice.get("/security-groups", name="default").json()["security_groups"]
    b_default = bob.get("/security-groups", name="default").json()["security_groups"]
    assert len(a_default) == len(b_default) == 1 and a_default[0]["id"] != b_default[0]["id"]


def test_an_admin_sees_and_makes_for_any_project(api: Api) -> None:
    admin = Neutron(api)
    project = api.project()
    listed = admin.get("/security-groups", project_id=project["id"]).json()[
        "security_groups"]
    assert [(g["name"], g["project_id"]) for g in listed] == [("default", project["id"])]
    made = _group(admin, name="ops", tenant_id=project["id"])
    assert made["project_id"] == project["id"]
    rule = _add_rule(admin, made["id"], protocol="tcp", port_range_min=1, port_range_max=2)
    assert rule["project_id"] == project["id"]
    # An admin may remove a project's default group (when the project goes).
    assert admin.delete(f"/security-groups/{listed[0]['id']}").status_code == 204


def test_quotas_filters_paging_and_tags(api: Api, member: Neutron) -> None:
    admin = Neutron(api)
    for name in ("c", "a", "b"):
        _group(member, name=name)
    r = member.get("/security-groups", sort_key="name", limit=2)
    page = r.json()
    assert [g["name"] for g in page["security_groups"]] == ["a", "b"]
    assert page["security_groups_links"][0]["rel"] == "next"
    names = member.get("/security-groups", name="c", fields=["id", "name"]).json()
    assert [set(g) for g in names["security_groups"]] == [{"id", "name"}]
    group_id = names["security_groups"][0]["id"]
    assert member.put(f"/security-groups/{group_id}/tags/red").status_code == 201
    tagged = member.get("/security-groups", tags="red").json()["security_groups"]
    assert [g["id"] for g in tagged] == [group_id]
    project_id = tagged[0]["project_id"]
    details = member.get(f"/quotas/{project_id}/details").json()["quota"]
    assert details["security_group"] == {"limit": 10, "used": 4, "reserved": 0}
    assert details["security_group_rule"] == {"limit": 100, "used": 10, "reserved": 0}
    admin.put(f"/quotas/{project_id}", {"quota": {"security_group": 4,
                                                  "security_group_rule": 10}})
    neutron_error(member.post("/security-groups", {"security_group": {"name": "d"}}), 409,
                  "OverQuota")
    message = neutron_error(member.post("/security-group-rules", {"security_group_rule": {
        "security_group_id": group_id, "direction": "ingress"}}), 409, "OverQuota")
    assert message == "Quota exceeded for resources: ['security_group_rule']."


def test_settings_choose_the_security_group_quotas(tmp_path: Path) -> None:
    gen = make_api(tmp_path / "state", network_quota_security_groups=2,
                   network_quota_security_group_rules=7)
    api = next(gen)
    try:
        admin = Neutron(api)
        quota = admin.get(f"/quotas/{api.admin_project_id}/default").json()["quota"]
        assert (quota["security_group"], quota["security_group_rule"]) == (2, 7)
        group = _group(admin, name="one")               # with the default group: 2 of 2
        neutron_error(admin.post("/security-groups", {"security_group": {"name": "x"}}),
                      409, "OverQuota")
        _add_rule(admin, group["id"], protocol="tcp")   # 4 + 2 + 1 = 7 of 7
        neutron_error(admin.post("/security-group-rules", {"security_group_rule": {
            "security_group_id": group["id"], "direction": "ingress", "protocol": "udp"}}),
            409, "OverQuota")
    finally:
        for _ in gen:
            pass
