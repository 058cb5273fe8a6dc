"""Routers and floating IPs on the Neutron wire: shapes, the seeded external network,
interfaces, routes, floating IP association, Neutron's errors, filters, fields, paging,
tags, and the isolation between two projects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, make_api
from tests.api.network_support import Neutron, member, neutron_error, public

ROUTER_KEYS = {"id", "name", "description", "project_id", "tenant_id", "admin_state_up",
               "status", "external_gateway_info", "routes", "tags", "created_at",
               "updated_at", "revision_number"}
FIP_KEYS = {"id", "description", "project_id", "tenant_id", "floating_network_id",
            "floating_ip_address", "port_id", "fixed_ip_address", "router_id", "status",
            "tags", "created_at", "updated_at", "revision_number", "port_forwardings"}


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Api]:
    """A cloud with its seeded external network (the default settings)."""
    yield from make_api(tmp_path / "state", network_external_cidr="203.0.113.0/24")


def test_the_seeded_external_network(cloud: Api) -> None:
    alice, _ = member(cloud)
    net = public(alice)
    assert (net["name"], net["router:external"], net["shared"], net["project_id"]) == (
        "public", True, False, cloud.admin_project_id)
    (subnet,) = alice.get("/subnets", network_id=net["id"]).json()["subnets"]
    assert (subnet["cidr"], subnet["gateway_ip"], subnet["allocation_pools"]) == (
        "203.0.113.0/24", "203.0.113.1", [{"start": "203.0.113.10", "end": "203.0.113.250"}])
    # A restart does not make a second one.
    cloud.cloud.seed()
    assert len(alice.get("/networks", **{"router:external": "true"}).json()["networks"]) == 1


def test_router_lifecycle_on_the_wire(cloud: Api) -> None:
    alice, project = member(cloud)
    ext = public(alice)
    r = alice.post("/routers", {"router": {"name": "r1", "external_gateway_info": {
        "network_id": ext["id"]}}})
    assert r.status_code == 201, r.text
    router = r.json()["router"]
    assert set(router) == ROUTER_KEYS
    assert (router["project_id"], router["status"], router["routes"]) == (project, "ACTIVE",
                                                                          [])
    gw = router["external_gateway_info"]
    assert (gw["network_id"], gw["enable_snat"]) == (ext["id"], True)
    (fixed,) = gw["external_fixed_ips"]
    assert fixed["ip_address"] == "203.0.113.10"
    # A member may not turn SNAT off (admin only), an admin may.
    neutron_error(alice.put(f"/routers/{router['id']}", {"router": {"external_gateway_info": {
        "network_id": ext["id"], "enable_snat": False}}}), 403, "PolicyNotAuthorized")
    admin = Neutron(cloud)
    snat = admin.put(f"/routers/{router['id']}", {"router": {"external_gateway_info": {
        "network_id": ext["id"], "enable_snat": False}}}).json()["router"]
    assert snat["external_gateway_info"]["enable_snat"] is False

    net = alice.network(name="private")
    subnet = alice.subnet(net["id"], "10.0.0.0/24")
    r = alice.put(f"/routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]})
    assert r.status_code == 200, r.text
    added = r.json()
    assert set(added) == {"id", "tenant_id", "project_id", "port_id", "subnet_id",
                          "subnet_ids", "network_id"}
    assert (added["id"], added["subnet_id"], added["network_id"]) == (
        router["id"], subnet["id"], net["id"])
    ports = alice.get("/ports", device_id=router["id"]).json()["ports"]
    assert [(p["id"], p["device_owner"], p["fixed_ips"][0]["ip_address"]) for p in ports] == [
        (added["port_id"], "network:router_interface", "10.0.0.1")]
    neutron_error(alice.put(f"/routers/{router['id']}/add_router_interface",
                            {"subnet_id": subnet["id"]}), 400, "BadRequest")
    neutron_error(alice.delete(f"/routers/{router['id']}"), 409, "RouterInUse")
    neutron_error(alice.delete(f"/ports/{added['port_id']}"), 409, "L3PortInUse")
    neutron_error(alice.delete(f"/subnets/{subnet['id']}"), 409, "SubnetInUse")

    routes = [{"destination": "192.168.7.0/24", "nexthop": "10.0.0.7"}]
    updated = alice.put(f"/routers/{router['id']}", {"router": {"routes": routes}})
    assert updated.json()["router"]["routes"] == routes
    message = neutron_error(alice.put(f"/routers/{router['id']}", {"router": {"routes": [
        {"destination": "192.168.8.0/24", "nexthop": "10.9.0.7"}]}}), 400, "InvalidRoutes")
    assert "the nexthop is not connected with router" in message
    neutron_error(alice.put(f"/routers/{router['id']}/remove_router_interface",
                            {"subnet_id": subnet["id"]}), 409, "RouterInterfaceInUseByRoute")
    cleared = alice.put(f"/routers/{router['id']}", {"router": {"routes": None}})
    assert cleared.json()["router"]["routes"] == []
    r = alice.put(f"/routers/{router['id']}/remove_router_interface",
                  {"subnet_id": subnet["id"]})
    assert r.status_code == 200 and r.json()["port_id"] == added["port_id"]
    neutron_error(alice.put(f"/routers/{router['id']}/remove_router_interface",
                            {"subnet_id": subnet["id"]}), 404,
                  "RouterInterfaceNotFoundForSubnet")
    neutron_error(alice.put(f"/routers/{router['id']}/add_router_interface", {}), 400,
                  "BadRequest")
    assert alice.delete(f"/routers/{router['id']}").status_code == 204
    neutron_error(alice.get(f"/routers/{router['id']}"), 404, "RouterNotFound")
    # The gateway port went with the router: the external network can go too (as admin).
    assert admin.get("/ports", network_id=ext["id"]).json()["ports"] == []


def test_a_gateway_on_an_internal_network_is_refused(cloud: Api) -> None:
    alice, _ = member(cloud)
    net = alice.network()
    message = neutron_error(alice.post("/routers", {"router": {"external_gateway_info": {
        "network_id": net["id"]}}}), 400, "BadRequest")
    assert message == f"Bad router request: Network {net['id']} is not an external network."


def test_floating_ip_lifecycle_on_the_wire(cloud: Api) -> None:
    alice, project = member(cloud)
    ext = public(alice)
    router = alice.make("router", external_gateway_info={"network_id": ext["id"]})
    net = alice.network()
    subnet = alice.subnet(net["id"], "10.0.0.0/24")
    alice.put(f"/routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]})
    port = alice.make("port", network_id=net["id"])
    fixed = port["fixed_ips"][0]["ip_address"]

    fip = alice.make("floatingip", floating_network_id=ext["id"])
    assert set(fip) == FIP_KEYS
    assert (fip["status"], fip["port_id"], fip["project_id"], fip["floating_ip_address"]) == (
        "DOWN", None, project, "203.0.113.11")
    bound = alice.put(f"/floatingips/{fip['id']}", {"floatingip": {"port_id": port["id"]}})
    assert bound.status_code == 200, bound.text
    assert (bound.json()["floatingip"]["fixed_ip_address"],
            bound.json()["floatingip"]["router_id"],
            bound.json()["floatingip"]["status"]) == (fixed, router["id"], "ACTIVE")
    listed = alice.get("/floatingips", port_id=port["id"]).json()["floatingips"]
    assert [f["id"] for f in listed] == [fip["id"]]
    other = alice.make("floatingip", floating_network_id=ext["id"])
    neutron_error(alice.put(f"/floatingips/{other['id']}", {"floatingip": {
        "port_id": port["id"]}}), 409, "FloatingIPPortAlreadyAssociated")
    neutron_error(alice.put(f"/routers/{router['id']}", {"router": {
        "external_gateway_info": {}}}), 409, "RouterExternalGatewayInUseByFloatingIp")
    free = alice.put(f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
    assert (free.json()["floatingip"]["port_id"], free.json()["floatingip"]["status"]) == (
        None, "DOWN")
    for f in (fip, other):
        assert alice.delete(f"/floatingips/{f['id']}").status_code == 204
    neutron_error(alice.get(f"/floatingips/{fip['id']}"), 404, "FloatingIPNotFound")


def test_floating_ip_errors(cloud: Api) -> None:
    alice, _ = member(cloud)
    ext = public(alice)
    net = alice.network()
    alice.subnet(net["id"], "10.0.0.0/24")
    port = alice.make("port", network_id=net["id"])
    message = neutron_error(alice.post("/floatingips", {"floatingip": {
        "floating_network_id": ext["id"], "port_id": port["id"]}}), 404,
        "ExternalGatewayForFloatingIPNotFound")
    assert message.startswith(f"External network {ext['id']} is not reachable from subnet")
    message = neutron_error(alice.post("/floatingips", {"floatingip": {
        "floating_network_id": net["id"]}}), 400, "BadRequest")
    assert message == (f"Bad floatingip request: Network {net['id']} is not a valid external "
                       "network.")
    neutron_error(alice.post("/floatingips", {"floatingip": {}}), 400, "HTTPBadRequest")
    neutron_error(alice.post("/floatingips", {"floatingip": {
        "floating_network_id": ext["id"], "floating_ip_address": "203.0.113.99"}}), 403,
        "PolicyNotAuthorized")
    neutron_error(alice.post("/floatingips", {"floatingip": {
        "floating_network_id": "nope"}}), 404, "NetworkNotFound")
    # Nothing was made by the refusals.
    assert alice.get("/floatingips").json()["floatingips"] == []


def test_lists_fields_paging_tags_and_quotas(cloud: Api) -> None:
    alice, project = member(cloud)
    made = [alice.make("router", name=f"r{i}") for i in range(3)]
    names = [r["name"] for r in alice.get("/routers", sort_key="name",
                                          sort_dir="desc").json()["routers"]]
    assert names == ["r2", "r1", "r0"]
    assert alice.get("/routers", name="r1").json()["routers"][0]["id"] == made[1]["id"]
    only = alice.get("/routers", fields="id").json()["routers"]
    assert all(set(r) == {"id"} for r in only)
    first = alice.get("/routers", limit=2, sort_key="name").json()
    assert [r["name"] for r in first["routers"]] == ["r0", "r1"]
    assert [link["rel"] for link in first["routers_links"]] == ["next"]
    path = f"/routers/{made[0]['id']}/tags"
    assert alice.put(f"{path}/blue").status_code == 201
    assert [r["id"] for r in alice.get("/routers", tags="blue").json()["routers"]] == [
        made[0]["id"]]
    details = alice.get(f"/quotas/{project}/details").json()["quota"]
    assert details["router"] == {"limit": 10, "used": 3, "reserved": 0}
    assert details["floatingip"]["limit"] == 50
    Neutron(cloud).put(f"/quotas/{project}", {"quota": {"router": 3}})
    neutron_error(alice.post("/routers", {"router": {}}), 409, "OverQuota")


def test_two_projects_routers_and_floating_ips_are_isolated(cloud: Api) -> None:
    alice, _ = member(cloud)
    bob, _ = member(cloud)
    ext = public(alice)
    router = alice.make("router", external_gateway_info={"network_id": ext["id"]})
    fip = alice.make("floatingip", floating_network_id=ext["id"])
    assert bob.get("/routers").json()["routers"] == []
    assert bob.get("/floatingips").json()["floatingips"] == []
    neutron_error(bob.get(f"/routers/{router['id']}"), 404, "RouterNotFound")
    neutron_error(bob.put(f"/routers/{router['id']}", {"router": {"name": "x"}}), 404,
                  "RouterNotFound")
    neutron_error(bob.delete(f"/routers/{router['id']}"), 404, "RouterNotFound")
    neutron_error(bob.get(f"/floatingips/{fip['id']}"), 404, "FloatingIPNotFound")
    neutron_error(bob.delete(f"/floatingips/{fip['id']}"), 404, "FloatingIPNotFound")
    # Bob's subnet on Alice's router: Alice does not see it.
    bob_net = bob.network()
    bob_subnet = bob.subnet(bob_net["id"], "10.0.0.0/24")
    neutron_error(alice.put(f"/routers/{router['id']}/add_router_interface",
                            {"subnet_id": bob_subnet["id"]}), 404, "SubnetNotFound")
    neutron_error(bob.put(f"/routers/{router['id']}/add_router_interface",
                          {"subnet_id": bob_subnet["id"]}), 404, "RouterNotFound")
    # Bob's port on Alice's floating IP: refused without telling what exists.
    bob_port = bob.make("port", network_id=bob_net["id"])
    neutron_error(alice.put(f"/floatingips/{fip['id']}", {"floatingip": {
        "port_id": bob_port["id"]}}), 404, "PortNotFound")
    # The gateway and floating IP ports are the cloud's: no project lists them.
    assert bob.get("/ports", network_id=ext["id"]).json()["ports"] == []
    assert alice.get("/ports", network_id=ext["id"]).json()["ports"] == []


def test_bulk_creates_are_all_or_none(cloud: Api) -> None:
    alice, _ = member(cloud)
    ext = public(alice)
    r = alice.post("/routers", {"routers": [{"name": "b1"}, {"name": "b2"}]})
    assert r.status_code == 201, r.text
    assert [x["name"] for x in r.json()["routers"]] == ["b1", "b2"]
    # The second floating IP is refused (not external): the first is undone.
    net = alice.network()
    r = alice.post("/floatingips", {"floatingips": [{"floating_network_id": ext["id"]},
                                                    {"floating_network_id": net["id"]}]})
    neutron_error(r, 400, "BadRequest")
    assert alice.get("/floatingips").json()["floatingips"] == []


def test_a_project_cannot_make_its_port_a_leg_of_anothers_router(cloud: Api) -> None:
    """Hostile second tenant: a port on its own network naming the victim's router as its
    device would make that router look attached to the attacker's network, to every
    service trusting a router's ports (the metadata service's router path, the datapath).
    Refused on create and on update, whatever the device_owner; the owner may."""
    alice, _ = member(cloud)
    mallory, _ = member(cloud)
    victim = alice.make("router", name="victim")
    net = mallory.network(name="bait")
    mallory.subnet(net["id"], "10.9.0.0/24")
    for owner in ("network:router_interface", "compute:nova", ""):
        r = mallory.post("/ports", {"port": {"network_id": net["id"], "device_id": victim["id"],
                                             "device_owner": owner}})
        assert "is not owned by your tenant" in neutron_error(
            r, 409, "DeviceIDNotOwnedByTenant"), owner
    port = mallory.make("port", network_id=net["id"])
    r = mallory.put(f"/ports/{port['id']}", {"port": {
        "device_id": victim["id"], "device_owner": "network:router_interface"}})
    neutron_error(r, 409, "DeviceIDNotOwnedByTenant")
    # A router interface naming no router at all is refused too.
    r = mallory.put(f"/ports/{port['id']}", {"port": {
        "device_id": "00000000-0000-4000-8000-000000000000",
        "device_owner": "network:router_interface"}})
    neutron_error(r, 409, "DeviceIDNotOwnedByTenant")
    # Nothing reached the victim's router.
    assert mallory.get("/ports", device_id=victim["id"]).json()["ports"] == []
    assert alice.get("/ports", device_id=victim["id"]).json()["ports"] == []
    # Its owner may name it (Neutron lets a project plug its own router's ports).
    own = alice.network(name="own")
    alice.subnet(own["id"], "10.8.0.0/24")
    r = alice.post("/ports", {"port": {"network_id": own["id"], "device_id": victim["id"],
                                       "device_owner": "network:router_interface"}})
    assert r.status_code == 201, r.text


def test_a_port_gone_through_a_router_leaves_its_security_group_free(cloud: Api) -> None:
    """A port (with the default group) plugged into a router by port id, then unplugged:
    the router deletes it, and with it its group membership, so the group is no longer
    in use (Tempest's teardown deletes every project's default group)."""
    alice, _ = member(cloud)
    net = alice.network(name="n")
    alice.subnet(net["id"], "10.7.0.0/24")
    port = alice.make("port", network_id=net["id"])
    [group] = port["security_groups"]
    router = alice.make("router", name="r")
    r = alice.put(f"/routers/{router['id']}/add_router_interface", {"port_id": port["id"]})
    assert r.status_code == 200, r.text
    r = alice.put(f"/routers/{router['id']}/remove_router_interface", {"port_id": port["id"]})
    assert r.status_code == 200, r.text
    assert alice.get(f"/ports/{port['id']}").status_code == 404
    assert Neutron(cloud).delete(f"/security-groups/{group}").status_code == 204
