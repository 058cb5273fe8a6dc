"""Keystone wire shapes for bad requests: the right status, the error envelope, no change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nuage.domain.tokens import Scope, TokenPayload
from tests.api.conftest import PASSWORD, V3, Api, assert_error


def snapshot(api: Api) -> dict[str, Any]:
    """What the admin sees of the identity state (audit events aside)."""
    out: dict[str, Any] = {}
    for coll in ("users", "projects", "groups", "roles", "domains", "credentials", "regions",
                 "services", "endpoints"):
        r = api.get(f"/{coll}")
        assert r.status_code == 200, r.text
        out[coll] = sorted(r.json()[coll], key=lambda x: x["id"])
    r = api.get("/role_assignments")
    out["assignments"] = sorted(
        (a["role"]["id"], str(a.get("user") or a.get("group")), str(a["scope"]))
        for a in r.json()["role_assignments"])
    return out


# -- malformed and mistyped bodies -----------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "content"), [
    ("POST", "/projects", b'{"project": {"name": "x"'),
    ("POST", "/projects", b"not json at all"),
    ("POST", "/users", b'{"user": {"name": "x",}}'),
    ("POST", "/auth/tokens", b'{"auth": '),
    ("POST", "/credentials", b"\xff\xfe"),
    ("PATCH", "/projects/{admin_project}", b"{]"),
    ("POST", "/projects", b""),
    ("POST", "/projects", b"[]"),
    ("POST", "/projects", b'"a string"'),
])
def test_malformed_json_is_400(api: Api, method: str, path: str, content: bytes) -> None:
    before = snapshot(api)
    r = api.raw(method, path.format(admin_project=api.admin_project_id), content)
    assert_error(r, 400)
    assert snapshot(api) == before


@pytest.mark.parametrize(("path", "body"), [
    ("/projects", {}),
    ("/projects", {"project": None}),
    ("/projects", {"project": "p1"}),
    ("/projects", {"project": {}}),
    ("/projects", {"project": {"name": 5}}),
    ("/projects", {"project": {"name": ""}}),
    ("/projects", {"project": {"name": "ok", "enabled": "yes"}}),
    ("/projects", {"project": {"name": "ok", "tags": "a,b"}}),
    ("/projects", {"project": {"name": "x" * 300}}),
    ("/users", {"user": {}}),
    ("/users", {"user": {"name": ["a"]}}),
    ("/users", {"user": {"name": "ok", "enabled": 1}}),
    ("/users", {"user": {"name": "ok", "password": 12345}}),
    ("/users", {"user": {"name": "ok", "options": {"no_such_option": True}}}),
    ("/groups", {"group": {"name": None}}),
    ("/roles", {"role": {}}),
    ("/domains", {"domain": {"name": {"nested": 1}}}),
    ("/credentials", {"credential": {"type": "ec2"}}),
    ("/auth/tokens", {"auth": {}}),
    ("/auth/tokens", {"auth": {"identity": {"methods": "password"}}}),
    ("/auth/tokens", {"auth": {"identity": {"methods": ["password"]}}}),
    ("/auth/tokens", {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "admin", "domain": {"id": "default"}, "password": 1}}}}}),
    ("/auth/tokens", {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "admin", "password": "x"}}}}}),
    ("/auth/tokens", {"auth": {"identity": {"methods": ["token"], "token": {}}}}),
])
def test_missing_or_mistyped_fields_are_400(api: Api, path: str, body: Any) -> None:
    before = snapshot(api)
    r = api.post(path, body)
    assert_error(r, 400)
    assert snapshot(api) == before


def test_mistyped_fields_on_update_are_400(api: Api) -> None:
    project, user = api.project(), api.user()
    before = snapshot(api)
    for path, body in ((f"/projects/{project['id']}", {"project": {"enabled": "false"}}),
                       (f"/projects/{project['id']}", {"project": {"name": 7}}),
                       (f"/users/{user['id']}", {"user": {"enabled": "no"}}),
                       (f"/users/{user['id']}", {"user": {"name": ""}}),
                       (f"/users/{user['id']}", {"user": None})):
        assert_error(api.patch(path, body), 400)
    assert snapshot(api) == before


def test_bad_query_values_are_400(api: Api) -> None:
    assert_error(api.get("/users", params={"enabled": "maybe"}), 400)
    assert_error(api.get("/users", params={"limit": "ten"}), 400)
    r = api.http.get("/audit/v1/events", params={"limit": "x"}, headers=api.h())
    assert_error(r, 400)
    r = api.http.get("/audit/v1/events", params={"since": "yesterday"}, headers=api.h())
    assert_error(r, 400)


# -- unknown ids, names given for ids ---------------------------------------------------------
def test_unknown_ids_are_404(api: Api) -> None:
    project, user = api.project(), api.user()
    ghost = uuid.uuid4().hex
    member = api.role_id("member")
    before = snapshot(api)
    for r in (
        api.get(f"/projects/{ghost}"),
        api.get(f"/users/{ghost}"),
        api.get(f"/groups/{ghost}"),
        api.get(f"/roles/{ghost}"),
        api.get(f"/domains/{ghost}"),
        api.get(f"/credentials/{ghost}"),
        api.patch(f"/projects/{ghost}", {"project": {"description": "x"}}),
        api.patch(f"/users/{ghost}", {"user": {"enabled": False}}),
        api.delete(f"/projects/{ghost}"),
        api.delete(f"/users/{ghost}"),
        api.put(f"/projects/{ghost}/users/{user['id']}/roles/{member}"),
        api.put(f"/projects/{project['id']}/users/{ghost}/roles/{member}"),
        api.put(f"/projects/{project['id']}/users/{user['id']}/roles/{ghost}"),
        api.delete(f"/projects/{project['id']}/users/{user['id']}/roles/{member}"),
        api.put(f"/groups/{ghost}/users/{user['id']}"),
        api.get(f"/users/{user['id']}/application_credentials/{ghost}"),
        api.post("/users", {"user": {"name": "orphan", "domain_id": ghost}}),
        api.post("/projects", {"project": {"name": "orphan", "parent_id": ghost}}),
    ):
        assert_error(r, 404)
    assert snapshot(api) == before


def test_a_name_given_where_an_id_is_expected_is_404(api: Api) -> None:
    project, user = api.project("named-project"), api.user("named-user")
    before = snapshot(api)
    member_id = api.role_id("member")
    assert_error(api.get("/projects/named-project"), 404)
    assert_error(api.get("/users/named-user"), 404)
    assert_error(api.get("/roles/member"), 404)
    assert_error(api.get("/domains/Default"), 404)
    assert_error(api.put(f"/projects/{project['id']}/users/{user['id']}/roles/member"), 404)
    assert_error(api.put(f"/projects/named-project/users/{user['id']}/roles/{member_id}"), 404)
    assert_error(api.put(f"/projects/{project['id']}/users/named-user/roles/{member_id}"), 404)
    assert snapshot(api) == before


def test_unknown_routes_and_methods_use_the_envelope(api: Api) -> None:
    assert_error(api.get("/no-such-collection"), 404)
    assert_error(api.http.put(f"{V3}/projects", headers=api.h()), 405)


# -- duplicates --------------------------------------------------------------------------------
def test_duplicates_are_409(api: Api) -> None:
    project, user = api.project("dup-project"), api.user("dup-user")
    api.post("/groups", {"group": {"name": "dup-group"}})
    api.post("/roles", {"role": {"name": "dup-role"}})
    api.post("/domains", {"domain": {"name": "dup-domain"}})
    before = snapshot(api)
    assert_error(api.post("/projects", {"project": {"name": "dup-project",
                                                    "domain_id": "default"}}), 409)
    assert_error(api.post("/users", {"user": {"name": "dup-user", "domain_id": "default"}}), 409)
    assert_error(api.post("/groups", {"group": {"name": "dup-group"}}), 409)
    assert_error(api.post("/roles", {"role": {"name": "dup-role"}}), 409)
    assert_error(api.post("/domains", {"domain": {"name": "dup-domain"}}), 409)
    other = api.project()
    before = snapshot(api)
    assert_error(api.patch(f"/projects/{other['id']}", {"project": {"name": "dup-project"}}), 409)
    other_user = api.user()
    before = snapshot(api)
    assert_error(api.patch(f"/users/{other_user['id']}", {"user": {"name": "dup-user"}}), 409)
    assert snapshot(api) == before
    assert project["name"] == "dup-project" and user["name"] == "dup-user"


# -- authentication failures -------------------------------------------------------------------
def test_wrong_password_is_401_with_www_authenticate(api: Api) -> None:
    user = api.user()
    before = snapshot(api)
    r = api.http.post(f"{V3}/auth/tokens", json=api.auth_body(user["name"], "wrong"))
    error = assert_error(r, 401)
    assert error["title"] == "Unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert "X-Subject-Token" not in r.headers
    r = api.http.post(f"{V3}/auth/tokens", json=api.auth_body("nobody-at-all", "wrong"))
    assert_error(r, 401)
    assert "WWW-Authenticate" in r.headers
    assert snapshot(api) == before


def test_missing_or_garbage_token_is_401(api: Api) -> None:
    r = api.http.get(f"{V3}/projects")
    assert_error(r, 401)
    assert "WWW-Authenticate" in r.headers
    assert_error(api.get("/projects", token="garbage"), 401)
    assert_error(api.http.get("/audit/v1/events"), 401)
    assert_error(api.http.get("/audit/v1/events", headers={"X-Auth-Token": "x"}), 401)


def test_token_wire_shape(api: Api) -> None:
    project = api.project()
    user, token = api.member_of(project["id"])
    r = api.get("/auth/tokens", headers={"X-Subject-Token": token})
    assert r.status_code == 200, r.text
    assert r.headers["X-Subject-Token"] == token
    t = r.json()["token"]
    assert t["user"]["id"] == user["id"] and t["user"]["domain"]["id"] == "default"
    assert t["project"]["id"] == project["id"]
    assert {x["name"] for x in t["roles"]} == {"member", "reader"}
    assert t["methods"] == ["password"]
    assert t["expires_at"].endswith("Z") and t["issued_at"].endswith("Z")
    assert isinstance(t["audit_ids"], list) and len(t["audit_ids"]) == 1
    assert {e["type"] for e in t["catalog"]} >= {"identity"}
    assert api.http.head(f"{V3}/auth/tokens", headers={
        **api.h(), "X-Subject-Token": token}).status_code == 200


def _crafted_expired(api: Api, user_id: str, project_id: str) -> str:
    """A genuine token (sealed with the cloud's own keys) whose lifetime is over."""
    now = datetime.now(UTC)
    payload = TokenPayload(user_id=user_id, methods=("password",),
                           scope=Scope(project_id=project_id),
                           issued_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1),
                           audit_ids=("expired-audit-id-0000",))
    token: str = api.cloud.identity.tokens.p.tokens.seal_token(payload)
    return token


