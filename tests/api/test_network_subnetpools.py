"""Subnet pools on the Neutron wire: the pool's shape, discovery, subnets from a pool or the
default pool, Neutron's errors and exception names, shared and private pools across
projects, tags, and deletion while subnets use a pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_api
from tests.api.network_support import Neutron, neutron_error

POOL_KEYS = {"id", "name", "description", "project_id", "tenant_id", "prefixes", "ip_version",
             "default_prefixlen", "min_prefixlen", "max_prefixlen", "default_quota",
             "shared", "is_default", "address_scope_id", "tags", "created_at", "updated_at",
             "revision_number"}


@pytest.fixture
def admin(api: Api) -> Neutron:
    return Neutron(api)


def _member(api: Api) -> Neutron:
    project = api.project()
    return Neutron(api, api.member_of(project["id"])[1])


def test_discovery_lists_subnetpools_and_the_extensions(api: Api, admin: Neutron) -> None:
    resources = api.http.get("/network/v2.0/").json()["resources"]
    assert {"name": "subnetpool", "collection": "subnetpools"} in [
        {"name": r["name"], "collection": r["collection"]} for r in resources]
    aliases = {e["alias"] for e in admin.get("/extensions").json()["extensions"]}
    assert {"subnet_allocation", "default-subnetpools"} <= aliases
    assert admin.get("/extensions/subnet_allocation").status_code == 200


def test_pool_lifecycle_and_shape(api: Api) -> None:
    alice = _member(api)
    pool = alice.make("subnetpool", name="p1", prefixes=["10.5.0.0/24", "10.5.1.0/24"],
                      default_prefixlen="26", min_prefixlen=24)
    assert set(pool) == POOL_KEYS
    assert (pool["prefixes"], pool["ip_version"], pool["default_prefixlen"],
            pool["min_prefixlen"], pool["max_prefixlen"], pool["default_quota"],
            pool["shared"], pool["is_default"], pool["address_scope_id"],
            pool["revision_number"]) == (["10.5.0.0/23"], 4, 26, 24, 32, None, False, False,
                                         None, 0)
    shown = alice.get(f"/subnetpools/{pool['id']}").json()["subnetpool"]
    assert shown == pool
    listed = alice.get("/subnetpools", fields="name").json()["subnetpools"]
    assert listed == [{"name": "p1"}]
    r = alice.put(f"/subnetpools/{pool['id']}", {"subnetpool": {
        "name": "p2", "prefixes": ["10.5.0.0/23", "10.6.0.0/24"], "default_quota": 1024}})
    assert r.status_code == 200, r.text
    updated = r.json()["subnetpool"]
    assert (updated["name"], updated["prefixes"], updated["default_quota"],
            updated["revision_number"]) == ("p2", ["10.5.0.0/23", "10.6.0.0/24"], 1024, 1)
    assert alice.put(f"/subnetpools/{pool['id']}/tags/blue").status_code == 201
    assert alice.get(f"/subnetpools/{pool['id']}/tags").json() == {"tags": ["blue"]}
    assert [p["id"] for p in alice.get("/subnetpools", tags="blue").json()[
        "subnetpools"]] == [pool["id"]]
    assert alice.delete(f"/subnetpools/{pool['id']}").status_code == 204
    message = neutron_error(alice.get(f"/subnetpools/{pool['id']}"), 404,
                            "SubnetPoolNotFound")
    assert message == f"Subnet pool {pool['id']} could not be found."


def test_pool_errors_in_neutrons_words(api: Api) -> None:
    alice = _member(api)

    def refused(body: dict[str, Any], status: int, kind: str) -> str:
        return neutron_error(alice.post("/subnetpools", {"subnetpool": body}), status, kind)

    assert refused({"prefixes": ["10.0.0.0/8"]}, 400, "HTTPBadRequest") == (
        "Failed to parse request. Required attribute 'name' not specified")
    assert refused({"name": "x", "prefixes": []}, 400, "EmptySubnetPoolPrefixList") == (
        "Empty subnet pool prefix list.")
    assert refused({"name": "x", "prefixes": ["10.0.0.0/8", "2001:db8::/32"]}, 400,
                   "PrefixVersionMismatch") == (
        "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.")
    assert refused({"name": "x", "prefixes": ["10.0.0.0/8"], "min_prefixlen": 24,
                    "default_prefixlen": 16}, 400, "IllegalSubnetPoolPrefixBounds") == (
        "Illegal prefix bounds: default_prefixlen=16, min_prefixlen=24.")
    assert refused({"name": "x", "prefixes": ["10.0.0.0/8"], "shared": True}, 403,
                   "PolicyNotAuthorized") == (
        "(rule:network:subnetpool:create_shared) is disallowed by policy")
    assert refused({"name": "x", "prefixes": ["10.0.0.0/8"], "ip_version": 4}, 400,
                   "HTTPBadRequest") == "Attribute 'ip_version' not allowed in POST"
    pool = alice.make("subnetpool", name="x", prefixes=["10.0.0.0/16"])
    message = neutron_error(alice.put(f"/subnetpools/{pool['id']}", {"subnetpool": {
        "prefixes": ["10.1.0.0/16"]}}), 400, "IllegalSubnetPoolPrefixUpdate")
    assert message == ("Illegal update to prefixes: Existing prefixes must be a subset of "
                       "the new prefixes.")
    neutron_error(alice.put(f"/subnetpools/{pool['id']}", {"subnetpool": {"shared": True}}),
                  400, "HTTPBadRequest")


def test_subnets_from_a_pool_on_the_wire(api: Api) -> None:
    alice = _member(api)
    pool = alice.make("subnetpool", name="p", prefixes=["10.7.0.0/16"], default_prefixlen=24,
                      max_prefixlen=28)
    net = alice.network()
    first = alice.make("subnet", network_id=net["id"], subnetpool_id=pool["id"],
                       ip_version=4)
    assert (first["cidr"], first["subnetpool_id"], first["gateway_ip"],
            first["allocation_pools"], first["use_default_subnetpool"]) == (
        "10.7.0.0/24", pool["id"], "10.7.0.1",
        [{"start": "10.7.0.2", "end": "10.7.0.254"}], False)
    assert "prefixlen" not in first
    second = alice.make("subnet", network_id=net["id"], subnetpool_id=pool["id"],
                        prefixlen=28)
    assert second["cidr"] == "10.7.1.0/28"
    third = alice.make("subnet", network_id=net["id"], subnetpool_id=pool["id"],
                       cidr="10.7.9.0/24", ip_version=4)
    assert third["cidr"] == "10.7.9.0/24"
    by_pool = alice.get("/subnets", subnetpool_id=pool["id"]).json()["subnets"]
    assert sorted(s["cidr"] for s in by_pool) == ["10.7.0.0/24", "10.7.1.0/28", "10.7.9.0/24"]

    def refused(body: dict[str, Any], status: int, kind: str) -> str:
        return neutron_error(alice.post("/subnets", {"subnet": {
            "network_id": net["id"], **body}}), status, kind)

    assert refused({"subnetpool_id": pool["id"], "prefixlen": 29}, 400,
                   "MaxPrefixSubnetAllocationError") == (
        "Unable to allocate subnet with prefix length 29, maximum allowed prefix is 28.")
    assert refused({"subnetpool_id": pool["id"], "cidr": "10.8.0.0/24", "ip_version": 4},
                   400, "SubnetAllocationError") == (
        "Failed to allocate subnet: Cannot allocate requested subnet from the available "
        "set of prefixes.")
    assert refused({"subnetpool_id": pool["id"], "cidr": "10.7.9.0/25", "ip_version": 4},
                   400, "SubnetAllocationError")
    assert refused({"subnetpool_id": pool["id"], "cidr": "10.7.20.0/24", "prefixlen": 24},
                   400, "BadRequest") == (
        "Bad subnets request: cidr and prefixlen must not be supplied together.")
    assert refused({"use_default_subnetpool": True, "ip_version": 4}, 400, "BadRequest") == (
        "Bad subnets request: No default subnetpool found for IPv4.")
    assert refused({"ip_version": 4}, 400, "HTTPBadRequest")
    message = neutron_error(alice.delete(f"/subnetpools/{pool['id']}"), 400,
                            "SubnetPoolDeleteError")
    assert message == "Unable to delete subnet pool: Subnet pool has existing allocations."


def test_shared_default_pool_serves_projects_private_pools_are_hidden(api: Api,
                                                                      admin: Neutron) -> None:
    alice, bob = _member(api), _member(api)
    private = alice.make("subnetpool", name="mine", prefixes=["10.9.0.0/16"])
    neutron_error(bob.get(f"/subnetpools/{private['id']}"), 404, "SubnetPoolNotFound")
    bob_net = bob.network()
    neutron_error(bob.post("/subnets", {"subnet": {
        "network_id": bob_net["id"], "subnetpool_id": private["id"]}}), 404,
        "SubnetPoolNotFound")
    assert bob.get("/subnetpools").json()["subnetpools"] == []
    neutron_error(alice.post("/subnetpools", {"subnetpool": {
        "name": "d", "prefixes": ["10.100.0.0/22"], "is_default": True}}), 403,
        "PolicyNotAuthorized")
    default = admin.make("subnetpool", name="default", prefixes=["10.100.0.0/22"],
                         default_prefixlen=26, shared=True, is_default=True)
    message = neutron_error(admin.post("/subnetpools", {"subnetpool": {
        "name": "d2", "prefixes": ["10.200.0.0/22"], "is_default": True}}), 400,
        "InvalidInput")
    assert "Only one default may exist per IP family" in message
    a = alice.make("subnet", network_id=alice.network()["id"], use_default_subnetpool=True,
                   ip_version=4)
    b = bob.make("subnet", network_id=bob_net["id"], use_default_subnetpool=True,
                 ip_version=4)
    assert (a["cidr"], b["cidr"], a["subnetpool_id"]) == (
        "10.100.0.0/26", "10.100.0.64/26", default["id"])
    assert [p["id"] for p in bob.get("/subnetpools").json()["subnetpools"]] == [default["id"]]
    # Another project sees the shared pool but does not change it.
    neutron_error(bob.put(f"/subnetpools/{default['id']}", {"subnetpool": {"name": "x"}}),
                  403, "PolicyNotAuthorized")


def test_a_seeded_default_pool_serves_use_default_subnetpool(tmp_path: Path) -> None:
    for api in make_api(tmp_path / "state", network_default_subnetpool="10.0.0.0/22",
                        network_default_subnetpool_prefixlen=26):
        alice = _member(api)
        (pool,) = alice.get("/subnetpools").json()["subnetpools"]
        assert (pool["name"], pool["prefixes"], pool["default_prefixlen"], pool["shared"],
                pool["is_default"], pool["project_id"]) == (
            "shared-default-subnetpool-v4", ["10.0.0.0/22"], 26, True, True,
            api.admin_project_id)
        subnet = alice.make("subnet", network_id=alice.network()["id"],
                            use_default_subnetpool=True, ip_version=4)
        assert (subnet["cidr"], subnet["subnetpool_id"]) == ("10.0.0.0/26", pool["id"])
        # Every start seeds again, only while the cloud has no default IPv4 pool.
        api.cloud.seed()
        assert len(Neutron(api).get("/subnetpools").json()["subnetpools"]) == 1
