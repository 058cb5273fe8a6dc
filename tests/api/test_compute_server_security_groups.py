"""A server's security groups over HTTP, in Nova's words: `security_groups` at create
(names or ids; an unknown one is a 400), the groups in server views, the
addSecurityGroup/removeSecurityGroup actions on the server's ports, GET
/servers/{id}/os-security-groups, and the network quotas in compute's quota views."""

from __future__ import annotations

from typing import Any

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.network_support import Neutron


def _setup(nova: Nova) -> tuple[str, str, Neutron, dict[str, Any]]:
    project, token = nova.member()
    neutron = Neutron(nova.api, token)
    net = neutron.network(name="private")
    neutron.subnet(net["id"], "10.0.0.0/24")
    return project, token, neutron, net


def _group(neutron: Neutron, name: str) -> dict[str, Any]:
    r = neutron.post("/security-groups", {"security_group": {"name": name}})
    assert r.status_code == 201, r.text
    return dict(r.json()["security_group"])


def _port_groups(neutron: Neutron, server_id: str) -> list[list[str]]:
    ports = neutron.get("/ports", device_id=server_id).json()["ports"]
    return [sorted(p["security_groups"]) for p in ports]


def _action(nova: Nova, token: str, sid: str, name: str, group: Any) -> Any:
    return nova.post(f"/servers/{sid}/action", {name: group}, token)


def test_create_with_groups_by_name_or_id(nova: Nova, servers: Servers) -> None:
    _, token, neutron, net = _setup(nova)
    web, db = _group(neutron, "web"), _group(neutron, "db")
    # A name and an id (the CLI sends the id under "name"), one twice.
    made = servers.create(token, networks=[{"uuid": net["id"]}],
                          security_groups=[{"name": "web"}, {"name": db["id"]},
                                           {"name": "web"}])
    # The create's answer echoes the names asked, each once.
    assert made["security_groups"] == [{"name": "web"}, {"name": db["id"]}]
    assert _port_groups(neutron, made["id"]) == [sorted([web["id"], db["id"]])]
    shown = nova.get(f"/servers/{made['id']}", token).json()["server"]
    assert shown["security_groups"] == [{"name": "web"}, {"name": "db"}]
    listed = nova.get("/servers/detail", token).json()["servers"]
    assert listed[0]["security_groups"] == [{"name": "web"}, {"name": "db"}]
    # Without groups: the project's default group, on the port and in the views.
    plain = servers.create(token, networks=[{"uuid": net["id"]}])
    assert plain["security_groups"] == [{"name": "default"}]
    default = neutron.get("/security-groups", name="default").json()["security_groups"]
    assert _port_groups(neutron, plain["id"]) == [[default[0]["id"]]]
    assert nova.get(f"/servers/{plain['id']}", token).json()["server"][
        "security_groups"] == [{"name": "default"}]


def test_a_port_passed_keeps_its_groups(nova: Nova, servers: Servers) -> None:
    _, token, neutron, net = _setup(nova)
    web, db = _group(neutron, "web"), _group(neutron, "db")
    port = neutron.make("port", network_id=net["id"], security_groups=[db["id"]])
    sid = servers.create(token, networks=[{"port": port["id"]}, {"uuid": net["id"]}],
                         security_groups=[{"name": "web"}])["id"]
    ports = {p["id"]: p["security_groups"]
             for p in neutron.get("/ports", device_id=sid).json()["ports"]}
    assert ports.pop(port["id"]) == [db["id"]]
    assert list(ports.values()) == [[web["id"]]]
    shown = nova.get(f"/servers/{sid}", token).json()["server"]["security_groups"]
    assert sorted(g["name"] for g in shown) == ["db", "web"]


