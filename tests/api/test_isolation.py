"""A member (or admin) of project A never reaches project B's users, grants or credentials."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, assert_error
from tests.api.test_identity_errors import snapshot


def _app_creds(api: Api, user_id: str) -> list[str]:
    r = api.get(f"/users/{user_id}/application_credentials")
    assert r.status_code == 200, r.text
    return sorted(c["id"] for c in r.json()["application_credentials"])


@pytest.mark.parametrize("role", ["reader", "member", "admin"])
def test_project_a_cannot_reach_into_project_b(api: Api, role: str) -> None:
    a, b = api.project(), api.project()
    _, token_a = api.member_of(a["id"], role)
    user_b, token_b = api.member_of(b["id"], "member")
    # B's user has an app credential and an EC2 credential, as tenants do.
    r = api.post(f"/users/{user_b['id']}/application_credentials",
                 {"application_credential": {"name": "b-cred"}}, token=token_b)
    assert r.status_code == 201, r.text
    app_cred_b = r.json()["application_credential"]["id"]
    r = api.post(f"/users/{user_b['id']}/credentials/OS-EC2", {"tenant_id": b["id"]},
                 token=token_b)
    assert r.status_code == 201, r.text
    access_b = r.json()["credential"]["access"]
    r = api.get("/credentials", params={"user_id": user_b["id"]})
    cred_b = r.json()["credentials"][0]["id"]
    member = api.role_id("member")
    admin = api.role_id("admin")

    before = snapshot(api)
    creds_before = _app_creds(api, user_b["id"])
    attempts: list[tuple[str, httpx.Response, set[int]]] = [
        ("read B", api.get(f"/projects/{b['id']}", token=token_a), {403, 404}),
        ("update B", api.patch(f"/projects/{b['id']}", {"project": {"description": "pwned"}},
                               token=token_a), {403, 404}),
        ("delete B", api.delete(f"/projects/{b['id']}", token=token_a), {403, 404}),
        ("list users", api.get("/users", token=token_a), {403}),
        ("read B's user", api.get(f"/users/{user_b['id']}", token=token_a), {403, 404}),
        ("disable B's user", api.patch(f"/users/{user_b['id']}", {"user": {"enabled": False}},
                                       token=token_a), {403, 404}),
        ("reset B's password", api.patch(f"/users/{user_b['id']}",
                                         {"user": {"password": "taken-over"}}, token=token_a),
         {403, 404}),
        ("delete B's user", api.delete(f"/users/{user_b['id']}", token=token_a), {403, 404}),
        ("B's assignments", api.get("/role_assignments",
                                    params={"scope.project.id": b["id"]}, token=token_a),
         {403}),
        ("B user's assignments", api.get("/role_assignments",
                                         params={"user.id": user_b["id"]}, token=token_a), {403}),
        ("B's grants", api.get(f"/projects/{b['id']}/users/{user_b['id']}/roles",
                               token=token_a), {403, 404}),
        ("grant self on B", api.put(f"/projects/{b['id']}/users/{user_b['id']}/roles/{admin}",
                                    token=token_a), {403, 404}),
        ("revoke B's grant", api.delete(
            f"/projects/{b['id']}/users/{user_b['id']}/roles/{member}", token=token_a),
         {403, 404}),
        ("B's app creds", api.get(f"/users/{user_b['id']}/application_credentials",
                                  token=token_a), {403, 404}),
        ("B's app cred", api.get(f"/users/{user_b['id']}/application_credentials/{app_cred_b}",
                                 token=token_a), {403, 404}),
        ("delete B's app cred", api.delete(
            f"/users/{user_b['id']}/application_credentials/{app_cred_b}", token=token_a),
         {403, 404}),
        ("create app cred for B", api.post(
            f"/users/{user_b['id']}/application_credentials",
            {"application_credential": {"name": "evil"}}, token=token_a), {403, 404}),
        ("B's ec2 creds", api.get(f"/users/{user_b['id']}/credentials/OS-EC2", token=token_a),
         {403, 404}),
        ("B's ec2 cred", api.get(f"/users/{user_b['id']}/credentials/OS-EC2/{access_b}",
                                 token=token_a), {403, 404}),
        ("delete B's ec2 cred", api.delete(
            f"/users/{user_b['id']}/credentials/OS-EC2/{access_b}", token=token_a), {403, 404}),
        ("ec2 cred for B", api.post(f"/users/{user_b['id']}/credentials/OS-EC2",
                                    {"tenant_id": b["id"]}, token=token_a), {403, 404}),
        ("B's credential", api.get(f"/credentials/{cred_b}", token=token_a), {403, 404}),
        ("update B's credential", api.patch(f"/credentials/{cred_b}", {"credential": {
            "blob": json.dumps({"access": access_b, "secret": "x"})}}, token=token_a),
         {403, 404}),
        ("delete B's credential", api.delete(f"/credentials/{cred_b}", token=token_a),
         {403, 404}),
        ("create credential for B", api.post("/credentials", {"credential": {
            "user_id": user_b["id"], "type": "totp", "blob": "GEZDGNBVGY3TQOJQGEZDGNBV"}},
            token=token_a), {403, 404}),
        ("B's audit trail", api.http.get("/audit/v1/events", params={"project_id": b["id"]},
                                         headers=api.h(token_a)), {403}),
    ]
    for what, r, statuses in attempts:
        assert r.status_code in statuses, (what, r.status_code, r.text)
        assert_error(r, r.status_code)
    # Listing credentials filters to one's own instead of failing.
    r = api.get("/credentials", params={"user_id": user_b["id"]}, token=token_a)
    assert r.status_code == 200 and r.json()["credentials"] == []
    r = api.get("/credentials", token=token_a)
    assert all(c["user_id"] != user_b["id"] for c in r.json()["credentials"])

    assert snapshot(api) == before
    assert _app_creds(api, user_b["id"]) == creds_before
    # B's user still logs in and B's token still works.
    assert api.get(f"/projects/{b['id']}", token=token_b).status_code == 200


def test_denied_changes_are_audited_as_denied(api: Api) -> None:
    a, b = api.project(), api.project()
    user_a, token_a = api.member_of(a["id"])
    user_b, _ = api.member_of(b["id"])
    r = api.patch(f"/users/{user_b['id']}", {"user": {"enabled": False}}, token=token_a)
    assert r.status_code == 403
    denied = [e for e in api.events(action="identity:update_user")
              if e["target"]["id"] == user_b["id"]]
    assert len(denied) == 1
    e = denied[0]
    assert e["outcome"] == "denied" and e["actor"]["user_id"] == user_a["id"]
    assert e["actor"]["project_id"] == a["id"]
    assert e["request_id"] == r.headers["X-Openstack-Request-Id"]


def test_a_project_member_cannot_escalate_on_their_own_project(api: Api) -> None:
    a = api.project()
    user, token = api.member_of(a["id"], "member")
    before = snapshot(api)
    admin = api.role_id("admin")
    for r in (api.put(f"/projects/{a['id']}/users/{user['id']}/roles/{admin}", token=token),
              api.put(f"/system/users/{user['id']}/roles/{admin}", token=token),
              api.post("/users", {"user": {"name": "sidekick"}}, token=token),
              api.post("/projects", {"project": {"name": "mine-too"}}, token=token),
              api.post("/roles", {"role": {"name": "superuser"}}, token=token),
              api.patch(f"/projects/{a['id']}", {"project": {"name": "renamed"}}, token=token)):
        assert_error(r, 403)
    assert snapshot(api) == before
    # An app credential cannot carry more than the user holds either.
    r = api.post(f"/users/{user['id']}/application_credentials", {"application_credential": {
        "name": "greedy", "roles": [{"name": "admin"}]}}, token=token)
    assert_error(r, 403)
    assert _app_creds(api, user["id"]) == []


def _ids(items: list[dict[str, Any]]) -> set[str]:
    return {str(i["id"]) for i in items}


def test_a_member_sees_only_their_own_projects(api: Api) -> None:
    a, b = api.project(), api.project()
    user, token = api.member_of(a["id"])
    r = api.get(f"/users/{user['id']}/projects", token=token)
    assert r.status_code == 200 and _ids(r.json()["projects"]) == {a["id"]}
    r = api.get("/auth/projects", token=token)
    assert r.status_code == 200 and _ids(r.json()["projects"]) == {a["id"]}
    assert_error(api.get("/projects", token=token), 403)
    assert b["id"] not in _ids(r.json()["projects"])
