"""Neutron's RBAC policies on networks: an owner shares its network with one project (which
then sees it, its subnets, and attaches ports), an admin with every project (`shared`
true); policies are their project's own; taking access away from a project with ports is
refused."""

from __future__ import annotations

from typing import Any

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.conftest import Api
from tests.api.network_support import Neutron, neutron_error


def _two(api: Api) -> tuple[dict[str, Any], Neutron, dict[str, Any], Neutron]:
    a, b = api.project(), api.project()
    return (a, Neutron(api, api.member_of(a["id"])[1]),
            b, Neutron(api, api.member_of(b["id"])[1]))


def _share(who: Neutron, network_id: str, target: str) -> Any:
    return who.post("/rbac-policies", {"rbac_policy": {
        "object_type": "network", "object_id": network_id, "action": "access_as_shared",
        "target_tenant": target}})


def test_owner_shares_its_network_with_one_project(api: Api) -> None:
    a, alice, b, bob = _two(api)
    carol = Neutron(api, api.member_of(api.project()["id"])[1])
    net = alice.network(name="a-net")
    subnet = alice.subnet(net["id"], "10.30.0.0/24")
    neutron_error(bob.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")

    r = _share(alice, net["id"], b["id"])
    assert r.status_code == 201, r.text
    made = r.json()["rbac_policy"]
    assert {k: made[k] for k in ("object_type", "object_id", "action", "target_tenant",
                                 "project_id", "tenant_id")} == {
        "object_type": "network", "object_id": net["id"], "action": "access_as_shared",
        "target_tenant": b["id"], "project_id": a["id"], "tenant_id": a["id"]}

    # The target project sees the network (shared, as Neutron shows it to the target), its
    # subnet, and attaches a port to it; it does not own it.
    seen = bob.get(f"/networks/{net['id']}").json()["network"]
    assert seen["shared"] is True and seen["project_id"] == a["id"]
    assert [n["id"] for n in bob.get("/networks").json()["networks"]] == [net["id"]]
    assert [n["id"] for n in bob.get("/networks", shared="true").json()["networks"]] == [
        net["id"]]
    assert bob.get(f"/subnets/{subnet['id']}").status_code == 200
    assert [s["id"] for s in bob.get("/subnets").json()["subnets"]] == [subnet["id"]]
    port = bob.make("port", network_id=net["id"])
    assert port["project_id"] == b["id"]
    neutron_error(bob.put(f"/networks/{net['id']}", {"network": {"name": "x"}}), 403,
                  "PolicyNotAuthorized")
    # To its owner the network is not "shared" (no wildcard); a third project sees nothing.
    assert alice.get(f"/networks/{net['id']}").json()["network"]["shared"] is False
    neutron_error(carol.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")
    assert carol.get("/networks").json()["networks"] == []

    # The policy is the owner's: the target project does not see it.
    assert bob.get("/rbac-policies").json()["rbac_policies"] == []
    neutron_error(bob.get(f"/rbac-policies/{made['id']}"), 404, "RbacPolicyNotFound")
    neutron_error(bob.delete(f"/rbac-policies/{made['id']}"), 404, "RbacPolicyNotFound")
    assert [p["id"] for p in alice.get("/rbac-policies").json()["rbac_policies"]] == [
        made["id"]]
    shown = alice.get(f"/rbac-policies/{made['id']}", fields="target_tenant").json()
    assert shown == {"rbac_policy": {"target_tenant": b["id"]}}

    # Bob's port holds his access: the policy stays until the port goes.
    message = neutron_error(alice.delete(f"/rbac-policies/{made['id']}"), 409,
                            "RbacPolicyInUse")
    assert net["id"] in message
    neutron_error(alice.put(f"/rbac-policies/{made['id']}",
                            {"rbac_policy": {"target_tenant": "someone-else"}}), 409,
                  "RbacPolicyInUse")
    assert bob.delete(f"/ports/{port['id']}").status_code == 204
    assert alice.delete(f"/rbac-policies/{made['id']}").status_code == 204
    neutron_error(bob.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")
    neutron_error(bob.get(f"/subnets/{subnet['id']}"), 404, "SubnetNotFound")
    neutron_error(alice.get(f"/rbac-policies/{made['id']}"), 404, "RbacPolicyNotFound")

    actions = [e["action"] for e in api.events(project_id=a["id"])]
    assert "network.rbac_policy.create" in actions
    assert "network.rbac_policy.delete" in actions


def test_who_may_share_what(api: Api) -> None:
    a, alice, b, bob = _two(api)
    net = alice.network(name="a-net")
    # Every project is the cloud's to grant (create_rbac_policy:target_tenant).
    neutron_error(_share(alice, net["id"], "*"), 403, "PolicyNotAuthorized")
    # Another project's network: unseen, so absent.
    neutron_error(_share(bob, net["id"], b["id"]), 404, "NetworkNotFound")
    # Seen through a grant, but not owned: Neutron's InvalidInput.
    assert _share(alice, net["id"], b["id"]).status_code == 201
    message = neutron_error(_share(bob, net["id"], "x"), 400, "InvalidInput")
    assert "Only admins can manipulate policies on networks they do not own" in message
    # The same grant twice.
    neutron_error(_share(alice, net["id"], b["id"]), 409, "DuplicateRbacPolicy")
    # Shapes.
    neutron_error(alice.post("/rbac-policies", {"rbac_policy": {
        "object_type": "qos_policy", "object_id": net["id"], "action": "access_as_shared",
        "target_tenant": b["id"]}}), 400, "InvalidInput")
    neutron_error(alice.post("/rbac-policies", {"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_owner",
        "target_tenant": b["id"]}}), 400, "InvalidActionForType")
    neutron_error(alice.post("/rbac-policies", {"rbac_policy": {
        "object_type": "network", "object_id": "not-a-uuid", "action": "access_as_shared",
        "target_tenant": b["id"]}}), 400, "HTTPBadRequest")
    neutron_error(alice.post("/rbac-policies", {"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_shared"}}),
        400, "HTTPBadRequest")
    assert "exceeds maximum length of 255" in neutron_error(
        _share(alice, net["id"], "p" * 256), 400, "HTTPBadRequest")
    mine = alice.get("/rbac-policies").json()["rbac_policies"][0]
    neutron_error(alice.put(f"/rbac-policies/{mine['id']}",
                            {"rbac_policy": {"action": "access_as_external"}}), 400,
                  "HTTPBadRequest")
    neutron_error(alice.put(f"/rbac-policies/{mine['id']}",
                            {"rbac_policy": {"target_tenant": "*"}}), 403,
                  "PolicyNotAuthorized")
    # Moving the grant (no port needs it) moves the access.
    c = api.project()
    carol = Neutron(api, api.member_of(c["id"])[1])
    moved = alice.put(f"/rbac-policies/{mine['id']}",
                      {"rbac_policy": {"target_tenant": c["id"]}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["rbac_policy"]["target_tenant"] == c["id"]
    neutron_error(bob.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")
    assert carol.get(f"/networks/{net['id']}").status_code == 200
    # A denial is on the audit trail.
    denied = [e for e in api.events(project_id=a["id"])
              if e["action"] == "network.rbac_policy.target_all"]
    assert denied and denied[0]["outcome"] == "denied"


def test_wildcard_policy_is_the_shared_flag(api: Api) -> None:
    admin = Neutron(api)
    a, alice, b, bob = _two(api)
    net = alice.network(name="a-net")
    alice.subnet(net["id"], "10.31.0.0/24")
    # An admin shares the project's network with everyone: `shared` reads true for all.
    r = _share(admin, net["id"], "*")
    assert r.status_code == 201, r.text
    wildcard = r.json()["rbac_policy"]
    assert wildcard["target_tenant"] == "*" and wildcard["project_id"] == api.admin_project_id
    assert alice.get(f"/networks/{net['id']}").json()["network"]["shared"] is True
    assert bob.get(f"/networks/{net['id']}").json()["network"]["shared"] is True
    port = bob.make("port", network_id=net["id"])
    # Unsharing while bob's port is there: refused both ways.
    neutron_error(admin.delete(f"/rbac-policies/{wildcard['id']}"), 409, "RbacPolicyInUse")
    neutron_error(admin.put(f"/networks/{net['id']}", {"network": {"shared": False}}), 409,
                  "InvalidSharedSetting")
    # A grant naming bob keeps his port's access: now the wildcard may go.
    assert _share(alice, net["id"], b["id"]).status_code == 201
    assert admin.delete(f"/rbac-policies/{wildcard['id']}").status_code == 204
    assert alice.get(f"/networks/{net['id']}").json()["network"]["shared"] is False
    assert bob.get(f"/networks/{net['id']}").json()["network"]["shared"] is True
    assert bob.delete(f"/ports/{port['id']}").status_code == 204

    # `shared: true` on the network makes the wildcard policy (the network's owner's),
    # `shared: false` removes it.
    assert admin.put(f"/networks/{net['id']}", {"network": {"shared": True}}).json()[
        "network"]["shared"] is True
    found = admin.get("/rbac-policies", object_id=net["id"], target_tenant="*").json()[
        "rbac_policies"]
    assert [(p["project_id"], p["action"]) for p in found] == [(a["id"], "access_as_shared")]
    # The owner sees its network's wildcard policy too (it is its project's).
    assert [p["id"] for p in alice.get("/rbac-policies", target_tenant="*").json()[
        "rbac_policies"]] == [found[0]["id"]]
    assert admin.put(f"/networks/{net['id']}", {"network": {"shared": False}}).status_code \
        == 200
    assert admin.get("/rbac-policies", object_id=net["id"], target_tenant="*").json()[
        "rbac_policies"] == []
    # A network created shared has its wildcard policy; deleting the network drops its
    # policies.
    made = admin.network(name="shared-one", shared=True)
    assert len(admin.get("/rbac-policies", object_id=made["id"]).json()[
        "rbac_policies"]) == 1
    assert admin.delete(f"/networks/{made['id']}").status_code == 204
    assert admin.get("/rbac-policies", object_id=made["id"]).json()["rbac_policies"] == []
    assert admin.delete(f"/networks/{net['id']}").status_code == 204
    assert alice.get("/rbac-policies").json()["rbac_policies"] == []


def test_rbac_is_listed_as_an_extension_and_a_resource(api: Api) -> None:
    admin = Neutron(api)
    aliases = [e["alias"] for e in admin.get("/extensions").json()["extensions"]]
    assert "rbac-policies" in aliases
    assert admin.get("/extensions/rbac-policies").json()["extension"]["name"] == "RBAC Policies"
    r = api.http.get("/network/v2.0", headers=api.h(None))
    rbac = [x for x in r.json()["resources"] if x["name"] == "rbac_policy"]
    assert [x["collection"] for x in rbac] == ["rbac-policies"]


def test_a_server_boots_on_a_network_shared_with_its_project(nova: Nova,
                                                             servers: Servers) -> None:
    _, owner_token = nova.member()
    guest_project, guest_token = nova.member()
    owner = Neutron(nova.api, owner_token)
    net = owner.network(name="lent")
    owner.subnet(net["id"], "10.32.0.0/24")
    # Before the grant, Nova does not find the network for the other project.
    r = nova.post("/servers", {"server": {"name": "vm", "imageRef": servers.image_id,
                                          "flavorRef": "1",
                                          "networks": [{"uuid": net["id"]}]}}, guest_token)
    assert_fault(r, 400, "badRequest")
    assert _share(owner, net["id"], guest_project).status_code == 201
    sid = servers.create(guest_token, networks=[{"uuid": net["id"]}])["id"]
    shown = nova.get(f"/servers/{sid}", guest_token).json()["server"]
    assert shown["addresses"]["lent"][0]["addr"] == "10.32.0.2"
    # networks "auto" picks it too: the project has no network of its own, and this one is
    # shared with it.
    auto = servers.create(guest_token, networks="auto")["id"]
    assert list(nova.get(f"/servers/{auto}", guest_token).json()["server"]["addresses"]) == [
        "lent"]
    guest = Neutron(nova.api, guest_token)
    [port] = guest.get("/ports", device_id=sid).json()["ports"]
    assert (port["network_id"], port["project_id"]) == (net["id"], guest_project)


def test_access_as_external_makes_the_network_external_for_one_project(api: Api) -> None:
    admin = Neutron(api)
    a, alice, b, bob = _two(api)
    carol = Neutron(api, api.member_of(api.project()["id"])[1])
    net = alice.network(name="uplink")
    alice.subnet(net["id"], "198.51.100.0/24")
    r = alice.post("/rbac-policies", {"rbac_policy": {
        "object_type": "network", "object_id": net["id"], "action": "access_as_external",
        "target_tenant": b["id"]}})
    assert r.status_code == 201, r.text
    grant = r.json()["rbac_policy"]
    # The network is now external (router:external), for bob only: not shared, unseen by
    # a third project.
    seen = bob.get(f"/networks/{net['id']}").json()["network"]
    assert (seen["router:external"], seen["shared"]) == (True, False)
    assert [n["id"] for n in bob.get("/networks", **{"router:external": "true"}).json()[
        "networks"]] == [net["id"]]
    neutron_error(carol.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")
    neutron_error(carol.post("/routers", {"router": {"external_gateway_info": {
        "network_id": net["id"]}}}), 404, "NetworkNotFound")
    # Bob's router takes its gateway there, and a floating IP comes from it.
    router = bob.make("router", external_gateway_info={"network_id": net["id"]})
    gateway_ip = router["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
    assert gateway_ip.startswith("198.51.100.")
    fip = bob.make("floatingip", floating_network_id=net["id"])
    assert fip["floating_ip_address"].startswith("198.51.100.")
    # The gateway holds the grant.
    neutron_error(alice.delete(f"/rbac-policies/{grant['id']}"), 409, "RbacPolicyInUse")
    assert bob.delete(f"/floatingips/{fip['id']}").status_code == 204
    assert bob.put(f"/routers/{router['id']}", {"router": {"external_gateway_info": {}}}
                   ).status_code == 200
    assert alice.delete(f"/rbac-policies/{grant['id']}").status_code == 204
    # The last external grant gone, the network is internal again.
    assert alice.get(f"/networks/{net['id']}").json()["network"]["router:external"] is False
    neutron_error(bob.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")

    # router:external through the network API is every project's: the wildcard policy.
    assert admin.put(f"/networks/{net['id']}", {"network": {"router:external": True}}
                     ).status_code == 200
    found = admin.get("/rbac-policies", object_id=net["id"]).json()["rbac_policies"]
    assert [(p["action"], p["target_tenant"], p["project_id"]) for p in found] == [
        ("access_as_external", "*", a["id"])]
    assert carol.get(f"/networks/{net['id']}").json()["network"]["router:external"] is True
    assert admin.put(f"/networks/{net['id']}", {"network": {"router:external": False}}
                     ).status_code == 200
    assert admin.get("/rbac-policies", object_id=net["id"]).json()["rbac_policies"] == []
    neutron_error(carol.get(f"/networks/{net['id']}"), 404, "NetworkNotFound")
