"""Nova flavors at 2.1: wire shapes, visibility, paging, admin-only changes, access lists,
extra specs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.compute_support import C, Nova, assert_fault

DETAIL_KEYS = {"id", "name", "ram", "vcpus", "disk", "swap", "links", "rxtx_factor",
               "OS-FLV-EXT-DATA:ephemeral", "OS-FLV-DISABLED:disabled",
               "os-flavor-access:is_public"}



def test_seeded_flavors_in_detail_shape(nova: Nova) -> None:
    r = nova.get("/flavors/detail")
    assert r.status_code == 200, r.text
    assert r.headers["OpenStack-API-Version"] == "compute 2.1"
    flavors = r.json()["flavors"]
    assert [(f["id"], f["name"], f["vcpus"], f["ram"], f["disk"]) for f in flavors] == [
        ("1", "m1.tiny", 1, 256, 1), ("2", "m1.small", 1, 512, 2),
        ("3", "m1.medium", 2, 1024, 5), ("4", "m1.large", 4, 2048, 10),
        ("5", "m1.xlarge", 8, 4096, 20)]
    for f in flavors:
        assert set(f) == DETAIL_KEYS
        assert f["swap"] == "" and f["OS-FLV-EXT-DATA:ephemeral"] == 0
        assert f["os-flavor-access:is_public"] is True
        assert f["OS-FLV-DISABLED:disabled"] is False
        assert [link["rel"] for link in f["links"]] == ["self", "bookmark"]
        assert f["links"][0]["href"].endswith(f"/compute/v2.1/flavors/{f['id']}")
        assert f["links"][1]["href"].endswith(f"/compute/flavors/{f['id']}")
    brief = nova.get("/flavors").json()["flavors"]
    assert all(set(f) == {"id", "name", "links"} for f in brief)


def test_seed_is_idempotent(nova: Nova) -> None:
    assert nova.api.cloud.compute.flavors.seed() == 0
    assert len(nova.get("/flavors").json()["flavors"]) == 5


def test_show_by_id_and_404_for_a_name(nova: Nova) -> None:
    r = nova.get("/flavors/1")
    assert r.status_code == 200 and r.json()["flavor"]["name"] == "m1.tiny"
    assert_fault(nova.get("/flavors/m1.tiny"), 404, "itemNotFound")


def test_filters_paging_and_sorting(nova: Nova) -> None:
    def names(r: httpx.Response) -> list[str]:
        return [str(f["name"]) for f in r.json()["flavors"]]

    assert names(nova.get("/flavors/detail", params={"minRam": 1024})) == [
        "m1.medium", "m1.large", "m1.xlarge"]
    assert names(nova.get("/flavors", params={"minDisk": 10})) == ["m1.large", "m1.xlarge"]
    r = nova.get("/flavors/detail", params={"limit": 2})
    assert names(r) == ["m1.tiny", "m1.small"]
    nxt = r.json()["flavors_links"][0]
    assert nxt["rel"] == "next" and "marker=2" in nxt["href"] and "limit=2" in nxt["href"]
    r = nova.get("/flavors/detail", params={"limit": 2, "marker": "4"})
    assert names(r) == ["m1.xlarge"] and "flavors_links" not in r.json()
    assert names(nova.get("/flavors", params={"limit": 0})) == []
    assert names(nova.get("/flavors", params={"marker": "5"})) == []
    assert names(nova.get("/flavors", params={"sort_key": "memory_mb", "sort_dir": "desc"})
                 )[0] == "m1.xlarge"
    assert_fault(nova.get("/flavors", params={"marker": "nope"}), 400, "badRequest")
    assert_fault(nova.get("/flavors", params={"limit": "x"}), 400, "badRequest")
    assert_fault(nova.get("/flavors", params={"minRam": "-1"}), 400, "badRequest")
    assert_fault(nova.get("/flavors", params={"sort_key": "bogus"}), 400, "badRequest")
    assert_fault(nova.get("/flavors", params={"is_public": "maybe"}), 400, "badRequest")
    for word in ("t", "1", "Yes", "on"):
        assert len(names(nova.get("/flavors", params={"is_public": word}))) == 5
    for word in ("f", "0", "No", "off"):
        assert names(nova.get("/flavors", params={"is_public": word})) == []


def test_create_and_delete(nova: Nova) -> None:
    r = nova.post("/flavors", {"flavor": {"name": "c1", "ram": 64, "vcpus": 2, "disk": 3,
                                          "id": None, "swap": 16,
                                          "OS-FLV-EXT-DATA:ephemeral": 1,
                                          "rxtx_factor": 2.0,
                                          "os-flavor-access:is_public": True}})
    assert r.status_code == 200, r.text
    f = r.json()["flavor"]
    assert set(f) == DETAIL_KEYS
    assert len(f["id"]) == 36 and f["swap"] == 16 and f["OS-FLV-EXT-DATA:ephemeral"] == 1
    assert f["rxtx_factor"] == 2.0
    explicit = nova.flavor(name="c2", id="my.flavor-1")
    assert explicit["id"] == "my.flavor-1"
    assert nova.flavor(name="c3", id=42)["id"] == "42"
    assert_fault(nova.post("/flavors", {"flavor": {"name": "c1", "ram": 1, "vcpus": 1,
                                                   "disk": 1}}), 409, "conflictingRequest")
    assert_fault(nova.post("/flavors", {"flavor": {"name": "other", "ram": 1, "vcpus": 1,
                                                   "disk": 1, "id": "my.flavor-1"}}),
                 409, "conflictingRequest")
    r = nova.delete(f"/flavors/{f['id']}")
    assert r.status_code == 202 and r.content == b""
    assert_fault(nova.get(f"/flavors/{f['id']}"), 404, "itemNotFound")
    assert_fault(nova.delete(f"/flavors/{f['id']}"), 404, "itemNotFound")


@pytest.mark.parametrize("body", [
    {"name": "x", "ram": 0, "vcpus": 1, "disk": 1},
    {"name": "x", "ram": 1, "vcpus": 0, "disk": 1},
    {"name": "x", "ram": 1, "vcpus": 1, "disk": -1},
    {"name": "x", "ram": "lots", "vcpus": 1, "disk": 1},
    {"name": "x", "vcpus": 1, "disk": 1},
    {"name": " x", "ram": 1, "vcpus": 1, "disk": 1},
    {"name": "", "ram": 1, "vcpus": 1, "disk": 1},
    {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "id": "bad/id"},
    {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "rxtx_factor": 0},
    {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "os-flavor-access:is_public": "perhaps"},
    {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "description": "only from 2.55"},
])
def test_create_rejects_bad_input(nova: Nova, body: dict[str, Any]) -> None:
    assert_fault(nova.post("/flavors", {"flavor": body}), 400, "badRequest")


def test_bad_bodies(nova: Nova) -> None:
    r = nova.api.http.post(C + "/flavors", content=b"{nope", headers={
        **nova.api.h(), "Content-Type": "application/json"})
    assert_fault(r, 400, "badRequest")
    assert_fault(nova.post("/flavors", {"notflavor": {}}), 400, "badRequest")


def test_members_cannot_change_flavors(nova: Nova) -> None:
    _, token = nova.member()
    body = {"flavor": {"name": "sneaky", "ram": 1, "vcpus": 1, "disk": 1}}
    assert_fault(nova.post("/flavors", body, token), 403, "forbidden")
    assert_fault(nova.delete("/flavors/1", token), 403, "forbidden")
    assert_fault(nova.post("/flavors/1/os-extra_specs", {"extra_specs": {"a": "b"}}, token),
                 403, "forbidden")
    assert nova.get("/flavors/1").status_code == 200
    # The refusals are in the audit trail.
    denied = [e for e in nova.api.events() if e["outcome"] == "denied"
              and e["action"].startswith("compute.flavor")]
    assert len(denied) == 3


def test_private_flavors_and_access_lists(nova: Nova) -> None:
    private = nova.flavor(name="secret", **{"os-flavor-access:is_public": False})
    fid = private["id"]
    project, token = nova.member()
    _, outsider = nova.member()
    # Only admins (listing all or private) and projects with access see it.
    assert fid not in [f["id"] for f in nova.get("/flavors").json()["flavors"]]
    assert fid in [f["id"] for f in nova.get("/flavors", params={"is_public": "None"}
                                             ).json()["flavors"]]
    assert [f["id"] for f in nova.get("/flavors", params={"is_public": "false"}
                                      ).json()["flavors"]] == [fid]
    assert_fault(nova.get(f"/flavors/{fid}", token), 404, "itemNotFound")

    r = nova.post(f"/flavors/{fid}/action", {"addTenantAccess": {"tenant": project}})
    assert r.status_code == 200, r.text
    assert r.json() == {"flavor_access": [{"flavor_id": fid, "tenant_id": project}]}
    assert_fault(nova.post(f"/flavors/{fid}/action", {"addTenantAccess": {"tenant": project}}),
                 409, "conflictingRequest")
    assert nova.get(f"/flavors/{fid}/os-flavor-access").json()["flavor_access"] == [
        {"flavor_id": fid, "tenant_id": project}]
    assert nova.get(f"/flavors/{fid}", token).status_code == 200
    assert fid in [f["id"] for f in nova.get("/flavors/detail", token,
                                             params={"is_public": "None"}).json()["flavors"]]
    assert fid not in [f["id"] for f in nova.get("/flavors/detail", outsider
                                                 ).json()["flavors"]]
    assert_fault(nova.get(f"/flavors/{fid}", outsider), 404, "itemNotFound")
    assert_fault(nova.get(f"/flavors/{fid}/os-flavor-access", token), 403, "forbidden")

    r = nova.post(f"/flavors/{fid}/action", {"removeTenantAccess": {"tenant": project}})
    assert r.status_code == 200 and r.json() == {"flavor_access": []}
    assert_fault(nova.post(f"/flavors/{fid}/action", {"removeTenantAccess": {"tenant": project}}),
                 404, "itemNotFound")
    assert_fault(nova.get(f"/flavors/{fid}", token), 404, "itemNotFound")
    # Public flavors have no access list.
    assert_fault(nova.get("/flavors/1/os-flavor-access"), 404, "itemNotFound")
    assert_fault(nova.post("/flavors/1/action", {"addTenantAccess": {"tenant": project}}),
                 409, "conflictingRequest")
    assert_fault(nova.post(f"/flavors/{fid}/action", {"frobnicate": {}}), 400, "badRequest")


def test_extra_specs(nova: Nova) -> None:
    assert nova.get("/flavors/1/os-extra_specs").json() == {"extra_specs": {}}
    r = nova.post("/flavors/1/os-extra_specs", {"extra_specs": {"hw:cpu_policy": "dedicated",
                                                                "quota:n": 5}})
    assert r.status_code == 200 and r.json() == {
        "extra_specs": {"hw:cpu_policy": "dedicated", "quota:n": "5"}}
    r = nova.get("/flavors/1/os-extra_specs/hw:cpu_policy")
    assert r.status_code == 200 and r.json() == {"hw:cpu_policy": "dedicated"}
    r = nova.put("/flavors/1/os-extra_specs/hw:cpu_policy", {"hw:cpu_policy": "shared"})
    assert r.status_code == 200 and r.json() == {"hw:cpu_policy": "shared"}
    assert_fault(nova.put("/flavors/1/os-extra_specs/a", {"b": "c"}), 400, "badRequest")
    assert_fault(nova.post("/flavors/1/os-extra_specs", {"extra_specs": {"bad/key": "v"}}),
                 400, "badRequest")
    _, token = nova.member()
    assert nova.get("/flavors/1/os-extra_specs", token).json()["extra_specs"] == {
        "hw:cpu_policy": "shared", "quota:n": "5"}
    r = nova.delete("/flavors/1/os-extra_specs/quota:n")
    assert r.status_code == 200
    assert_fault(nova.get("/flavors/1/os-extra_specs/quota:n"), 404, "itemNotFound")
    assert_fault(nova.delete("/flavors/1/os-extra_specs/quota:n"), 404, "itemNotFound")
    assert_fault(nova.get("/flavors/nope/os-extra_specs"), 404, "itemNotFound")


def test_flavor_microversions(nova: Nova) -> None:
    """2.55 description (create, PUT, every view), 2.61 extra_specs in the detailed views,
    2.75 swap 0 instead of ""."""
    v55 = nova.at("2.55")
    r = v55.post("/flavors", {"flavor": {"name": "described", "ram": 128, "vcpus": 1,
                                         "disk": 1, "id": "d1", "description": "small"}})
    assert r.status_code == 200, r.text
    assert r.json()["flavor"]["description"] == "small"
    assert r.json()["flavor"]["swap"] == "" and "extra_specs" not in r.json()["flavor"]
    assert_fault(nova.at("2.54").post("/flavors", {"flavor": {
        "name": "x", "ram": 128, "vcpus": 1, "disk": 1, "description": "no"}}), 400,
        "badRequest", "2.54")
    assert nova.at("2.54").put("/flavors/d1", {"flavor": {"description": "x"}}
                               ).status_code == 404
    r = v55.put("/flavors/d1", {"flavor": {"description": "tiny"}})
    assert r.status_code == 200 and r.json()["flavor"]["description"] == "tiny"
    _, token = nova.member()
    assert_fault(v55.put("/flavors/d1", {"flavor": {"description": "x"}}, token), 403,
                 "forbidden", "2.55")
    brief = {f["id"]: f for f in v55.get("/flavors").json()["flavors"]}
    assert brief["d1"]["description"] == "tiny"
    assert "description" not in nova.at("2.54").get("/flavors/d1").json()["flavor"]
    assert nova.post("/flavors/d1/os-extra_specs", {"extra_specs": {"hw:cpu": "1"}}
                     ).status_code == 200
    shown = nova.at("2.61").get("/flavors/d1").json()["flavor"]
    assert shown["extra_specs"] == {"hw:cpu": "1"} and shown["swap"] == ""
    assert nova.at("2.75").get("/flavors/d1").json()["flavor"]["swap"] == 0
