"""A tenant user (alice, member of project demo) through the real `openstack` CLI: her view
of the cloud, application and EC2 credentials, and the admin revoking her token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openstack.connection
import pytest

from tests.compat.conftest import (
    Tenant,
    cli_json,
    identity_v3,
    make_tenant,
    run_cli,
    run_cli_many,
    token_for,
    unique,
    user_env,
)
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def alice(admin_conn: openstack.connection.Connection, member_role_id: str
          ) -> Iterator[Tenant]:
    t = make_tenant(admin_conn, member_role_id, "alice")
    yield t
    identity_v3(admin_conn).delete_user(t.user_id, ignore_missing=True)
    identity_v3(admin_conn).delete_project(t.project_id, ignore_missing=True)


@pytest.fixture(scope="module")
def alice_env(live_nuage: LiveNuage, alice: Tenant) -> dict[str, str]:
    return user_env(live_nuage, alice.username, alice.password, alice.project_name)


@pytest.fixture(scope="module")
def other_project(admin_conn: openstack.connection.Connection) -> Iterator[str]:
    project = identity_v3(admin_conn).create_project(name=unique("elsewhere"), domain_id="default")
    yield project.name
    identity_v3(admin_conn).delete_project(project, ignore_missing=True)


def test_alice_sees_only_her_project(alice: Tenant, alice_env: dict[str, str],
                                     other_project: str) -> None:
    token, projects, users, other = run_cli_many(
        (alice_env, ["token", "issue", "-f", "json"]),
        (alice_env, ["project", "list", "-f", "json"]),
        (alice_env, ["user", "list", "-f", "json"]),
        (alice_env, ["project", "show", other_project, "-f", "json"]),
    )
    assert token.returncode == 0, token.stderr
    assert token.json()["project_id"] == alice.project_id
    assert token.json()["user_id"] == alice.user_id

    assert projects.returncode == 0, projects.stderr
    assert projects.json() == [{"ID": alice.project_id, "Name": alice.project_name}]

    assert users.returncode != 0
    assert "403" in users.stderr or "Forbidden" in users.stderr, users.stderr
    assert users.stdout.strip() == ""

    assert other.returncode != 0
    assert other_project not in other.stdout
    assert other.stdout.strip() == ""


def test_alice_application_credential(live_nuage: LiveNuage, alice: Tenant,
                                      alice_env: dict[str, str],
                                      admin_conn: openstack.connection.Connection) -> None:
    name = unique("ci")
    cred = cli_json(alice_env, "application", "credential", "create", "--secret", "app-s3cret",
                    "--description", "for CI", name)
    assert cred["Name"] == name
    assert cred["Secret"] == "app-s3cret"
    assert cred["Description"] == "for CI"
    assert cred["Project ID"] == alice.project_id
    assert "member" in str(cred["Roles"])

    env = user_env(live_nuage, "", "", None)
    for key in ("OS_USERNAME", "OS_PASSWORD", "OS_USER_DOMAIN_NAME"):
        env.pop(key)
    env.update({"OS_AUTH_TYPE": "v3applicationcredential",
                "OS_APPLICATION_CREDENTIAL_ID": cred["ID"],
                "OS_APPLICATION_CREDENTIAL_SECRET": "app-s3cret"})
    token = cli_json(env, "token", "issue")
    assert token["project_id"] == alice.project_id
    assert token["user_id"] == alice.user_id

    env["OS_APPLICATION_CREDENTIAL_SECRET"] = "not-the-secret"
    wrong = run_cli(env, "token", "issue", check=False)
    assert wrong.returncode != 0
    assert "401" in wrong.stderr, wrong.stderr

    listed = list(identity_v3(admin_conn).application_credentials(alice.user_id))
    assert [c.id for c in listed] == [cred["ID"]]
    assert all(not getattr(c, "secret", None) for c in listed)


def test_alice_ec2_credentials(alice: Tenant, alice_env: dict[str, str], http: httpx.Client
                               ) -> None:
    created = cli_json(alice_env, "ec2", "credentials", "create")
    assert created["project_id"] == alice.project_id
    assert created["user_id"] == alice.user_id
    assert len(created["access"]) >= 16
    assert len(created["secret"]) >= 16

    listed = cli_json(alice_env, "ec2", "credentials", "list")
    assert [(c["Access"], c["Secret"], c["Project ID"]) for c in listed] == [
        (created["access"], created["secret"], alice.project_id)]

    run_cli(alice_env, "ec2", "credentials", "delete", created["access"])
    token = token_for(http, alice.username, alice.password, alice.project_id)
    after = http.get(f"/users/{alice.user_id}/credentials/OS-EC2",
                     headers={"X-Auth-Token": token})
    assert after.status_code == 200
    assert after.json()["credentials"] == []
    gone = http.get(f"/users/{alice.user_id}/credentials/OS-EC2/{created['access']}",
                    headers={"X-Auth-Token": token})
    assert gone.status_code == 404


def test_admin_revokes_alice_token(alice: Tenant, admin_env: dict[str, str],
                                   http: httpx.Client, admin_token: str) -> None:
    token = token_for(http, alice.username, alice.password, alice.project_id)
    other = token_for(http, alice.username, alice.password, alice.project_id)
    before = http.get("/auth/projects", headers={"X-Auth-Token": token})
    assert before.status_code == 200
    assert [p["id"] for p in before.json()["projects"]] == [alice.project_id]

    run_cli(admin_env, "token", "revoke", token)

    used = http.get("/auth/projects", headers={"X-Auth-Token": token})
    assert used.status_code == 401
    assert used.json()["error"]["code"] == 401
    checked = http.get("/auth/tokens", headers={"X-Auth-Token": admin_token,
                                                "X-Subject-Token": token})
    assert checked.status_code == 404
    assert checked.json()["error"]["code"] == 404
    # Only that token: alice's other token still works.
    assert http.get("/auth/projects", headers={"X-Auth-Token": other}).status_code == 200
