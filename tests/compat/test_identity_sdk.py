"""openstacksdk's identity proxy against the live server."""

from __future__ import annotations

import httpx
import openstack.connection
import openstack.exceptions
import pytest

from tests.compat.conftest import connect, unique
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
    project = admin_conn.identity.create_project(name=unique("sdk-proj"), domain_id="default",
                                                 description="made by the SDK")
    password = "sdk-" + unique("pw")
    user = admin_conn.identity.create_user(name=unique("sdk-user"), domain_id="default",
                                           password=password, email="sdk@example.org")
    user_conn = None
    try:
        assert project.id and project.is_enabled is True
        assert project.id in {p.id for p in admin_conn.identity.projects()}
        # The SDK keeps what it sent; what the server returns never carries the password.
        assert admin_conn.identity.get_user(user.id).password is None

        found = admin_conn.identity.find_user(user.name)
        assert found is not None and found.id == user.id
        assert found.email == "sdk@example.org"
        assert admin_conn.identity.find_user(unique("nobody")) is None

        admin_conn.identity.assign_project_role_to_user(project, user, member_role_id)
        assert admin_conn.identity.validate_user_has_project_role(project, user, member_role_id)
        rows = list(admin_conn.identity.role_assignments(scope_project_id=project.id))
        assert [(r.user["id"], r.role["id"], r.scope["project"]["id"]) for r in rows] == [
            (user.id, member_role_id, project.id)]
        mine = list(admin_conn.identity.role_assignments(user_id=user.id))
        assert [r.scope["project"]["id"] for r in mine] == [project.id]

        user_conn = connect(live_nuage, user.name, password, project.name)
        token = user_conn.authorize()
        info = _validate(http, admin_token, token)
        assert info["project"]["id"] == project.id  # type: ignore[index]
        assert info["user"]["id"] == user.id  # type: ignore[index]
        assert {r["name"] for r in info["roles"]} >= {"member", "reader"}  # type: ignore

        cred = user_conn.identity.create_application_credential(
            user.id, name=unique("sdk-ac"), secret="sdk-app-secret")
        assert cred.secret == "sdk-app-secret"
        assert cred.project_id == project.id
        listed = list(user_conn.identity.application_credentials(user.id))
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

        user_conn.identity.delete_application_credential(user.id, cred.id)
        with pytest.raises(openstack.exceptions.NotFoundException):
            user_conn.identity.get_application_credential(user.id, cred.id)

        admin_conn.identity.unassign_project_role_from_user(project, user, member_role_id)
        assert list(admin_conn.identity.role_assignments(scope_project_id=project.id)) == []
    finally:
        if user_conn is not None:
            user_conn.close()
        admin_conn.identity.delete_user(user, ignore_missing=True)
        admin_conn.identity.delete_project(project, ignore_missing=True)
