"""Credentials made through an application credential's token stay within its authority.

A member delegates only `reader` to an application credential. Whatever its token creates
(EC2 keys through OS-EC2 or /v3/credentials, TOTP seeds, further application credentials)
must act with at most `reader`, on its project, and die with it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import V3, Api, assert_error


def _app_cred(api: Api, user_id: str, token: str, roles: list[str] | None = None,
              unrestricted: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"ac-{uuid.uuid4().hex[:8]}", "unrestricted": unrestricted}
    if roles is not None:
        body["roles"] = [{"name": name} for name in roles]
    r = api.post(f"/users/{user_id}/application_credentials",
                 {"application_credential": body}, token=token)
    assert r.status_code == 201, r.text
    return dict(r.json()["application_credential"])


def _login_app_cred(api: Api, cred: dict[str, Any]) -> str:
    r = api.http.post(f"{V3}/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}})
    assert r.status_code == 201, r.text
    return str(r.headers["X-Subject-Token"])


def _roles_of_key(api: Api, access: str) -> set[str] | None:
    found = api.cloud.identity.s3_keys.signing_identity(access)
    return None if found is None else set(found.roles)


@pytest.fixture
def reader_app_cred(api: Api) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """(project, user, the member's own token, a token from a reader-only app credential)."""
    project = api.project()
    user, token = api.member_of(project["id"], "member")
    cred = _app_cred(api, user["id"], token, roles=["reader"])
    return project, user, token, _login_app_cred(api, cred)


def test_ec2_keys_from_a_reader_app_cred_act_as_reader_and_die_with_it(
        api: Api, reader_app_cred: tuple[dict[str, Any], dict[str, Any], str, str]) -> None:
    project, user, token, ac_token = reader_app_cred
    # The user's own key has the user's roles.
    r = api.post(f"/users/{user['id']}/credentials/OS-EC2", {"tenant_id": project["id"]},
                 token=token)
    assert r.status_code == 201, r.text
    own = r.json()["credential"]["access"]
    assert _roles_of_key(api, own) == {"member", "reader"}
    # Both creation paths of the app credential's token give reader-only keys.
    r = api.post(f"/users/{user['id']}/credentials/OS-EC2", {"tenant_id": project["id"]},
                 token=ac_token)
    assert r.status_code == 201, r.text
    via_ec2 = r.json()["credential"]["access"]
    # A blob that claims no binding (or someone else's) is bound to the token's credential.
    blob = json.dumps({"access": uuid.uuid4().hex, "secret": "s", "app_cred_id": None})
    r = api.post("/credentials", {"credential": {
        "type": "ec2", "user_id": user["id"], "project_id": project["id"], "blob": blob}},
        token=ac_token)
    assert r.status_code == 201, r.text
    via_credentials = json.loads(r.json()["credential"]["blob"])["access"]
    for access in (via_ec2, via_credentials):
        found = api.cloud.identity.s3_keys.signing_identity(access)
        assert found is not None and found.roles == {"reader"}, found
        assert found.app_cred_id is not None
        assert found.context("req", None, False).roles == {"reader"}

    # Deleting the application credential kills its keys, and only those.
    ac_id = api.cloud.identity.s3_keys.signing_identity(via_ec2).app_cred_id  # type: ignore[union-attr]
    r = api.delete(f"/users/{user['id']}/application_credentials/{ac_id}", token=token)
    assert r.status_code == 204, r.text
    assert _roles_of_key(api, via_ec2) is None
    assert _roles_of_key(api, via_credentials) is None
    assert _roles_of_key(api, own) == {"member", "reader"}
    r = api.get("/credentials", params={"user_id": user["id"]})
    assert [json.loads(c["blob"])["access"] for c in r.json()["credentials"]] == [own]


def test_a_bound_key_dies_when_its_app_cred_expires(api: Api) -> None:
    project = api.project()
    user, token = api.member_of(project["id"], "member")
    cred = _app_cred(api, user["id"], token, roles=["reader"])
    ac_token = _login_app_cred(api, cred)
    r = api.post(f"/users/{user['id']}/credentials/OS-EC2", {"tenant_id": project["id"]},
                 token=ac_token)
    access = r.json()["credential"]["access"]
    assert _roles_of_key(api, access) == {"reader"}
    # Time passing writes nothing: expire it in place, as the clock would.
    uow_factory = api.cloud.identity.credentials.p.uow
    with uow_factory(write=True) as uow:
        stored = uow.app_creds.get(cred["id"])
        assert stored is not None
        stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        uow.commit()
    assert _roles_of_key(api, access) is None


def test_a_bound_key_loses_a_role_the_user_loses(api: Api) -> None:
    project = api.project()
    user, token = api.member_of(project["id"], "member")
    cred = _app_cred(api, user["id"], token)  # the token's roles: member and reader
    ac_token = _login_app_cred(api, cred)
    r = api.post(f"/users/{user['id']}/credentials/OS-EC2", {"tenant_id": project["id"]},
                 token=ac_token)
    access = r.json()["credential"]["access"]
    assert _roles_of_key(api, access) == {"member", "reader"}
    api.grant(project["id"], user["id"], "reader")
    r = api.delete(f"/projects/{project['id']}/users/{user['id']}/roles/"
                   f"{api.role_id('member')}")
    assert r.status_code == 204, r.text
    assert _roles_of_key(api, access) == {"reader"}


def test_an_app_cred_token_creates_nothing_that_authenticates_as_the_user(
        api: Api, reader_app_cred: tuple[dict[str, Any], dict[str, Any], str, str]) -> None:
    _, user, _, ac_token = reader_app_cred
    other = api.project()
    api.grant(other["id"], user["id"], "member")
    attempts = [
        # A TOTP seed would log in as the whole user, on any project.
        api.post("/credentials", {"credential": {
            "type": "totp", "user_id": user["id"], "blob": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}},
            token=ac_token),
        api.post("/credentials", {"credential": {
            "type": "cert", "user_id": user["id"], "blob": "x"}}, token=ac_token),
        # Keys on another project of the user's are outside the credential's scope.
        api.post(f"/users/{user['id']}/credentials/OS-EC2", {"tenant_id": other["id"]},
                 token=ac_token),
        api.post("/credentials", {"credential": {
            "type": "ec2", "user_id": user["id"], "project_id": other["id"],
            "blob": json.dumps({"access": uuid.uuid4().hex, "secret": "s"})}},
            token=ac_token),
        # A restricted application credential makes no application credential.
        api.post(f"/users/{user['id']}/application_credentials",
                 {"application_credential": {"name": "again"}}, token=ac_token),
    ]
    for r in attempts:
        assert_error(r, 403)
    r = api.get("/credentials", params={"user_id": user["id"]})
    assert r.json()["credentials"] == []


def test_an_app_cred_token_does_not_reach_the_users_other_credentials(
        api: Api, reader_app_cred: tuple[dict[str, Any], dict[str, Any], str, str]) -> None:
    project, user, token, ac_token = reader_app_cred
    r = api.post(f"/users/{user['id']}/credentials/OS-EC2", {"tenant_id": project["id"]},
                 token=token)
    own = r.json()["credential"]["access"]
    r = api.post("/credentials", {"credential": {
        "type": "totp", "user_id": user["id"], "blob": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}},
        token=token)
    assert r.status_code == 201, r.text
    totp_id = r.json()["credential"]["id"]
    r = api.get("/credentials", params={"user_id": user["id"]}, token=token)
    own_id = next(c["id"] for c in r.json()["credentials"] if c["type"] == "ec2")

    # Reading the secret of the user's own key would be the user's full authority.
    r = api.get(f"/users/{user['id']}/credentials/OS-EC2", token=ac_token)
    assert r.status_code == 200 and r.json()["credentials"] == [], r.text
    assert_error(api.get(f"/users/{user['id']}/credentials/OS-EC2/{own}", token=ac_token), 404)
    r = api.get("/credentials", token=ac_token)
    assert r.status_code == 200 and r.json()["credentials"] == [], r.text
    for cred_id in (own_id, totp_id):
        assert_error(api.get(f"/credentials/{cred_id}", token=ac_token), 404)
        assert_error(api.patch(f"/credentials/{cred_id}", {"credential": {"project_id": None}},
                               token=ac_token), 404)
        assert_error(api.delete(f"/credentials/{cred_id}", token=ac_token), 404)
    assert_error(api.delete(f"/users/{user['id']}/credentials/OS-EC2/{own}", token=ac_token),
                 404)
    assert _roles_of_key(api, own) == {"member", "reader"}

    # Its own key it reads, and the binding cannot be taken off, by it or by the user.
    r = api.post(f"/users/{user['id']}/credentials/OS-EC2", {"tenant_id": project["id"]},
                 token=ac_token)
    bound = r.json()["credential"]["access"]
    r = api.get(f"/users/{user['id']}/credentials/OS-EC2", token=ac_token)
    assert [c["access"] for c in r.json()["credentials"]] == [bound]
    r = api.get("/credentials", params={"type": "ec2"}, token=ac_token)
    (bound_cred,) = r.json()["credentials"]
    unbound = json.dumps({"access": bound, "secret": "s2"})
    for who, status in ((ac_token, 403), (token, 400)):
        assert_error(api.patch(f"/credentials/{bound_cred['id']}",
                               {"credential": {"blob": unbound}}, token=who), 400)
        # Into a TOTP seed: the app credential may hold no such thing (403); for the user,
        # it would drop the binding (400).
        assert_error(api.patch(f"/credentials/{bound_cred['id']}", {"credential": {
            "type": "totp", "blob": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}}, token=who), status)
    assert _roles_of_key(api, bound) == {"reader"}


def test_an_unrestricted_app_cred_delegates_at_most_its_roles_and_lifetime(api: Api) -> None:
    project = api.project()
    user, token = api.member_of(project["id"], "member")
    expires = datetime.now(UTC) + timedelta(hours=1)
    r = api.post(f"/users/{user['id']}/application_credentials", {"application_credential": {
        "name": "parent", "unrestricted": True, "roles": [{"name": "reader"}],
        "expires_at": expires.isoformat()}}, token=token)
    assert r.status_code == 201, r.text
    ac_token = _login_app_cred(api, r.json()["application_credential"])
    r = api.post(f"/users/{user['id']}/application_credentials", {"application_credential": {
        "name": "wider", "roles": [{"name": "member"}]}}, token=ac_token)
    assert_error(r, 403)
    r = api.post(f"/users/{user['id']}/application_credentials", {"application_credential": {
        "name": "child", "expires_at": (expires + timedelta(days=30)).isoformat()}},
        token=ac_token)
    assert r.status_code == 201, r.text
    child = r.json()["application_credential"]
    assert [role["name"] for role in child["roles"]] == ["reader"]
    child_expires = datetime.fromisoformat(child["expires_at"].replace("Z", "+00:00"))
    assert child_expires.replace(tzinfo=child_expires.tzinfo or UTC) <= expires


def test_a_client_written_binding_must_name_the_users_app_cred(api: Api) -> None:
    project = api.project()
    user, token = api.member_of(project["id"], "member")
    stranger, stranger_token = api.member_of(project["id"], "member")
    theirs = _app_cred(api, stranger["id"], stranger_token, roles=["reader"])
    mine = _app_cred(api, user["id"], token, roles=["reader"])

    def create(app_cred_id: str) -> Any:
        return api.post("/credentials", {"credential": {
            "type": "ec2", "user_id": user["id"], "project_id": project["id"],
            "blob": json.dumps({"access": uuid.uuid4().hex, "secret": "s",
                                "app_cred_id": app_cred_id})}}, token=token)
    assert_error(create(theirs["id"]), 400)
    r = create(mine["id"])
    assert r.status_code == 201, r.text
    assert _roles_of_key(api, json.loads(r.json()["credential"]["blob"])["access"]) == {"reader"}
