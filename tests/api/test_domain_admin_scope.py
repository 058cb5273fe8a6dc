"""A domain administrator acts within its domain only, on both sides of every grant and
group membership (Keystone's grant and group policies), and reads only its domain's
assignments and members: never users or groups of another domain, even through a group."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import PASSWORD, V3, Api, assert_error


@dataclass
class Domains:
    a: str
    b: str
    admin_token: str  # admin on domain A, domain-scoped
    reader_token: str  # reader on domain A, domain-scoped
    ua: str
    ub: str
    ga: str
    gb: str
    pa: str
    pb: str
    role: str


def _make(api: Api, kind: str, domain_id: str, **extra: Any) -> str:
    body = {"name": f"{kind[0]}-{uuid.uuid4().hex[:8]}", "domain_id": domain_id, **extra}
    r = api.post(f"/{kind}s", {kind: body})
    assert r.status_code == 201, r.text
    return str(r.json()[kind]["id"])


def _domain_token(api: Api, domain_id: str, role: str) -> str:
    user = _make(api, "user", domain_id, password=PASSWORD)
    r = api.put(f"/domains/{domain_id}/users/{user}/roles/{api.role_id(role)}")
    assert r.status_code == 204, r.text
    r = api.http.post(f"{V3}/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {
            "user": {"id": user, "password": PASSWORD}}},
        "scope": {"domain": {"id": domain_id}}}})
    assert r.status_code == 201, r.text
    return str(r.headers["X-Subject-Token"])


@pytest.fixture
def d(api: Api) -> Domains:
    ids = []
    for _ in range(2):
        r = api.post("/domains", {"domain": {"name": f"d-{uuid.uuid4().hex[:8]}"}})
        assert r.status_code == 201, r.text
        ids.append(r.json()["domain"]["id"])
    a, b = ids
    return Domains(
        a=a, b=b, admin_token=_domain_token(api, a, "admin"),
        reader_token=_domain_token(api, a, "reader"),
        ua=_make(api, "user", a), ub=_make(api, "user", b),
        ga=_make(api, "group", a), gb=_make(api, "group", b),
        pa=_make(api, "project", a), pb=_make(api, "project", b),
        role=api.role_id("member"))


def _paths(d: Domains) -> dict[str, tuple[str, bool]]:
    """Each grant path -> whether the domain admin of A may manage it."""
    return {
        "A user on A project": (f"/projects/{d.pa}/users/{d.ua}/roles", True),
        "A group on A project": (f"/projects/{d.pa}/groups/{d.ga}/roles", True),
        "A user on domain A": (f"/domains/{d.a}/users/{d.ua}/roles", True),
        "A group on domain A": (f"/domains/{d.a}/groups/{d.ga}/roles", True),
        "B user on A project": (f"/projects/{d.pa}/users/{d.ub}/roles", False),
        "B group on A project": (f"/projects/{d.pa}/groups/{d.gb}/roles", False),
        "B user on domain A": (f"/domains/{d.a}/users/{d.ub}/roles", False),
        "B group on domain A": (f"/domains/{d.a}/groups/{d.gb}/roles", False),
        "A user on B project": (f"/projects/{d.pb}/users/{d.ua}/roles", False),
        "A group on domain B": (f"/domains/{d.b}/groups/{d.ga}/roles", False),
        "B user inherited on domain A": (
            f"/OS-INHERIT/domains/{d.a}/users/{d.ub}/roles", False),
    }


@pytest.mark.parametrize("name", list(_paths(Domains(*[""] * 11))))
def test_each_grant_path(api: Api, d: Domains, name: str) -> None:
    base, allowed = _paths(d)[name]
    suffix = "/inherited_to_projects" if base.startswith("/OS-INHERIT") else ""
    one = f"{base}/{d.role}{suffix}"
    listing = f"{base}{suffix}"
    if allowed:
        assert api.put(one, token=d.admin_token).status_code == 204
        assert api.get(one, token=d.admin_token).status_code == 204
        assert api.get(one, token=d.reader_token).status_code == 204
        r = api.get(listing, token=d.reader_token)
        assert r.status_code == 200 and [x["id"] for x in r.json()["roles"]] == [d.role]
        assert api.delete(one, token=d.admin_token).status_code == 204
        return
    assert_error(api.put(one, token=d.admin_token), 403)
    # The cloud admin makes it; A's administrators neither read nor remove it.
    assert api.put(one).status_code == 204
    for token in (d.admin_token, d.reader_token):
        assert_error(api.get(one, token=token), 403)
        assert_error(api.get(listing, token=token), 403)
    assert_error(api.delete(one, token=d.admin_token), 403)
    assert api.get(one).status_code == 204


def test_group_membership_across_domains(api: Api, d: Domains) -> None:
    member = f"/groups/{d.ga}/users"
    assert api.put(f"{member}/{d.ua}", token=d.admin_token).status_code == 204
    assert_error(api.put(f"{member}/{d.ub}", token=d.admin_token), 403)
    # The cloud admin puts B's user in A's group, and A's user in B's group.
    assert api.put(f"{member}/{d.ub}").status_code == 204
    assert api.put(f"/groups/{d.gb}/users/{d.ua}").status_code == 204
    for token in (d.admin_token, d.reader_token):
        assert_error(api.get(f"{member}/{d.ub}", token=token), 403)
        assert api.get(f"{member}/{d.ua}", token=token).status_code == 204
        r = api.get(member, token=token)
        assert r.status_code == 200, r.text
        assert [u["id"] for u in r.json()["users"]] == [d.ua]
        assert_error(api.get(f"/users/{d.ub}/groups", token=token), 403)
        r = api.get(f"/users/{d.ua}/groups", token=token)
        assert [g["id"] for g in r.json()["groups"]] == [d.ga]
    # The same for a user's projects: A's user on B's project is B's business.
    assert api.put(f"/projects/{d.pb}/users/{d.ua}/roles/{d.role}").status_code == 204
    assert api.put(f"/projects/{d.pa}/users/{d.ua}/roles/{d.role}").status_code == 204
    for token in (d.admin_token, d.reader_token):
        r = api.get(f"/users/{d.ua}/projects", token=token)
        assert [p["id"] for p in r.json()["projects"]] == [d.pa], r.text
    r = api.get(f"/users/{d.ua}/projects")
    assert sorted(p["id"] for p in r.json()["projects"]) == sorted([d.pa, d.pb])
    assert_error(api.delete(f"{member}/{d.ub}", token=d.admin_token), 403)
    # The cloud admin still sees everything.
    r = api.get(member)
    assert sorted(u["id"] for u in r.json()["users"]) == sorted([d.ua, d.ub])


def test_role_assignments_are_read_within_the_domain(api: Api, d: Domains) -> None:
    # Through a group of A with a member of B, and directly, B's user holds a role on A's
    # project; A's user holds one through B's group.
    assert api.put(f"/groups/{d.ga}/users/{d.ub}").status_code == 204
    assert api.put(f"/groups/{d.gb}/users/{d.ua}").status_code == 204
    for path in (f"/projects/{d.pa}/groups/{d.ga}/roles/{d.role}",
                 f"/projects/{d.pa}/users/{d.ub}/roles/{d.role}",
                 f"/projects/{d.pa}/groups/{d.gb}/roles/{d.role}",
                 f"/projects/{d.pa}/users/{d.ua}/roles/{d.role}"):
        assert api.put(path).status_code == 204
    for token in (d.admin_token, d.reader_token):
        for params in ({"scope.project.id": d.pa},
                       {"scope.project.id": d.pa, "effective": ""},
                       {"scope.project.id": d.pa, "include_names": "1"},
                       {"scope.domain.id": d.a}):
            r = api.get("/role_assignments", params=params, token=token)
            assert r.status_code == 200, r.text
            rows = r.json()["role_assignments"]
            actors = {x.get("user", x.get("group", {})).get("id") for x in rows}
            assert actors and not actors & {d.ub, d.gb}, (params, rows)
            via = {x["links"].get("membership", "") for x in rows}
            assert not any(d.gb in link for link in via), rows
        r = api.get("/role_assignments", params={"scope.project.id": d.pa, "user.id": d.ub,
                                                 "effective": ""}, token=token)
        assert r.status_code == 200 and r.json()["role_assignments"] == [], r.text
        assert_error(api.get("/role_assignments", params={"scope.project.id": d.pb},
                             token=token), 403)
    # The cloud admin sees all four, and the rows through groups.
    r = api.get("/role_assignments", params={"scope.project.id": d.pa, "effective": ""})
    users = {x["user"]["id"] for x in r.json()["role_assignments"]}
    assert users == {d.ua, d.ub}


def test_the_admin_domains_admin_cannot_become_a_cloud_admin(api: Api) -> None:
    """The admin of the domain holding the cloud's admin project (`default`) manages its
    domain, but not the cloud's administration: no grant reaching the admin project or the
    system, no change to a cloud administrator, their groups or the admin project."""
    token = _domain_token(api, "default", "admin")
    me = api.get("/auth/tokens", headers={"X-Subject-Token": token}).json()["token"]["user"]
    admin_role = api.role_id("admin")
    admins = _make(api, "group", "default")
    assert api.put(f"/projects/{api.admin_project_id}/groups/{admins}/roles/"
                   f"{admin_role}").status_code == 204
    attempts = {
        "grant on the admin project": api.put(
            f"/projects/{api.admin_project_id}/users/{me['id']}/roles/{admin_role}",
            token=token),
        "inherited grant reaching it": api.put(
            f"/OS-INHERIT/domains/default/users/{me['id']}/roles/{admin_role}"
            "/inherited_to_projects", token=token),
        "join the admins' group": api.put(f"/groups/{admins}/users/{me['id']}", token=token),
        "reset the admin's password": api.patch(
            f"/users/{api.admin_user_id}", {"user": {"password": "mine-now"}}, token=token),
        "disable the admin": api.patch(
            f"/users/{api.admin_user_id}", {"user": {"enabled": False}}, token=token),
        "revoke the admin's role": api.delete(
            f"/projects/{api.admin_project_id}/users/{api.admin_user_id}/roles/{admin_role}",
            token=token),
        "rename the admins' group": api.patch(
            f"/groups/{admins}", {"group": {"name": "x"}}, token=token),
        "disable the admin project": api.patch(
            f"/projects/{api.admin_project_id}", {"project": {"enabled": False}},
            token=token),
    }
    for what, r in attempts.items():
        assert r.status_code == 403, (what, r.text)
    # Its own domain's ordinary business still works.
    project = _make(api, "project", "default")
    user = _make(api, "user", "default")
    assert api.put(f"/projects/{project}/users/{user}/roles/{admin_role}",
                   token=token).status_code == 204
    assert api.patch(f"/users/{user}", {"user": {"description": "ok"}},
                     token=token).status_code == 200
    assert api.login("admin", api.admin_password, api.admin_project_id)
