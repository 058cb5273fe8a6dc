"""Server tags (microversion 2.26): the /tags routes, Nova's limits and errors, and the
list filters tags, tags-any, not-tags, not-tags-any."""

from __future__ import annotations

import pytest

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.conftest import Api

V = "2.26"


@pytest.fixture
def nova(api: Api) -> Nova:
    return Nova(api, V)



def test_tags_lifecycle(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    base = f"/servers/{sid}/tags"
    assert nova.get(base, token).json() == {"tags": []}

    r = nova.put(f"{base}/red", None, token)
    assert r.status_code == 201 and r.content == b""
    assert r.headers["Location"].endswith(f"/compute/v2.1/servers/{sid}/tags/red")
    r = nova.put(f"{base}/red", None, token)
    assert r.status_code == 204 and "Location" not in r.headers
    r = nova.put_raw(f"{base}/two%20words", b"", token)
    assert r.status_code == 201
    assert r.headers["Location"].endswith("/tags/two%20words")
    assert nova.get(base, token).json() == {"tags": ["red", "two words"]}
    assert nova.get(f"{base}/red", token).status_code == 204
    message = assert_fault(nova.get(f"{base}/blue", token), 404, "itemNotFound", V)
    assert message == f"Server {sid} has no tag 'blue'"

    r = nova.put(base, {"tags": ["b", "a", "b"]}, token)
    assert r.status_code == 200 and r.json() == {"tags": ["a", "b"]}
    shown = nova.get(f"/servers/{sid}", token).json()["server"]
    assert shown["tags"] == ["a", "b"]
    r = nova.put(f"/servers/{sid}", {"server": {"name": "x"}}, token)
    assert r.json()["server"]["tags"] == ["a", "b"]

    assert nova.delete(f"{base}/a", token).status_code == 204
    message = assert_fault(nova.delete(f"{base}/a", token), 404, "itemNotFound", V)
    assert message == f"Instance {sid} has no tag 'a'"
    r = nova.delete(base, token)
    assert r.status_code == 204 and r.content == b""
    assert nova.get(base, token).json() == {"tags": []}
    events = [e for e in nova.api.events() if e["action"] == "compute.server.tags"]
    assert len(events) == 5 and {e["target"]["id"] for e in events} == {sid}


def test_tags_limits_and_bad_input(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    base = f"/servers/{sid}/tags"
    bad_bodies = [{}, {"tags": "a"}, {"tags": ["a"], "other": 1}, {"tags": [""]},
                  {"tags": ["a,b"]}, {"tags": ["x" * 61]}, {"tags": [1]},
                  {"tags": [f"t{i}" for i in range(51)]}, []]
    for body in bad_bodies:
        assert_fault(nova.put(base, body), 400, "badRequest", V)
    assert_fault(nova.put_raw(base, b"{not json"), 400, "badRequest", V)
    for bad in ("a,b", "x" * 61):
        message = assert_fault(nova.put(f"{base}/{bad}", None), 400, "badRequest", V)
        assert "must be a non empty string without characters '/' and ','" in message
    # A tag of exactly 60 characters is fine; adding one takes no body.
    assert nova.put(f"{base}/{'x' * 60}", None).status_code == 201
    assert_fault(nova.put(f"{base}/y", {"tag": "y"}), 400, "badRequest", V)

    full = [f"t{i}" for i in range(50)]
    assert nova.put(base, {"tags": full}).json()["tags"] == sorted(full)
    message = assert_fault(nova.put(f"{base}/one-more", None), 400, "badRequest", V)
    assert message == "The number of tags exceeded the per-server limit 50"
    # Nova counts first: even a tag the server has is refused at the limit.
    assert_fault(nova.put(f"{base}/t1", None), 400, "badRequest", V)


def test_tags_need_the_microversion_and_a_visible_settled_server(
        nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    for old in ("2.1", "2.25"):
        assert_fault(nova.at(old).get(f"/servers/{sid}/tags"), 404, "itemNotFound", old)
        assert_fault(nova.at(old).put(f"/servers/{sid}/tags/a", None), 404, "itemNotFound",
                     old)
    assert_fault(nova.get("/servers/nope/tags"), 404, "itemNotFound", V)
    assert_fault(nova.put("/servers/nope/tags/a", None), 404, "itemNotFound", V)
    _, stranger = nova.member()
    assert_fault(nova.get(f"/servers/{sid}/tags", stranger), 404, "itemNotFound", V)
    assert_fault(nova.put(f"/servers/{sid}/tags/a", None, stranger), 404, "itemNotFound", V)

    building = servers.create()["id"]
    message = assert_fault(nova.put(f"/servers/{building}/tags/a", None), 409,
                           "conflictingRequest", V)
    assert message == (f"Cannot 'update tag' instance {building} while it is in vm_state "
                       "building")
    for call in (nova.put(f"/servers/{building}/tags", {"tags": []}),
                 nova.delete(f"/servers/{building}/tags"),
                 nova.delete(f"/servers/{building}/tags/a")):
        assert_fault(call, 409, "conflictingRequest", V)
    # Reading works in any state; a locked server can still be tagged, as in Nova.
    assert nova.get(f"/servers/{building}/tags").json() == {"tags": []}
    assert nova.post(f"/servers/{sid}/action", {"lock": None}).status_code == 202
    assert nova.put(f"/servers/{sid}/tags/locked", None).status_code == 201


def test_list_filters(nova: Nova, servers: Servers) -> None:
    tagged = {"a": ["red", "blue"], "b": ["red"], "c": ["green"], "d": []}
    ids = {}
    for name, tags in tagged.items():
        ids[name] = servers.active(name=name)
        assert nova.put(f"/servers/{ids[name]}/tags", {"tags": tags}).status_code == 200

    def names(**params: str) -> list[str]:
        r = nova.get("/servers", params=params)
        assert r.status_code == 200, r.text
        return sorted(s["name"] for s in r.json()["servers"])

    assert names(tags="red") == ["a", "b"]
    assert names(tags="red,blue") == ["a"]
    assert names(**{"tags-any": "blue,green"}) == ["a", "c"]
    assert names(**{"not-tags": "red,blue"}) == ["b", "c", "d"]
    assert names(**{"not-tags-any": "red,green"}) == ["d"]
    assert names(tags="red", **{"not-tags": "blue"}) == ["b"]
    assert names(tags="nothing") == []
    detail = nova.get("/servers/detail", params={"tags": "green"}).json()["servers"]
    assert [(s["name"], s["tags"]) for s in detail] == [("c", ["green"])]
    # Below 2.26 the filters do not exist: ignored, as before.
    r = nova.at("2.25").get("/servers", params={"tags": "nothing"})
    assert len(r.json()["servers"]) == 4