def test_unknown_group_at_create_is_a_400(nova: Nova, servers: Servers) -> None:
    _, token, neutron, net = _setup(nova)
    _, other = nova.member()
    theirs = _group(Neutron(nova.api, other), "theirs")
    for name in ("nope", theirs["id"], "theirs"):
        r = nova.post("/servers", {"server": {
            "name": "vm", "imageRef": servers.image_id, "flavorRef": "1",
            "networks": [{"uuid": net["id"]}], "security_groups": [{"name": name}]}}, token)
        assert assert_fault(r, 400, "badRequest") == (
            f"Unable to find security_group with name or id '{name}'")
    # Nothing was stored.
    assert nova.get("/servers", token).json()["servers"] == []
    assert neutron.get("/ports").json()["ports"] == []
    bad = nova.post("/servers", {"server": {
        "name": "vm", "imageRef": servers.image_id, "flavorRef": "1",
        "security_groups": [{"name": "web", "id": "x"}]}}, token)
    assert_fault(bad, 400, "badRequest")


def test_add_and_remove_a_group(nova: Nova, servers: Servers) -> None:
    project, token, neutron, net = _setup(nova)
    web = _group(neutron, "web")
    sid = servers.create(token, networks=[{"uuid": net["id"]}, {"uuid": net["id"]}])["id"]
    default = neutron.get("/security-groups", name="default").json()["security_groups"][0]
    r = _action(nova, token, sid, "addSecurityGroup", {"name": "web"})
    assert (r.status_code, r.content) == (202, b""), r.text
    assert _port_groups(neutron, sid) == [sorted([default["id"], web["id"]])] * 2
    # Twice is harmless (each port has it once).
    assert _action(nova, token, sid, "addSecurityGroup", {"name": web["id"]}
                   ).status_code == 202
    assert _port_groups(neutron, sid) == [sorted([default["id"], web["id"]])] * 2
    listed = nova.get(f"/servers/{sid}/os-security-groups", token)
    assert listed.status_code == 200, listed.text
    groups = {g["name"]: g for g in listed.json()["security_groups"]}
    assert set(groups) == {"default", "web"}
    assert groups["web"] == {"id": web["id"], "name": "web", "description": "",
                             "tenant_id": project, "rules": []}
    # Nova shows only ingress rules: the default group's "from the same group" ones.
    assert [(r["ip_protocol"], r["from_port"], r["to_port"], r["group"], r["ip_range"],
             r["parent_group_id"]) for r in groups["default"]["rules"]] == [
        (None, None, None, {"name": "default", "tenant_id": project}, {},
         default["id"])] * 2
    r = _action(nova, token, sid, "removeSecurityGroup", {"name": "default"})
    assert r.status_code == 202, r.text
    assert _port_groups(neutron, sid) == [[web["id"]]] * 2
    assert nova.get(f"/servers/{sid}", token).json()["server"]["security_groups"] == [
        {"name": "web"}]
    # Removing a group the server does not have: Nova's 404.
    r = _action(nova, token, sid, "removeSecurityGroup", {"name": "default"})
    assert assert_fault(r, 404, "itemNotFound") == (
        f"Security group default not associated with the instance {sid}")


