"""Neutron lists: fields=, filters by attribute, sort_key/sort_dir, limit/marker paging with
<collection>_links in both directions."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.api.conftest import Api
from tests.api.network_support import V2, Neutron, neutron_error


def _member(api: Api) -> Neutron:
    return Neutron(api, api.member_of(api.project()["id"])[1])


def test_fields_keep_only_what_was_asked(api: Api) -> None:
    n = _member(api)
    net = n.network(name="f")
    listed = n.get("/networks", fields=["id", "name"]).json()["networks"]
    assert listed == [{"id": net["id"], "name": "f"}]
    shown = n.get(f"/networks/{net['id']}", fields="mtu").json()["network"]
    assert shown == {"mtu": 1450}
    # What a policy row hides stays hidden even when asked for.
    hidden = n.get(f"/networks/{net['id']}",
                   fields=["id", "provider:segmentation_id"]).json()["network"]
    assert hidden == {"id": net["id"]}


def test_filters_by_attribute(api: Api) -> None:
    n = _member(api)
    red = n.network(name="red")
    blue = n.network(name="blue", admin_state_up=False)
    assert [x["id"] for x in n.get("/networks", name="red").json()["networks"]] == [red["id"]]
    assert [x["id"] for x in n.get("/networks", admin_state_up="False").json()["networks"]
            ] == [blue["id"]]
    both = n.get("/networks", name=["red", "blue"]).json()["networks"]
    assert {x["id"] for x in both} == {red["id"], blue["id"]}
    sub = n.subnet(red["id"], "10.3.0.0/24")
    port = n.make("port", network_id=red["id"], device_id="vm-1")
    n.make("port", network_id=red["id"])
    assert [p["id"] for p in n.get("/ports", device_id="vm-1").json()["ports"]] == [port["id"]]
    by_ip = n.get("/ports", fixed_ips=f"ip_address={port['fixed_ips'][0]['ip_address']}")
    assert [p["id"] for p in by_ip.json()["ports"]] == [port["id"]]
    assert len(n.get("/ports", fixed_ips=f"subnet_id={sub['id']}").json()["ports"]) == 2
    assert len(n.get("/ports", fixed_ips="ip_address_substr=10.3.0.").json()["ports"]) == 2
    assert n.get("/ports", fixed_ips="ip_address_substr=10.9.").json()["ports"] == []
    assert [s["id"] for s in n.get("/subnets", network_id=red["id"]).json()["subnets"]] == [
        sub["id"]]
    assert n.get("/subnets", network_id=blue["id"]).json()["subnets"] == []


def test_sorting(api: Api) -> None:
    n = _member(api)
    for name in ("b", "c", "a"):
        n.network(name=name)
    names = [x["name"] for x in n.get("/networks", sort_key="name").json()["networks"]]
    assert names == ["a", "b", "c"]
    names = [x["name"] for x in n.get("/networks", sort_key="name",
                                      sort_dir="desc").json()["networks"]]
    assert names == ["c", "b", "a"]
    neutron_error(n.get("/networks", sort_key="bogus"), 400, "HTTPBadRequest")
    neutron_error(n.get("/networks", sort_key="name", sort_dir="up"), 400, "HTTPBadRequest")


def _query(href: str) -> dict[str, list[str]]:
    parts = urlsplit(href)
    assert parts.path.endswith(f"{V2}/networks")
    return parse_qs(parts.query)


def test_paging_follows_next_and_previous_links(api: Api) -> None:
    n = _member(api)
    made = [n.network(name=f"n{i}") for i in range(5)]
    expected = [x["name"] for x in sorted(made, key=lambda x: x["name"])]
    seen: list[str] = []
    params: dict[str, object] = {"limit": 2, "sort_key": "name"}
    pages = 0
    while True:
        body = n.get("/networks", **params).json()
        seen += [x["name"] for x in body["networks"]]
        pages += 1
        nxt = [link for link in body.get("networks_links", []) if link["rel"] == "next"]
        if not nxt:
            break
        params = {k: v for k, v in _query(nxt[0]["href"]).items()}
    assert seen == expected and pages == 3
    # The last page points back; following "previous" gives the page before it.
    prev = [link for link in body["networks_links"] if link["rel"] == "previous"]
    back = n.get("/networks", **_query(prev[0]["href"])).json()
    assert [x["name"] for x in back["networks"]] == expected[2:4]
    # No limit, no links.
    assert "networks_links" not in n.get("/networks").json()
    neutron_error(n.get("/networks", limit=2, marker="f0b9c5e6-0000-4000-8000-000000000000"),
                  404, "NetworkNotFound")


def test_admins_filter_and_sort_by_project(api: Api) -> None:
    admin = Neutron(api)
    a, b = api.project(), api.project()
    made = [admin.network(project_id=p["id"]) for p in (b, a)]
    listed = admin.get("/networks", tenant_id=[a["id"], b["id"]], sort_key="project_id")
    assert [n["project_id"] for n in listed.json()["networks"]] == sorted([a["id"], b["id"]])
    only_a = admin.get("/networks", project_id=a["id"]).json()["networks"]
    assert [n["id"] for n in only_a] == [made[1]["id"]]
