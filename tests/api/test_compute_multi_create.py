"""POST /servers with min_count/max_count and return_reservation_id, as Nova answers it:
one request, all or nothing."""

from __future__ import annotations

from typing import Any

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault


def _quota(nova: Nova, project_id: str, **limits: int) -> None:
    r = nova.put(f"/os-quota-sets/{project_id}", {"quota_set": limits})
    assert r.status_code == 200, r.text


def _mine(nova: Nova, token: str) -> list[dict[str, Any]]:
    return list(nova.at("2.3").get("/servers/detail", token).json()["servers"])


def _body(servers: Servers, **fields: object) -> dict[str, object]:
    return {"server": {"name": "web", "imageRef": servers.image_id, "flavorRef": "1",
                       **fields}}


def test_the_answer_is_the_first_server(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    first = servers.create(token, name="web", min_count=1, max_count=3)
    found = {s["name"]: s for s in _mine(nova, token)}
    assert sorted(found) == ["web-1", "web-2", "web-3"]
    assert found["web-1"]["id"] == first["id"]


def test_return_reservation_id(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    r = nova.post("/servers", _body(servers, max_count=2, return_reservation_id=True), token)
    assert r.status_code == 202, r.text
    assert list(r.json()) == ["reservation_id"]
    reservation = r.json()["reservation_id"]
    assert reservation.startswith("r-")
    shown = nova.at("2.3").get("/servers/detail",
                               params={"all_tenants": "1"}).json()["servers"]
    assert sorted(s["name"] for s in shown
                  if s["OS-EXT-SRV-ATTR:reservation_id"] == reservation) == ["web-1", "web-2"]
    # One server: the same answer shape.
    r = nova.post("/servers", _body(servers, return_reservation_id="true"), token)
    assert r.status_code == 202 and list(r.json()) == ["reservation_id"], r.text
    r = nova.post("/servers", _body(servers, return_reservation_id="maybe"), token)
    assert_fault(r, 400, "badRequest")


def test_the_quota_cuts_max_count_down_to_what_fits(nova: Nova, servers: Servers) -> None:
    project, token = nova.member()
    _quota(nova, project, instances=3)
    servers.create(token, name="old")
    servers.create(token, name="web", min_count=1, max_count=5)
    assert sorted(s["name"] for s in _mine(nova, token)) == ["old", "web-1", "web-2"]


def test_min_count_over_the_quota_is_403_and_leaves_nothing(nova: Nova,
                                                           servers: Servers) -> None:
    project, token = nova.member()
    _quota(nova, project, instances=3)
    servers.create(token, name="old")
    r = nova.post("/servers", _body(servers, min_count=3, max_count=4), token)
    assert "Quota exceeded for instances" in assert_fault(r, 403, "forbidden")
    assert [s["name"] for s in _mine(nova, token)] == ["old"]
    used = nova.get(f"/os-quota-sets/{project}/detail").json()["quota_set"]
    assert used["instances"]["in_use"] == 1 and used["cores"]["in_use"] == 1
    with nova.api.cloud.compute_ports.uow() as uow:
        assert len(uow.allocations.find()) == 1


def test_min_count_above_max_count_is_400(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    r = nova.post("/servers", _body(servers, min_count=3, max_count=2), token)
    assert "min_count must be <= max_count" in assert_fault(r, 400, "badRequest")
    for bad in ({"min_count": 0}, {"max_count": "two"}, {"max_count": 1.5},
                {"min_count": True}):
        assert_fault(nova.post("/servers", _body(servers, **bad), token), 400, "badRequest")
    assert _mine(nova, token) == []


def test_no_room_for_all_puts_all_in_error(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    # The host has 16 GiB: two of these fit, three do not.
    flavor = nova.flavor(name="half", ram=6144)
    r = nova.post("/servers", _body(servers, flavorRef=flavor["id"], min_count=3,
                                    max_count=3), token)
    assert r.status_code == 202, r.text
    found = _mine(nova, token)
    assert sorted(s["status"] for s in found) == ["ERROR"] * 3
    assert all("No valid host" in s["fault"]["message"] for s in found)
    with nova.api.cloud.compute_ports.uow() as uow:
        assert uow.allocations.find() == []