def test_expired_token_is_401_on_use_and_404_on_validation(api: Api) -> None:
    project = api.project()
    user, _ = api.member_of(project["id"])
    expired = _crafted_expired(api, user["id"], project["id"])
    error = assert_error(api.get(f"/projects/{project['id']}", token=expired), 401)
    assert "expired" in error["message"]
    assert_error(api.get("/auth/tokens", headers={"X-Subject-Token": expired}), 404)
    r = api.http.head(f"{V3}/auth/tokens", headers={**api.h(), "X-Subject-Token": expired})
    assert r.status_code == 404
    assert_error(api.http.delete(f"{V3}/auth/tokens",
                                 headers={**api.h(), "X-Subject-Token": expired}), 404)


def test_revoked_token_is_401_on_use_and_404_on_validation(api: Api) -> None:
    project = api.project()
    _, token = api.member_of(project["id"])
    assert api.get(f"/projects/{project['id']}", token=token).status_code == 200
    r = api.http.delete(f"{V3}/auth/tokens", headers={"X-Auth-Token": token,
                                                       "X-Subject-Token": token})
    assert r.status_code == 204, r.text
    assert_error(api.get(f"/projects/{project['id']}", token=token), 401)
    assert_error(api.get("/auth/tokens", headers={"X-Subject-Token": token}), 404)
    assert_error(api.http.delete(f"{V3}/auth/tokens",
                                 headers={**api.h(), "X-Subject-Token": token}), 404)


def test_validation_needs_a_subject_token(api: Api) -> None:
    assert_error(api.get("/auth/tokens"), 400)


def test_lockout_over_http_is_401_and_a_password_change_by_the_admin_lifts_it(api: Api) -> None:
    user = api.user()
    for _ in range(3):
        assert_error(api.http.post(f"{V3}/auth/tokens",
                                   json=api.auth_body(user["name"], "wrong")), 401)
    r = api.http.post(f"{V3}/auth/tokens", json=api.auth_body(user["name"], PASSWORD))
    error = assert_error(r, 401)
    assert "locked" in error["message"]
    r = api.patch(f"/users/{user['id']}", {"user": {"password": "a-new-password"}})
    assert r.status_code == 200, r.text
    assert api.login(user["name"], "a-new-password")
