"""The cloud administrator's everyday identity work through the real `openstack` CLI."""

from __future__ import annotations

from typing import Any

import httpx
import openstack.connection
import pytest

from tests.compat.conftest import cli_json, identity_v3, password_auth, run_cli, unique
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_token_issue(admin_env: dict[str, str], http: httpx.Client, admin_token: str) -> None:
    token = cli_json(admin_env, "token", "issue")
    assert set(token) >= {"id", "expires", "project_id", "user_id"}
    admin_project = http.get("/auth/projects", headers={"X-Auth-Token": admin_token}).json()
    assert token["project_id"] in {p["id"] for p in admin_project["projects"]}
    # The CLI's token is a real one: the server validates it and names the admin.
    check = http.get("/auth/tokens", headers={"X-Auth-Token": admin_token,
                                              "X-Subject-Token": token["id"]})
    assert check.status_code == 200, check.text
    assert check.json()["token"]["user"]["name"] == "admin"
    assert check.json()["token"]["user"]["id"] == token["user_id"]


def test_project_lifecycle(admin_env: dict[str, str],
                           admin_conn: openstack.connection.Connection) -> None:
    name = unique("proj")
    created = cli_json(admin_env, "project", "create", "--domain", "default",
                       "--description", "first words", name)
    assert created["name"] == name
    assert created["description"] == "first words"
    assert created["enabled"] is True
    assert created["domain_id"] == "default"
    pid = created["id"]

    shown = cli_json(admin_env, "project", "show", name)
    assert shown["id"] == pid

    listed = cli_json(admin_env, "project", "list")
    assert {"ID": pid, "Name": name} in listed
    assert "admin" in {p["Name"] for p in listed}

    run_cli(admin_env, "project", "set", "--description", "second words", "--disable", pid)
    after = identity_v3(admin_conn).get_project(pid)
    assert after.description == "second words"
    assert after.is_enabled is False

    run_cli(admin_env, "project", "delete", name)
    assert identity_v3(admin_conn).find_project(pid) is None


def test_user_lifecycle(live_nuage: LiveNuage, admin_env: dict[str, str],
                        admin_conn: openstack.connection.Connection,
                        http: httpx.Client) -> None:
    project = identity_v3(admin_conn).create_project(name=unique("uproj"), domain_id="default")
    name, password = unique("bob"), "bob-s3cret"
    try:
        created = cli_json(admin_env, "user", "create", "--domain", "default",
                           "--project", project.name, "--password", password,
                           "--email", f"{name}@example.org", name)
        assert created["name"] == name
        assert created["email"] == f"{name}@example.org"
        assert created["default_project_id"] == project.id
        assert created["enabled"] is True
        assert "password" not in created
        uid = created["id"]

        shown = cli_json(admin_env, "user", "show", name)
        assert shown["id"] == uid
        assert shown["email"] == f"{name}@example.org"

        # The password works (unscoped: bob has no role yet).
        assert http.post("/auth/tokens", json=password_auth(name, password)).status_code == 201

        run_cli(admin_env, "user", "set", "--disable", name)
        assert identity_v3(admin_conn).get_user(uid).is_enabled is False
        refused = http.post("/auth/tokens", json=password_auth(name, password))
        assert refused.status_code == 401

        run_cli(admin_env, "user", "set", "--enable", name)
        assert identity_v3(admin_conn).get_user(uid).is_enabled is True
        assert http.post("/auth/tokens", json=password_auth(name, password)).status_code == 201

        run_cli(admin_env, "user", "delete", uid)
        assert identity_v3(admin_conn).find_user(uid) is None
        assert http.post("/auth/tokens", json=password_auth(name, password)).status_code == 401
    finally:
        identity_v3(admin_conn).delete_project(project, ignore_missing=True)


def _assignments(env: dict[str, str], project: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cli_json(env, "role", "assignment", "list",
                                          "--project", project, "--names")
    return rows


def test_roles_and_groups(admin_env: dict[str, str],
                          admin_conn: openstack.connection.Connection) -> None:
    project = identity_v3(admin_conn).create_project(name=unique("rproj"), domain_id="default")
    user = identity_v3(admin_conn).create_user(name=unique("carol"), domain_id="default",
                                           password="x-password")
    group_name = unique("team")
    try:
        roles = {r["Name"] for r in cli_json(admin_env, "role", "list")}
        assert {"admin", "member", "reader"} <= roles

        run_cli(admin_env, "role", "add", "--project", project.name, "--user", user.name,
                "member")
        rows = _assignments(admin_env, project.name)
        assert len(rows) == 1
        assert rows[0]["Role"] == "member"
        assert rows[0]["User"] == f"{user.name}@Default"
        assert rows[0]["Project"] == f"{project.name}@Default"

        run_cli(admin_env, "role", "remove", "--project", project.id, "--user", user.id,
                "member")
        assert list(identity_v3(admin_conn).role_assignments(scope_project_id=project.id)) == []

        group = cli_json(admin_env, "group", "create", "--domain", "default",
                         "--description", "the team", group_name)
        assert group["name"] == group_name
        run_cli(admin_env, "group", "add", "user", group_name, user.name)
        members = [u.id for u in identity_v3(admin_conn).group_users(group["id"])]
        assert members == [user.id]

        run_cli(admin_env, "role", "add", "--project", project.id, "--group", group_name,
                "reader")
        direct = list(identity_v3(admin_conn).role_assignments(scope_project_id=project.id))
        assert len(direct) == 1
        assert direct[0].group["id"] == group["id"]
        # Through the group, the user's effective assignments include reader on the project.
        effective = list(identity_v3(admin_conn).role_assignments(
            scope_project_id=project.id, user_id=user.id, effective=True))
        reader = identity_v3(admin_conn).find_role("reader")
        assert reader is not None
        assert [a.role["id"] for a in effective] == [reader.id]
    finally:
        found = identity_v3(admin_conn).find_group(group_name)
        if found is not None:
            identity_v3(admin_conn).delete_group(found)
        identity_v3(admin_conn).delete_user(user, ignore_missing=True)
        identity_v3(admin_conn).delete_project(project, ignore_missing=True)


def test_domains(admin_env: dict[str, str],
                 admin_conn: openstack.connection.Connection) -> None:
    name = unique("dom")
    created = cli_json(admin_env, "domain", "create", "--description", "another one", name)
    try:
        assert created["name"] == name
        assert created["enabled"] is True
        listed = {d["Name"]: d for d in cli_json(admin_env, "domain", "list")}
        assert name in listed
        assert listed[name]["ID"] == created["id"]
        assert "Default" in listed
    finally:
        identity_v3(admin_conn).update_domain(created["id"], is_enabled=False)
        identity_v3(admin_conn).delete_domain(created["id"])
