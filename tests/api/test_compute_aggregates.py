"""os-aggregates: host aggregates, and the availability zones they give their hosts."""

from __future__ import annotations

from typing import Any

from nuage.ports.hypervisor import HostCapabilities
from tests.api.compute_servers import HOST, Servers
from tests.api.compute_support import Nova, assert_fault

FULL = {"id", "name", "availability_zone", "created_at", "updated_at", "deleted",
        "deleted_at", "hosts", "metadata"}


def _create(nova: Nova, name: str, zone: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if zone is not None:
        body["availability_zone"] = zone
    r = nova.post("/os-aggregates", {"aggregate": body})
    assert r.status_code == 200, r.text
    return dict(r.json()["aggregate"])


def _act(nova: Nova, aid: int, action: str, arg: Any) -> Any:
    return nova.post(f"/os-aggregates/{aid}/action", {action: arg})


def _zones(nova: Nova) -> dict[str, bool]:
    found = nova.get("/os-availability-zone").json()["availabilityZoneInfo"]
    return {z["zoneName"]: z["zoneState"]["available"] for z in found}


def test_aggregate_lifecycle_and_zones(nova: Nova, servers: Servers) -> None:
    created = _create(nova, "agg1", "zone-a")
    assert set(created) == FULL - {"hosts", "metadata"}
    assert created["availability_zone"] == "zone-a" and created["deleted"] is False
    aid = created["id"]
    shown = nova.get(f"/os-aggregates/{aid}").json()["aggregate"]
    assert set(shown) == FULL and shown["metadata"] == {"availability_zone": "zone-a"}
    assert [a["name"] for a in nova.get("/os-aggregates").json()["aggregates"]] == ["agg1"]

    # Adding the host moves it into the aggregate's zone.
    r = _act(nova, aid, "add_host", {"host": HOST})
    assert r.status_code == 200, r.text
    assert r.json()["aggregate"]["hosts"] == [HOST]
    assert _zones(nova) == {"zone-a": True}
    services = nova.get("/os-services?binary=nova-compute").json()["services"]
    assert services[0]["zone"] == "zone-a"
    # Servers can ask for the zone, and placement honours it.
    server = servers.create(availability_zone="zone-a")
    assert nova.get(f"/servers/{server['id']}").json()["server"]["status"] == "BUILD"
    assert_fault(nova.post("/servers", {"server": {
        "name": "x", "imageRef": servers.image_id, "flavorRef": "1",
        "availability_zone": "nova"}}), 400, "badRequest")

    # Metadata merges; null removes a key. The zone cannot move while servers run there.
    r = _act(nova, aid, "set_metadata", {"metadata": {"ssd": "true"}})
    assert r.json()["aggregate"]["metadata"] == {"availability_zone": "zone-a", "ssd": "true"}
    assert_fault(_act(nova, aid, "set_metadata", {"metadata": {"availability_zone": "b"}}),
                 400, "badRequest")
    assert nova.delete(f"/servers/{server['id']}").status_code == 204
    with nova.api.cloud.compute_ports.uow(write=True) as uow:
        uow.allocations.delete_where(server_id=server["id"])
        found = uow.servers.get(server["id"])
        assert found is not None
        found.deleted = True
        uow.commit()
    r = nova.put(f"/os-aggregates/{aid}", {"aggregate": {"name": "agg-1",
                                                          "availability_zone": "zone-b"}})
    assert r.status_code == 200, r.text
    assert r.json()["aggregate"]["updated_at"] is not None
    assert _zones(nova) == {"zone-b": True}
    r = _act(nova, aid, "set_metadata", {"metadata": {"availability_zone": None}})
    assert r.json()["aggregate"]["availability_zone"] is None
    assert _zones(nova) == {"nova": True}

    # Not deleted while it has hosts.
    assert_fault(nova.delete(f"/os-aggregates/{aid}"), 400, "badRequest")
    assert _act(nova, aid, "remove_host", {"host": HOST}).json()["aggregate"]["hosts"] == []
    assert_fault(_act(nova, aid, "remove_host", {"host": HOST}), 404, "itemNotFound")
    r = nova.delete(f"/os-aggregates/{aid}")
    assert r.status_code == 200 and r.content == b""
    assert_fault(nova.get(f"/os-aggregates/{aid}"), 404, "itemNotFound")
    actions = {e["action"] for e in nova.api.events()}
    assert {"compute.aggregate.create", "compute.aggregate.add_host",
            "compute.aggregate.set_metadata", "compute.aggregate.update",
            "compute.aggregate.remove_host", "compute.aggregate.delete"} <= actions


def test_a_host_has_one_zone(nova: Nova, servers: Servers) -> None:
    a = _create(nova, "a", "zone-a")["id"]
    b = _create(nova, "b", "zone-b")["id"]
    plain = _create(nova, "plain")["id"]
    assert _act(nova, a, "add_host", {"host": HOST}).status_code == 200
    assert_fault(_act(nova, b, "add_host", {"host": HOST}), 409, "conflictingRequest")
    # An aggregate without a zone takes the host; then it cannot take another zone.
    assert _act(nova, plain, "add_host", {"host": HOST}).status_code == 200
    assert_fault(nova.put(f"/os-aggregates/{plain}",
                          {"aggregate": {"availability_zone": "zone-b"}}), 400, "badRequest")
    assert nova.put(f"/os-aggregates/{plain}",
                    {"aggregate": {"availability_zone": "zone-a"}}).status_code == 200
    assert_fault(_act(nova, a, "add_host", {"host": HOST}), 409, "conflictingRequest")


def test_aggregate_errors(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    aid = _create(nova, "agg")["id"]
    assert_fault(nova.post("/os-aggregates", {"aggregate": {"name": "agg"}}), 409,
                 "conflictingRequest")
    for body in ({"name": ""}, {"name": "x" * 256}, {"name": " x"}, {},
                 {"name": "y", "availability_zone": ""},
                 {"name": "y", "availability_zone": "a:b"},
                 {"name": "y", "availability_zone": "internal"}, {"name": "y", "z": 1}):
        assert_fault(nova.post("/os-aggregates", {"aggregate": body}), 400, "badRequest")
    for missing in ("999999", "-1", "abc"):
        assert_fault(nova.get(f"/os-aggregates/{missing}"), 404, "itemNotFound")
        assert_fault(nova.delete(f"/os-aggregates/{missing}"), 404, "itemNotFound")
    assert_fault(_act(nova, aid, "add_host", {"host": "no-such-host"}), 404, "itemNotFound")
    assert_fault(_act(nova, aid, "remove_host", {"host": "no-such-host"}), 404,
                 "itemNotFound")
    assert_fault(_act(nova, aid, "explode", {}), 400, "badRequest")
    assert_fault(nova.put(f"/os-aggregates/{aid}", {"aggregate": {}}), 400, "badRequest")
    assert _act(nova, aid, "add_host", {"host": HOST}).status_code == 200
    assert_fault(_act(nova, aid, "add_host", {"host": HOST}), 409, "conflictingRequest")
    _create(nova, "other")
    assert_fault(nova.put(f"/os-aggregates/{aid}", {"aggregate": {"name": "other"}}), 409,
                 "conflictingRequest")
    # Administrators only.
    assert_fault(nova.get("/os-aggregates", token), 403, "forbidden")
    assert_fault(nova.get(f"/os-aggregates/{aid}", token), 403, "forbidden")
    assert_fault(nova.post("/os-aggregates", {"aggregate": {"name": "u"}}, token), 403,
                 "forbidden")
    assert_fault(nova.delete(f"/os-aggregates/{aid}", token), 403, "forbidden")
    assert_fault(nova.post(f"/os-aggregates/{aid}/action", {"remove_host": {"host": HOST}},
                           token), 403, "forbidden")


def test_placement_follows_aggregate_zones(nova: Nova, servers: Servers) -> None:
    nova.api.cloud.compute.hosts.register(HostCapabilities("host2", "tcg", 8, 16384, 200))
    aid = _create(nova, "edge", "edge")["id"]
    assert _act(nova, aid, "add_host", {"host": "host2"}).status_code == 200
    assert _zones(nova) == {"edge": True, "nova": True}
    for zone, host in (("edge", "host2"), ("nova", HOST)):
        sid = servers.create(availability_zone=zone)["id"]
        shown = nova.get(f"/servers/{sid}").json()["server"]
        assert shown["OS-EXT-SRV-ATTR:host"] == host
        assert shown["OS-EXT-AZ:availability_zone"] == zone
