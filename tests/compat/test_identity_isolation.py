"""Tenant isolation: a member of project A reaches nothing of project B's users, role
assignments or credentials, through the raw API and through openstacksdk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openstack.connection
import openstack.exceptions
import pytest

from tests.compat.conftest import Tenant, connect, identity_v3, make_tenant, token_for
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat

DENIED = (403, 404)


@dataclass
class TwoTenants:
    a: Tenant
    b: Tenant
    a_token: str
    b_token: str
    b_app_cred_id: str
    b_ec2_access: str
    b_credential_id: str


@pytest.fixture(scope="module")
def two(admin_conn: openstack.connection.Connection, member_role_id: str,
        http: httpx.Client) -> Iterator[TwoTenants]:
    a = make_tenant(admin_conn, member_role_id, "iso-a")
    b = make_tenant(admin_conn, member_role_id, "iso-b")
    a_token = token_for(http, a.username, a.password, a.project_id)
    b_token = token_for(http, b.username, b.password, b.project_id)
    hb = {"X-Auth-Token": b_token}
    app = http.post(f"/users/{b.user_id}/application_credentials", headers=hb,
                    json={"application_credential": {"name": "b-ac", "secret": "b-secret"}})
    assert app.status_code == 201, app.text
    ec2 = http.post(f"/users/{b.user_id}/credentials/OS-EC2", headers=hb,
                    json={"tenant_id": b.project_id})
    assert ec2.status_code == 201, ec2.text
    cred = http.post("/credentials", headers=hb, json={"credential": {
        "user_id": b.user_id, "project_id": b.project_id, "type": "cert", "blob": "b-blob"}})
    assert cred.status_code == 201, cred.text
    yield TwoTenants(a, b, a_token, b_token, app.json()["application_credential"]["id"],
                     ec2.json()["credential"]["access"], cred.json()["credential"]["id"])
    for t in (a, b):
        identity_v3(admin_conn).delete_user(t.user_id, ignore_missing=True)
        identity_v3(admin_conn).delete_project(t.project_id, ignore_missing=True)


def _status(response: httpx.Response, allowed: tuple[int, ...] = DENIED) -> int:
    assert response.status_code in allowed, (response.request.method, response.request.url,
                                             response.status_code, response.text)
    # A refusal carries the Keystone error envelope and leaks nothing of B.
    error = response.json()["error"]
    assert error["code"] == response.status_code
    return response.status_code


def test_a_cannot_read_or_change_b_users(two: TwoTenants, http: httpx.Client) -> None:
    ha = {"X-Auth-Token": two.a_token}
    b = two.b
    assert _status(http.get("/users", headers=ha)) == 403
    assert _status(http.get(f"/users?name={b.username}", headers=ha)) == 403
    _status(http.get(f"/users/{b.user_id}", headers=ha))
    _status(http.patch(f"/users/{b.user_id}", headers=ha,
                       json={"user": {"enabled": False}}))
    _status(http.delete(f"/users/{b.user_id}", headers=ha))
    _status(http.get(f"/users/{b.user_id}/projects", headers=ha))
    _status(http.get(f"/projects/{b.project_id}", headers=ha))
    _status(http.patch(f"/projects/{b.project_id}", headers=ha,
                       json={"project": {"description": "mine now"}}))
    # B is untouched and still logs in.
    assert token_for(http, b.username, b.password, b.project_id)
    # A cannot get a token for B's project either.
    scoped = http.post("/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": two.a.user_id, "password": two.a.password}}},
        "scope": {"project": {"id": b.project_id}}}})
    assert scoped.status_code == 401


def test_a_cannot_see_or_grant_b_role_assignments(two: TwoTenants, http: httpx.Client,
                                                  member_role_id: str) -> None:
    ha = {"X-Auth-Token": two.a_token}
    a, b = two.a, two.b
    assert _status(http.get(f"/role_assignments?scope.project.id={b.project_id}",
                            headers=ha)) == 403
    assert _status(http.get(f"/role_assignments?user.id={b.user_id}", headers=ha)) == 403
    _status(http.get(f"/projects/{b.project_id}/users/{b.user_id}/roles", headers=ha))
    # Granting herself a role on B, or B a role on A, is refused; nothing changes.
    _status(http.put(f"/projects/{b.project_id}/users/{a.user_id}/roles/{member_role_id}",
                     headers=ha))
    _status(http.put(f"/projects/{a.project_id}/users/{b.user_id}/roles/{member_role_id}",
                     headers=ha))
    _status(http.delete(f"/projects/{b.project_id}/users/{b.user_id}/roles/{member_role_id}",
                        headers=ha))
    projects = http.get("/auth/projects", headers=ha).json()["projects"]
    assert [p["id"] for p in projects] == [a.project_id]
    b_projects = http.get("/auth/projects", headers={"X-Auth-Token": two.b_token})
    assert [p["id"] for p in b_projects.json()["projects"]] == [b.project_id]


def test_a_cannot_reach_b_credentials(two: TwoTenants, http: httpx.Client) -> None:
    ha = {"X-Auth-Token": two.a_token}
    b = two.b
    app_creds = f"/users/{b.user_id}/application_credentials"
    _status(http.get(app_creds, headers=ha))
    _status(http.get(f"{app_creds}/{two.b_app_cred_id}", headers=ha))
    _status(http.delete(f"{app_creds}/{two.b_app_cred_id}", headers=ha))
    _status(http.post(app_creds, headers=ha, json={"application_credential": {
        "name": "sneaky", "secret": "x"}}))

    ec2 = f"/users/{b.user_id}/credentials/OS-EC2"
    _status(http.get(ec2, headers=ha))
    _status(http.get(f"{ec2}/{two.b_ec2_access}", headers=ha))
    _status(http.delete(f"{ec2}/{two.b_ec2_access}", headers=ha))
    _status(http.post(ec2, headers=ha, json={"tenant_id": b.project_id}))
    # Nor an EC2 key of her own on B's project.
    _status(http.post(f"/users/{two.a.user_id}/credentials/OS-EC2", headers=ha,
                      json={"tenant_id": b.project_id}), (400, 401, 403, 404))

    _status(http.get(f"/credentials/{two.b_credential_id}", headers=ha))
    _status(http.patch(f"/credentials/{two.b_credential_id}", headers=ha,
                       json={"credential": {"blob": "stolen"}}))
    _status(http.delete(f"/credentials/{two.b_credential_id}", headers=ha))
    _status(http.post("/credentials", headers=ha, json={"credential": {
        "user_id": b.user_id, "type": "cert", "blob": "planted"}}))
    listed = http.get("/credentials", headers=ha)
    if listed.status_code == 200:
        assert two.b_credential_id not in {c["id"] for c in listed.json()["credentials"]}
        assert all(c["user_id"] == two.a.user_id for c in listed.json()["credentials"])
    else:
        _status(listed)

    # Everything of B's is still there and intact, seen by B.
    hb = {"X-Auth-Token": two.b_token}
    assert [c["id"] for c in http.get(app_creds, headers=hb).json()[
        "application_credentials"]] == [two.b_app_cred_id]
    assert [c["access"] for c in http.get(ec2, headers=hb).json()["credentials"]] == [
        two.b_ec2_access]
    blob = http.get(f"/credentials/{two.b_credential_id}", headers=hb).json()["credential"]
    assert blob["blob"] == "b-blob"


def test_a_through_the_sdk(live_nuage: LiveNuage, two: TwoTenants) -> None:
    conn = connect(live_nuage, two.a.username, two.a.password, two.a.project_name)
    try:
        with pytest.raises(openstack.exceptions.ForbiddenException):
            list(identity_v3(conn).users())
        with pytest.raises((openstack.exceptions.ForbiddenException,
                            openstack.exceptions.NotFoundException)):
            identity_v3(conn).get_user(two.b.user_id)
        with pytest.raises(openstack.exceptions.ForbiddenException):
            list(identity_v3(conn).role_assignments(scope_project_id=two.b.project_id))
        with pytest.raises((openstack.exceptions.ForbiddenException,
                            openstack.exceptions.NotFoundException)):
            list(identity_v3(conn).application_credentials(two.b.user_id))
        with pytest.raises((openstack.exceptions.ForbiddenException,
                            openstack.exceptions.NotFoundException)):
            identity_v3(conn).get_credential(two.b_credential_id)
        # Her own things remain hers to see.
        assert identity_v3(conn).get_user(two.a.user_id).id == two.a.user_id
        assert [p.id for p in identity_v3(conn).user_projects(two.a.user_id)] == [
            two.a.project_id]
    finally:
        conn.close()
