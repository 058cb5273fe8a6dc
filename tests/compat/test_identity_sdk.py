"""openstacksdk's identity proxy against the live server."""

from __future__ import annotations

import httpx
import openstack.connection
import openstack.exceptions
import pytest

from tests.compat.conftest import connect, identity_v3, unique
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def _validate(http: httpx.Client, admin_token: str, token: str) -> dict[str, object]:
    response = http.get("/auth/tokens", headers={"X-Auth-Token": admin_token,
                                                 "X-Subject-Token": token})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()["token"]
    return body


def test_sdk_identity_workflow(live_nuage: LiveNuage,
                               admin_conn: openstack.connection.Connection,
                               member_role_id: str, http: httpx.Client,
                               admin_token: str) -> None:
    project = identity_v3(admin_conn).create_project(name=unique("sdk-proj"), domain_id="default",
                                                 description="made by the SDK")
    password = "sdk-" + unique("pw")
    user = identity_v3(admin_conn).create_user(name=unique("sdk-user"), domain_id="default",
                                           password=password, email="sdk@example.org")
    user_conn = None
    try:
        assert project.id and project.is_enabled is True
        assert project.id in {p.id for p in identity_v3(admin_conn).projects()}
        # The SDK keeps what it sent; what the server returns never carries the password.
        assert identity_v3(admin_conn).get_user(user.id).password is None

        found = identity_v3(admin_conn).find_user(user.name)
        assert found is not None and found.id == user.id
        assert found.email == "sdk@example.org"
        assert identity_v3(admin_conn).find_user(unique("nobody")) is None

        identity_v3(admin_conn).assign_project_role_to_user(project, user, member_role_id)
        assert identity_v3(admin_conn).validate_user_has_project_role(project, user, member_role_id)
        rows = list(identity_v3(admin_conn).role_assignments(scope_project_id=project.id))
        assert [(r.user["id"], r.role["id"], r.scope["project"]["id"]) for r in rows] == [
            (user.id, member_role_id, project.id)]
        mine = list(identity_v3(admin_conn).role_assignments(user_id=user.id))
        assert [r.scope["project"]["id"] for r in mine] == [project.id]

        user_conn = connect(live_nuage, user.name, password, project.name)
        token = user_conn.authorize()
        info = _validate(http, admin_token, token)
        assert info["project"]["id"] == project.id  # type: ignore[index]
        assert info["user"]["id"] == user.id  # type: ignore[index]
        assert {r["name"] for r in info["roles"]} >= {"member", "reader"}  # type: ignore

        cred = identity_v3(user_conn).create_application_credential(
            user.id, name=unique("sdk-ac"), secret="sdk-app-secret")
        assert cred.secret == "sdk-app-secret"
        assert cred.project_id == project.id
        listed = list(identity_v3(user_conn).application_credentials(user.id))
        assert [c.id for c in listed] == [cred.id]

        app_conn = openstack.connection.Connection(
            auth_type="v3applicationcredential", region_name="RegionOne",
            auth={"auth_url": live_nuage.identity_url, "application_credential_id": cred.id,
                  "application_credential_secret": "sdk-app-secret"})
        try:
            app_token = app_conn.authorize()
        finally:
            app_conn.close()
        app_info = _validate(http, admin_token, app_token)
        assert app_info["methods"] == ["application_credential"]
        assert app_info["project"]["id"] == project.id  # type: ignore[index]
        assert app_info["application_credential"]["id"] == cred.id  # type: ignore[index]

        identity_v3(user_conn).delete_application_credential(user.id, cred.id)
        with pytest.raises(openstack.exceptions.NotFoundException):
            identity_v3(user_conn).get_application_credential(user.id, cred.id)

        identity_v3(admin_conn).unassign_project_role_from_user(project, user, member_role_id)
        assert list(identity_v3(admin_conn).role_assignments(scope_project_id=project.id)) == []
    finally:
        if user_conn is not None:
            user_conn.close()
        identity_v3(admin_conn).delete_user(user, ignore_missing=True)
        identity_v3(admin_conn).delete_project(project, ignore_missing=True)
