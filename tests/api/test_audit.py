"""GET /audit/v1/events: who sees what, filters, paging; and that every change is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.api.conftest import PASSWORD, V3, Api, assert_error

CLIENT_IP = "testclient"  # what Starlette's TestClient reports as the peer address


def _by_request(api: Api, r: httpx.Response) -> list[dict[str, Any]]:
    rid = r.headers["X-Openstack-Request-Id"]
    return [e for e in api.events() if e["request_id"] == rid]


# -- visibility --------------------------------------------------------------------------------
def test_a_project_reader_sees_only_their_project_including_provider_actions(api: Api) -> None:
    a, b = api.project(), api.project()
    reader, token = api.member_of(a["id"], "reader")
    # The provider's operator acts on A (grants a role) and on B.
    newcomer = api.user()
    api.grant(a["id"], newcomer["id"], "member")
    api.grant(b["id"], newcomer["id"], "member")
    api.patch(f"/projects/{a['id']}", {"project": {"description": "touched by the provider"}})

    seen = api.events(token)
    assert seen, "a reader sees their project's events"
    assert {e["project_id"] for e in seen} == {a["id"]}
    provider = [e for e in seen if e["by_provider"]]
    assert {e["action"] for e in provider} >= {"identity.role_assignment.create",
                                               "identity.project.update"}
    for e in provider:
        assert e["actor"]["user_id"] == api.admin_user_id
        assert e["actor"]["project_id"] == api.admin_project_id
    # The reader's own log-in is an event of the project, not by the provider.
    own = [e for e in seen if e["action"] == "identity.authenticate"
           and e["actor"]["user_id"] == reader["id"]]
    assert own and not own[0]["by_provider"]
    # Asking for B, explicitly, is refused.
    r = api.http.get("/audit/v1/events", params={"project_id": b["id"]}, headers=api.h(token))
    assert_error(r, 403)
    # Asking for A explicitly gives the same.
    assert api.events(token, project_id=a["id"]) == seen


def test_a_member_also_reads_their_project_trail(api: Api) -> None:
    a = api.project()
    _, token = api.member_of(a["id"], "member")
    assert {e["project_id"] for e in api.events(token)} == {a["id"]}


def test_admins_see_every_event(api: Api) -> None:
    a, b = api.project(), api.project()
    api.member_of(a["id"])
    api.member_of(b["id"])
    everything = api.events()
    projects = {e["project_id"] for e in everything}
    assert {a["id"], b["id"], None} <= projects
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs) and seqs[0] == 1 and len(set(seqs)) == len(seqs)
    # The admin's own actions on other projects are marked as the provider's.
    created = [e for e in everything if e["action"] == "identity.project.create"
               and e["target"]["id"] == a["id"]]
    assert created[0]["by_provider"] is True
    # A system-scoped admin token reads everything too.
    r = api.http.post(f"{V3}/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": api.admin_password}}},
        "scope": {"system": {"all": True}}}})
    assert r.status_code == 201, r.text
    system = api.events(r.headers["X-Subject-Token"])
    assert {e["seq"] for e in everything} <= {e["seq"] for e in system}


def test_an_unscoped_token_reads_nothing(api: Api) -> None:
    user = api.user()
    token = api.login(user["name"])
    r = api.http.get("/audit/v1/events", headers=api.h(token))
    assert_error(r, 403)


def test_event_wire_shape(api: Api) -> None:
    event = api.events()[-1]
    assert set(event) == {"seq", "id", "at", "action", "outcome", "target", "project_id",
                          "actor", "by_provider", "source_ip", "request_id", "detail",
                          "prev_hash", "hash"}
    assert set(event["target"]) == {"type", "id"}
    assert set(event["actor"]) == {"user_id", "project_id"}
    assert event["at"].endswith("Z") and len(event["hash"]) == 64


# -- filters and paging ------------------------------------------------------------------------
def test_filters(api: Api) -> None:
    a, b = api.project(), api.project()
    user, _ = api.member_of(a["id"])
    everything = api.events()

    def check(params: dict[str, Any], keep: Callable[[dict[str, Any]], bool]) -> None:
        got = api.events(**params)
        assert got == [e for e in everything if keep(e)], params
        assert got, params

    check({"project_id": a["id"]}, lambda e: e["project_id"] == a["id"])
    check({"project_id": b["id"]}, lambda e: e["project_id"] == b["id"])
    check({"action": "identity.user.create"}, lambda e: e["action"] == "identity.user.create")
    check({"target_type": "role_assignment"},
          lambda e: e["target"]["type"] == "role_assignment")
    check({"target_id": user["id"]}, lambda e: e["target"]["id"] == user["id"])
    check({"action": "identity.authenticate", "target_id": user["id"]},
          lambda e: e["action"] == "identity.authenticate" and e["target"]["id"] == user["id"])
    middle = everything[len(everything) // 2]["at"]
    check({"since": middle}, lambda e: e["at"] >= middle)
    check({"until": middle}, lambda e: e["at"] <= middle)
    check({"since": everything[0]["at"], "until": everything[-1]["at"]}, lambda e: True)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert api.events(since=future) == []
    assert api.events(action="no.such.action") == []


def test_paging_with_limit_marker_and_next_links(api: Api) -> None:
    for _ in range(3):
        api.project()
    everything = api.events()
    assert len(everything) > 7
    collected: list[dict[str, Any]] = []
    url: str | None = "/audit/v1/events?limit=3"
    pages = 0
    while url:
        r = api.http.get(url, headers=api.h())
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["events"]) <= 3
        collected += body["events"]
        nxt = body["links"]["next"]
        if nxt:
            parts = urlsplit(nxt)
            query = parse_qs(parts.query)
            assert query["limit"] == ["3"]
            assert int(query["marker"][0]) == body["events"][-1]["seq"]
            url = f"{parts.path}?{parts.query}"
        else:
            url = None
        pages += 1
    # Everything, once, in order (the listing above is older than the paging's own reads).
    assert [e["seq"] for e in collected][:len(everything)] == [e["seq"] for e in everything]
    assert pages >= 3
    # Filters survive into the next link.
    r = api.http.get("/audit/v1/events", params={"limit": 1, "action": "identity.project.create"},
                     headers=api.h())
    nxt = r.json()["links"]["next"]
    assert nxt and "action=identity.project.create" in nxt
    # An explicit marker resumes after that sequence number.
    r = api.http.get("/audit/v1/events", params={"marker": everything[2]["seq"], "limit": 2},
                     headers=api.h())
    assert [e["seq"] for e in r.json()["events"]] == [e["seq"] for e in everything[3:5]]


# -- every change leaves a trace -----------------------------------------------------------
def test_every_state_changing_request_is_audited(api: Api) -> None:
    project = api.project()
    user = api.user()
    user_token: str | None = None
    member = api.role_id("member")
    # (request, action, target type, target id, project id, what to remember from the reply)
    ids: dict[str, str] = {}

    def remember(key: str, path: list[str]) -> Callable[[httpx.Response], None]:
        def keep(r: httpx.Response) -> None:
            value: Any = r.json()
            for p in path:
                value = value[p]
            ids[key] = value
        return keep

    steps: list[tuple[Callable[[], httpx.Response], str, str, Callable[[], str | None],
                      Callable[[], str | None], Callable[[httpx.Response], None] | None]] = [
        (lambda: api.post("/projects", {"project": {"name": "audited"}}),
         "identity.project.create", "project", lambda: None, lambda: None,
         remember("project", ["project", "id"])),
        (lambda: api.patch(f"/projects/{ids['project']}", {"project": {"description": "d"}}),
         "identity.project.update", "project", lambda: ids["project"], lambda: ids["project"],
         None),
        (lambda: api.post("/users", {"user": {"name": "audited-user", "password": PASSWORD}}),
         "identity.user.create", "user", lambda: None, lambda: None,
         remember("user", ["user", "id"])),
        (lambda: api.patch(f"/users/{ids['user']}", {"user": {"email": "x@example.org"}}),
         "identity.user.update", "user", lambda: ids["user"], lambda: None, None),
        (lambda: api.put(f"/projects/{project['id']}/users/{user['id']}/roles/{member}"),
         "identity.role_assignment.create", "role_assignment", lambda: member,
         lambda: project["id"], None),
        (lambda: api.post("/groups", {"group": {"name": "audited-group"}}),
         "identity.group.create", "group", lambda: None, lambda: None,
         remember("group", ["group", "id"])),
        (lambda: api.put(f"/groups/{ids['group']}/users/{user['id']}"),
         "identity.group.add_member", "group", lambda: ids["group"], lambda: None, None),
        (lambda: api.delete(f"/groups/{ids['group']}/users/{user['id']}"),
         "identity.group.remove_member", "group", lambda: ids["group"], lambda: None, None),
        (lambda: api.delete(f"/groups/{ids['group']}"),
         "identity.group.delete", "group", lambda: ids["group"], lambda: None, None),
        (lambda: api.post("/roles", {"role": {"name": "audited-role"}}),
         "identity.role.create", "role", lambda: None, lambda: None,
         remember("role", ["role", "id"])),
        (lambda: api.delete(f"/roles/{ids['role']}"),
         "identity.role.delete", "role", lambda: ids["role"], lambda: None, None),
        (lambda: api.post("/domains", {"domain": {"name": "audited-domain"}}),
         "identity.domain.create", "domain", lambda: None, lambda: None,
         remember("domain", ["domain", "id"])),
        (lambda: api.patch(f"/domains/{ids['domain']}", {"domain": {"enabled": False}}),
         "identity.domain.update", "domain", lambda: ids["domain"], lambda: None, None),
        (lambda: api.delete(f"/domains/{ids['domain']}"),
         "identity.domain.delete", "domain", lambda: ids["domain"], lambda: None, None),
        (lambda: api.post("/credentials", {"credential": {
            "user_id": user["id"], "type": "totp", "blob": "GEZDGNBVGY3TQOJQGEZDGNBV"}}),
         "identity.credential.create", "credential", lambda: None, lambda: None,
         remember("credential", ["credential", "id"])),
        (lambda: api.patch(f"/credentials/{ids['credential']}", {"credential": {
            "blob": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}}),
         "identity.credential.update", "credential", lambda: ids["credential"], lambda: None,
         None),
        (lambda: api.delete(f"/credentials/{ids['credential']}"),
         "identity.credential.delete", "credential", lambda: ids["credential"], lambda: None,
         None),
        (lambda: api.post(f"/users/{user['id']}/credentials/OS-EC2",
                          {"tenant_id": project["id"]}),
         "identity.credential.create", "credential", lambda: None, lambda: project["id"],
         remember("access", ["credential", "access"])),
        (lambda: api.delete(f"/users/{user['id']}/credentials/OS-EC2/{ids['access']}"),
         "identity.credential.delete", "credential", lambda: None, lambda: project["id"],
         None),
        (lambda: api.post(f"/users/{user['id']}/application_credentials",
                          {"application_credential": {"name": "ac"}}, token=user_token),
         "identity.application_credential.create", "application_credential", lambda: None,
         lambda: project["id"], remember("app_cred", ["application_credential", "id"])),
        (lambda: api.delete(f"/users/{user['id']}/application_credentials/{ids['app_cred']}",
                            token=user_token),
         "identity.application_credential.delete", "application_credential",
         lambda: ids["app_cred"], lambda: project["id"], None),
        (lambda: api.http.post(f"{V3}/users/{user['id']}/password", json={"user": {
            "original_password": PASSWORD, "password": "rotated-password"}}),
         "identity.user.change_password", "user", lambda: user["id"], lambda: None, None),
        (lambda: api.delete(f"/projects/{project['id']}/users/{user['id']}/roles/{member}"),
         "identity.role_assignment.delete", "role_assignment", lambda: member,
         lambda: project["id"], None),
        (lambda: api.delete(f"/users/{ids['user']}"),
         "identity.user.delete", "user", lambda: ids["user"], lambda: None, None),
        (lambda: api.delete(f"/projects/{ids['project']}"),
         "identity.project.delete", "project", lambda: ids["project"], lambda: ids["project"],
         None),
    ]
    for n, (request, action, target_type, target_id, project_id, after) in enumerate(steps):
        if action == "identity.application_credential.create":
            user_token = api.login(user["name"], project_id=project["id"])
        r = request()
        assert r.status_code in (200, 201, 204), (action, r.status_code, r.text)
        if after:
            after(r)
        found = _by_request(api, r)
        assert len(found) == 1, (n, action, found)
        e = found[0]
        expected_target = target_id()
        if expected_target is None and action.endswith(".create"):
            expected_target = r.json().get(target_type, {}).get("id") if target_type not in (
                "credential",) else e["target"]["id"]
        assert e["action"] == action, (n, e)
        assert e["outcome"] == "success"
        assert e["target"]["type"] == target_type
        if expected_target is not None:
            assert e["target"]["id"] == expected_target, (action, e)
        assert e["target"]["id"], (action, e)
        if project_id() is not None:
            assert e["project_id"] == project_id(), (action, e)
        acting = user["id"] if action in ("identity.application_credential.create",
                                          "identity.application_credential.delete",
                                          "identity.user.change_password") else api.admin_user_id
        assert e["actor"]["user_id"] == acting, (action, e)
        assert e["source_ip"] == CLIENT_IP, (action, e)
        assert e["request_id"] == r.headers["X-Openstack-Request-Id"]


def test_authentication_success_failure_and_lockout_are_audited(api: Api) -> None:
    project = api.project()
    user, token = api.member_of(project["id"])
    ok = [e for e in api.events(action="identity.authenticate", target_id=user["id"])
          if e["outcome"] == "success"]
    assert len(ok) == 1
    assert ok[0]["actor"]["user_id"] == user["id"] and ok[0]["project_id"] == project["id"]
    assert ok[0]["source_ip"] == CLIENT_IP and ok[0]["request_id"].startswith("req-")

    failures = []
    for _ in range(3):
        r = api.http.post(f"{V3}/auth/tokens", json=api.auth_body(user["name"], "wrong"))
        assert r.status_code == 401
        failures.append(r.headers["X-Openstack-Request-Id"])
    r = api.http.post(f"{V3}/auth/tokens", json=api.auth_body(user["name"], PASSWORD))
    assert r.status_code == 401
    locked_rid = r.headers["X-Openstack-Request-Id"]

    events = api.events(target_id=user["id"])
    for rid in failures:
        mine = [e for e in events if e["request_id"] == rid]
        actions = sorted(e["action"] for e in mine)
        assert "identity.authenticate" in actions, (rid, mine)
        for e in mine:
            assert e["outcome"] == "failure" and e["source_ip"] == CLIENT_IP
            assert e["target"] == {"type": "user", "id": user["id"]}
    lockout = [e for e in events if e["action"] == "identity.user.lockout"]
    assert len(lockout) == 1 and lockout[0]["request_id"] == failures[-1]
    assert lockout[0]["source_ip"] == CLIENT_IP
    refused = [e for e in events if e["request_id"] == locked_rid]
    assert [e["outcome"] for e in refused] == ["failure"]
    assert "locked" in refused[0]["detail"]["reason"]
    # The project's reader sees the successful log-in on their project.
    reader_view = api.events(token)
    assert any(e["action"] == "identity.authenticate" and e["target"]["id"] == user["id"]
               for e in reader_view)


def test_an_unknown_user_failing_to_log_in_is_audited(api: Api) -> None:
    r = api.http.post(f"{V3}/auth/tokens", json=api.auth_body("nobody-here", "x"))
    assert r.status_code == 401
    found = _by_request(api, r)
    assert len(found) == 1 and found[0]["outcome"] == "failure"
    assert found[0]["action"] == "identity.authenticate"


def test_refused_requests_write_no_success_events(api: Api) -> None:
    before = api.events()
    r = api.post("/projects", {"project": {"name": 5}})
    assert r.status_code == 400
    r = api.get(f"/projects/{'0' * 32}")
    assert r.status_code == 404
    after = api.events()
    assert [e for e in after if e["outcome"] == "success" and e not in before] == []


def test_events_are_time_ordered(api: Api) -> None:
    api.project()
    api.project()
    ats = [e["at"] for e in api.events()]
    assert ats == sorted(ats)