def test_group_action_refusals(nova: Nova, servers: Servers) -> None:
    project, token, neutron, net = _setup(nova)
    sid = servers.create(token, networks=[{"uuid": net["id"]}])["id"]
    assert assert_fault(_action(nova, token, sid, "addSecurityGroup", {"name": "nope"}),
                        404, "itemNotFound") == (
        f"Security group nope is not found for project {project}")
    assert assert_fault(_action(nova, token, sid, "removeSecurityGroup", {"name": "nope"}),
                        404, "itemNotFound") == (
        f"Security group nope is not found for project {project}")
    # Nova's parse, before the server is looked up.
    assert assert_fault(_action(nova, token, "missing", "addSecurityGroup", {}),
                        400, "badRequest") == "Security group not specified"
    assert assert_fault(_action(nova, token, sid, "addSecurityGroup", {"name": " "}),
                        400, "badRequest") == "Security group name cannot be empty"
    assert assert_fault(_action(nova, token, sid, "addSecurityGroup", "web"),
                        400, "badRequest") == "Missing parameter dict"
    assert_fault(_action(nova, token, "5f1c2a9e-0000-4000-8000-000000000000",
                         "addSecurityGroup", {"name": "default"}), 404, "itemNotFound")
    # A server without ports.
    bare = servers.create(token, networks="none")["id"]
    assert assert_fault(_action(nova, token, bare, "addSecurityGroup", {"name": "default"}),
                        404, "itemNotFound") == (
        f"instance_id {bare} could not be found as device id on any ports")
    assert "security_groups" not in nova.get(f"/servers/{bare}", token).json()["server"]
    assert nova.get(f"/servers/{bare}/os-security-groups", token).json() == {
        "security_groups": []}
    # A port without port security takes no group (Nova's 400).
    insecure = neutron.network(name="open", port_security_enabled=False)
    neutron.subnet(insecure["id"], "10.1.0.0/24")
    open_sid = servers.create(token, networks=[{"uuid": insecure["id"]}])["id"]
    assert assert_fault(_action(nova, token, open_sid, "addSecurityGroup",
                                {"name": "default"}), 400, "badRequest") == (
        "Network requires port_security_enabled and subnet associated in order to apply "
        "security groups.")
    # Two groups of one name: Nova's NoUniqueMatch, 409 (at create too); the id works.
    twin = _group(neutron, "twin")
    _group(neutron, "twin")
    assert assert_fault(_action(nova, token, sid, "addSecurityGroup", {"name": "twin"}),
                        409, "conflictingRequest") == (
        "Multiple security_group matches found for name 'twin', use an ID to be more "
        "specific.")
    assert_fault(nova.post("/servers", {"server": {
        "name": "vm", "imageRef": servers.image_id, "flavorRef": "1",
        "networks": [{"uuid": net["id"]}], "security_groups": [{"name": "twin"}]}}, token),
        409, "conflictingRequest")
    assert _action(nova, token, sid, "addSecurityGroup", {"name": twin["id"]}
                   ).status_code == 202
    # Another project's server is unknown; a reader may list but not change.
    _, outsider = nova.member()
    assert_fault(_action(nova, outsider, sid, "addSecurityGroup", {"name": "default"}),
                 404, "itemNotFound")
    assert_fault(nova.get(f"/servers/{sid}/os-security-groups", outsider), 404,
                 "itemNotFound")


def test_quota_views_show_the_network_quotas(nova: Nova, servers: Servers) -> None:
    project, token, neutron, _ = _setup(nova)
    _group(neutron, "web")
    admin = Neutron(nova.api)
    r = admin.put(f"/quotas/{project}", {"quota": {"security_group": 7, "floatingip": 3,
                                                   "security_group_rule": 42}})
    assert r.status_code == 200, r.text
    groups = len(neutron.get("/security-groups").json()["security_groups"])
    rules = len(admin.get("/security-group-rules", project_id=project).json()[
        "security_group_rules"])
    shown = nova.get(f"/os-quota-sets/{project}", token).json()["quota_set"]
    assert (shown["security_groups"], shown["floating_ips"],
            shown["security_group_rules"]) == (7, 3, 42)
    detail = nova.get(f"/os-quota-sets/{project}/detail", token).json()["quota_set"]
    assert detail["security_groups"] == {"limit": 7, "in_use": groups, "reserved": 0}
    assert detail["security_group_rules"] == {"limit": 42, "in_use": rules, "reserved": 0}
    assert detail["floating_ips"] == {"limit": 3, "in_use": 0, "reserved": 0}
    absolute = nova.get("/limits", token).json()["limits"]["absolute"]
    assert (absolute["maxSecurityGroups"], absolute["maxTotalFloatingIps"],
            absolute["maxSecurityGroupRules"]) == (7, 3, 42)
    assert (absolute["totalSecurityGroupsUsed"], absolute["totalFloatingIpsUsed"]) == (
        groups, 0)
    # A compute update of them is accepted and changes nothing (they are Neutron's).
    r = nova.put(f"/os-quota-sets/{project}", {"quota_set": {"security_groups": 99}})
    assert r.status_code == 200, r.text
    assert r.json()["quota_set"]["security_groups"] == 7
    # From 2.36 Nova shows none of them (Neutron's own API does).
    late = nova.at("2.36").get(f"/os-quota-sets/{project}", token).json()["quota_set"]
    assert "security_groups" not in late and "floating_ips" not in late
