"""Neutron's auto-allocated-topology extension on the wire, and Nova's `networks: "auto"`
over it: made on first use and then the same, concurrent first asks make one, dry-run,
delete, the default external network (is_default), quotas and who may ask for whom."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.conftest import Api, make_api
from tests.api.network_support import Neutron, member, neutron_error, public

PATH = "/auto-allocated-topology"


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Api]:
    """A cloud with its seeded external network, the default for auto-allocation."""
    yield from make_api(tmp_path / "state", network_external_cidr="203.0.113.0/24")


def test_the_seeded_external_network_is_the_default(cloud: Api) -> None:
    alice, _ = member(cloud)
    assert public(alice)["is_default"] is True
    assert cloud.admin_token is not None
    admin = Neutron(cloud, cloud.admin_token)
    assert admin.network(name="private")["is_default"] is False
    # One default at a time (Neutron's DefaultExternalNetworkExists).
    r = admin.post("/networks", {"network": {"name": "ext2", "router:external": True,
                                             "is_default": True}})
    message = neutron_error(r, 409, "DefaultExternalNetworkExists")
    assert public(alice)["id"] in message
    # A member may not choose the default.
    r = alice.post("/networks", {"network": {"name": "mine", "is_default": True}})
    neutron_error(r, 403, "PolicyNotAuthorized")


def test_first_use_builds_then_answers_the_same(cloud: Api) -> None:
    alice, project = member(cloud)
    r = alice.get(f"{PATH}/{project}")
    assert r.status_code == 200, r.text
    body = r.json()["auto_allocated_topology"]
    assert (body["tenant_id"], body["project_id"]) == (project, project)
    net = alice.get(f"/networks/{body['id']}").json()["network"]
    assert (net["name"], net["project_id"], net["admin_state_up"]) == (
        "auto_allocated_network", project, True)
    (subnet,) = alice.get("/subnets", network_id=net["id"]).json()["subnets"]
    assert subnet["name"] == "auto_allocated_subnet_v4"
    assert ipaddress.IPv4Network(subnet["cidr"]).subnet_of(
        ipaddress.IPv4Network("10.128.0.0/12"))
    (router,) = alice.get("/routers").json()["routers"]
    assert router["name"] == "auto_allocated_router"
    assert router["external_gateway_info"]["network_id"] == public(alice)["id"]
    (interface,) = alice.get("/ports", device_id=router["id"],
                             device_owner="network:router_interface").json()["ports"]
    assert interface["fixed_ips"][0]["subnet_id"] == subnet["id"]
    # Again: the same topology, nothing more made.
    again = alice.get(f"{PATH}/{project}").json()["auto_allocated_topology"]
    assert again["id"] == body["id"]
    assert len(alice.get("/networks", project_id=project).json()["networks"]) == 1
    assert len(alice.get("/routers").json()["routers"]) == 1
    # Another project gets its own, on another prefix of the pool.
    bob, other = member(cloud)
    theirs = bob.get(f"{PATH}/{other}").json()["auto_allocated_topology"]["id"]
    assert theirs != body["id"]
    (their_subnet,) = bob.get("/subnets", network_id=theirs).json()["subnets"]
    assert their_subnet["cidr"] != subnet["cidr"]


def test_concurrent_first_asks_make_one_topology(cloud: Api) -> None:
    alice, project = member(cloud)
    answers: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            r = alice.get(f"{PATH}/{project}")
            assert r.status_code == 200, r.text
            answers.append(r.json()["auto_allocated_topology"]["id"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(answers) == 3 and len(set(answers)) == 1
    # The losers removed what they built.
    nets = alice.get("/networks", project_id=project).json()["networks"]
    assert [n["id"] for n in nets] == [answers[0]]
    assert len(alice.get("/routers").json()["routers"]) == 1


def test_dry_run_and_its_failures(cloud: Api) -> None:
    alice, project = member(cloud)
    r = alice.get(f"{PATH}/{project}", fields="dry-run")
    assert r.status_code == 200, r.text
    body = r.json()["auto_allocated_topology"]
    assert (body["dry-run"], body["id"], body["project_id"]) == ("pass", "dry-run=pass",
                                                                  project)
    # Nothing was made.
    assert alice.get("/networks", project_id=project).json()["networks"] == []
    # An unknown field: Neutron's 400.
    neutron_error(alice.get(f"{PATH}/{project}", fields="name"), 400, "BadRequest")
    # Without a default external network: 409 AutoAllocationFailure, dry-run or not.
    assert cloud.admin_token is not None
    admin = Neutron(cloud, cloud.admin_token)
    r = admin.put(f"/networks/{public(alice)['id']}", {"network": {"is_default": False}})
    assert r.status_code == 200 and r.json()["network"]["is_default"] is False, r.text
    for params in ({"fields": "dry-run"}, {}):
        message = neutron_error(alice.get(f"{PATH}/{project}", **params), 409,
                                "AutoAllocationFailure")
        assert message == "Deployment error: No default router:external network."
    assert alice.get("/networks", project_id=project).json()["networks"] == []


def test_no_default_pool_is_a_deployment_error(tmp_path: Path) -> None:
    for api in make_api(tmp_path / "state", network_external_cidr="203.0.113.0/24",
                        network_auto_allocation_pool=""):
        alice, project = member(api)
        message = neutron_error(alice.get(f"{PATH}/{project}", fields="dry-run"), 409,
                                "AutoAllocationFailure")
        assert message == "Deployment error: No default subnetpools defined."


def test_delete_tears_it_down(cloud: Api) -> None:
    alice, project = member(cloud)
    net_id = alice.get(f"{PATH}/{project}").json()["auto_allocated_topology"]["id"]
    r = alice.delete(f"{PATH}/{project}")
    assert r.status_code == 204, r.text
    assert alice.get(f"/networks/{net_id}").status_code == 404
    assert alice.get("/routers").json()["routers"] == []
    assert alice.get("/subnets", project_id=project).json()["subnets"] == []
    # Nothing left: 204 again; the next ask builds a new one.
    assert alice.delete(f"{PATH}/{project}").status_code == 204
    fresh = alice.get(f"{PATH}/{project}").json()["auto_allocated_topology"]["id"]
    assert fresh != net_id


def test_another_projects_topology_is_for_admins(cloud: Api) -> None:
    alice, project = member(cloud)
    bob, _ = member(cloud)
    neutron_error(bob.get(f"{PATH}/{project}"), 403, "PolicyNotAuthorized")
    neutron_error(bob.delete(f"{PATH}/{project}"), 403, "PolicyNotAuthorized")
    assert alice.get("/networks", project_id=project).json()["networks"] == []
    assert cloud.admin_token is not None
    admin = Neutron(cloud, cloud.admin_token)
    r = admin.get(f"{PATH}/{project}")
    assert r.status_code == 200, r.text
    made = r.json()["auto_allocated_topology"]
    assert made["project_id"] == project
    assert alice.get(f"/networks/{made['id']}").json()["network"]["project_id"] == project
    assert alice.get(f"{PATH}/{project}").json()["auto_allocated_topology"]["id"] == \
        made["id"]


def test_a_project_over_its_quota_gets_neutrons_error(cloud: Api) -> None:
    alice, project = member(cloud)
    assert cloud.admin_token is not None
    admin = Neutron(cloud, cloud.admin_token)
    r = admin.put(f"/quotas/{project}", {"quota": {"router": 0}})
    assert r.status_code == 200, r.text
    message = neutron_error(alice.get(f"{PATH}/{project}"), 409, "OverQuota")
    assert "router" in message
    # What was built before the refusal is gone again.
    assert alice.get("/networks", project_id=project).json()["networks"] == []
    assert alice.get("/subnets", project_id=project).json()["subnets"] == []


def test_the_extension_is_listed(cloud: Api) -> None:
    alice, _ = member(cloud)
    aliases = {e["alias"] for e in alice.get("/extensions").json()["extensions"]}
    assert "auto-allocated-topology" in aliases


# -- Nova's networks: "auto" ----------------------------------------------------------------
@pytest.fixture
def nova_cloud(cloud: Api) -> Nova:
    return Nova(cloud)


def test_nova_auto_builds_the_topology_when_the_project_has_no_network(
        nova_cloud: Nova) -> None:
    servers = Servers(nova_cloud)
    project, token = nova_cloud.member()
    neutron = Neutron(nova_cloud.api, token)
    sid = servers.create(token, networks="auto")["id"]
    topology = neutron.get(f"{PATH}/{project}").json()["auto_allocated_topology"]["id"]
    (port,) = neutron.get("/ports", device_id=sid).json()["ports"]
    assert port["network_id"] == topology
    addresses = nova_cloud.get(f"/servers/{sid}", token).json()["server"]["addresses"]
    assert list(addresses) == ["auto_allocated_network"]
    # A second server uses the same network.
    second = servers.create(token, networks="auto")["id"]
    (port2,) = neutron.get("/ports", device_id=second).json()["ports"]
    assert port2["network_id"] == topology


def test_nova_auto_with_several_networks_is_ambiguous(nova_cloud: Nova) -> None:
    servers = Servers(nova_cloud)
    _, token = nova_cloud.member()
    neutron = Neutron(nova_cloud.api, token)
    for name, cidr in (("a", "10.0.0.0/24"), ("b", "10.0.1.0/24")):
        neutron.subnet(neutron.network(name=name)["id"], cidr)
    r = nova_cloud.post("/servers", {"server": {"name": "vm", "imageRef": servers.image_id,
                                                "flavorRef": "1", "networks": "auto"}},
                        token)
    assert assert_fault(r, 409, "conflictingRequest") == (
        "Multiple possible networks found, use a Network ID to be more specific.")
    assert nova_cloud.get("/servers", token).json()["servers"] == []


def test_nova_auto_without_auto_allocation_set_up_is_no_nic(nova_cloud: Nova) -> None:
    servers = Servers(nova_cloud)
    project, token = nova_cloud.member()
    api = nova_cloud.api
    assert api.admin_token is not None
    admin = Neutron(api, api.admin_token)
    ext = public(admin)
    assert admin.put(f"/networks/{ext['id']}",
                     {"network": {"is_default": False}}).status_code == 200
    sid = servers.create(token, networks="auto")["id"]
    assert nova_cloud.get(f"/servers/{sid}", token).json()["server"]["addresses"] == {}
    neutron = Neutron(api, token)
    assert neutron.get("/networks", project_id=project).json()["networks"] == []


def test_nova_auto_when_the_topology_cannot_be_made_is_400(nova_cloud: Nova) -> None:
    servers = Servers(nova_cloud)
    project, token = nova_cloud.member()
    api = nova_cloud.api
    assert api.admin_token is not None
    admin = Neutron(api, api.admin_token)
    assert admin.put(f"/quotas/{project}", {"quota": {"router": 0}}).status_code == 200
    r = nova_cloud.post("/servers", {"server": {"name": "vm", "imageRef": servers.image_id,
                                                "flavorRef": "1", "networks": "auto"}},
                        token)
    assert assert_fault(r, 400, "badRequest") == (
        f"Unable to automatically allocate a network for project {project}")
    assert nova_cloud.get("/servers", token).json()["servers"] == []


def test_the_default_subnet_pool_is_used_when_the_cloud_has_one(cloud: Api) -> None:
    """As in Neutron, the subnet comes from the default IPv4 subnet pool (the configured
    prefix stands in only while there is none)."""
    assert cloud.admin_token is not None
    admin = Neutron(cloud, cloud.admin_token)
    r = admin.post("/subnetpools", {"subnetpool": {
        "name": "default-v4", "prefixes": ["172.24.0.0/16"], "default_prefixlen": 26,
        "shared": True, "is_default": True}})
    assert r.status_code == 201, r.text
    pool = r.json()["subnetpool"]
    alice, project = member(cloud)
    body = alice.get(f"{PATH}/{project}").json()["auto_allocated_topology"]
    (subnet,) = alice.get("/subnets", network_id=body["id"]).json()["subnets"]
    assert subnet["subnetpool_id"] == pool["id"]
    assert ipaddress.IPv4Network(subnet["cidr"]).prefixlen == 26
    assert ipaddress.IPv4Network(subnet["cidr"]).subnet_of(
        ipaddress.IPv4Network("172.24.0.0/16"))
    # A second project's comes from the same pool, another prefix.
    bob, other = member(cloud)
    theirs = bob.get(f"{PATH}/{other}").json()["auto_allocated_topology"]
    (second,) = bob.get("/subnets", network_id=theirs["id"]).json()["subnets"]
    assert second["subnetpool_id"] == pool["id"] and second["cidr"] != subnet["cidr"]
