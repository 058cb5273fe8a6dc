"""In-process HTTP: a seeded cloud on a SQLite file, driven through Starlette's TestClient."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

with warnings.catch_warnings():
    # Starlette nudges towards httpx2; the httpx-based TestClient works the same for us.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from nuage.bootstrap import Cloud, Overrides, build
from nuage.settings import Settings
from tests.unit.compute.fakes import MemoryHypervisor

if TYPE_CHECKING:
    from tests.api.compute_servers import Servers
    from tests.api.compute_support import Nova

PASSWORD = "s3cret-password"
V3 = "/identity/v3"


@dataclass
class Api:
    cloud: Cloud
    http: TestClient
    admin_token: str
    admin_user_id: str
    admin_project_id: str
    admin_password: str

    def h(self, token: str | None = None) -> dict[str, str]:
        return {"X-Auth-Token": token or self.admin_token}

    def get(self, path: str, token: str | None = None, *,
            headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        r: httpx.Response = self.http.get(V3 + path, headers={**self.h(token), **(headers or {})},
                                          **kw)
        return r

    def post(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.http.post(V3 + path, json=body, headers=self.h(token))
        return r

    def patch(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.http.patch(V3 + path, json=body, headers=self.h(token))
        return r

    def put(self, path: str, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.http.put(V3 + path, headers=self.h(token))
        return r

    def delete(self, path: str, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.http.delete(V3 + path, headers=self.h(token))
        return r

    def raw(self, method: str, path: str, content: bytes, token: str | None = None
            ) -> httpx.Response:
        r: httpx.Response = self.http.request(
            method, V3 + path, content=content,
            headers={**self.h(token), "Content-Type": "application/json"})
        return r

    # -- making things -----------------------------------------------------------------------
    def project(self, name: str | None = None) -> dict[str, Any]:
        r = self.post("/projects", {"project": {"name": name or f"p-{uuid.uuid4().hex[:8]}",
                                                "domain_id": "default"}})
        assert r.status_code == 201, r.text
        return dict(r.json()["project"])

    def user(self, name: str | None = None) -> dict[str, Any]:
        r = self.post("/users", {"user": {"name": name or f"u-{uuid.uuid4().hex[:8]}",
                                          "domain_id": "default", "password": PASSWORD}})
        assert r.status_code == 201, r.text
        return dict(r.json()["user"])

    def role_id(self, name: str) -> str:
        r = self.get("/roles", params={"name": name})
        assert r.status_code == 200, r.text
        return str(r.json()["roles"][0]["id"])

    def grant(self, project_id: str, user_id: str, role: str) -> None:
        r = self.put(f"/projects/{project_id}/users/{user_id}/roles/{self.role_id(role)}")
        assert r.status_code == 204, r.text

    def auth_body(self, name: str, password: str = PASSWORD, project_id: str | None = None
                  ) -> dict[str, Any]:
        body: dict[str, Any] = {"auth": {"identity": {"methods": ["password"], "password": {
            "user": {"name": name, "domain": {"id": "default"}, "password": password}}}}}
        if project_id:
            body["auth"]["scope"] = {"project": {"id": project_id}}
        return body

    def login(self, name: str, password: str = PASSWORD, project_id: str | None = None
              ) -> str:
        r = self.http.post(f"{V3}/auth/tokens", json=self.auth_body(name, password, project_id))
        assert r.status_code == 201, r.text
        return str(r.headers["X-Subject-Token"])

    def member_of(self, project_id: str, role: str = "member") -> tuple[dict[str, Any], str]:
        """A new user with `role` on the project, and their project-scoped token."""
        user = self.user()
        self.grant(project_id, user["id"], role)
        return user, self.login(user["name"], project_id=project_id)

    def events(self, token: str | None = None, **params: Any) -> list[dict[str, Any]]:
        r = self.http.get("/audit/v1/events", params={"limit": 1000, **params},
                          headers=self.h(token))
        assert r.status_code == 200, r.text
        return list(r.json()["events"])


# The host the in-process compute tests register; its agent, when a test asks for one
# (`cloud.compute_agent()`), drives an in-memory hypervisor.
AGENT_HOST = "host1"


def make_api(state_dir: Path, **settings: Any) -> Iterator[Api]:
    # No seeded external network unless a test asks for one (network_external_cidr): the
    # list assertions of the other tests count what their projects see.
    cloud = build(Settings.model_validate({"state_dir": state_dir, "fast_password_hashing": True,
                                           "user_clouds_yaml": False,
                                           "network_external_cidr": "", **settings}),
                  overrides=Overrides(hypervisor=MemoryHypervisor(), hostname=AGENT_HOST))
    seeded = cloud.seed()
    assert seeded.admin_password is not None
    with TestClient(cloud.app()) as http:
        api = Api(cloud, http, "", seeded.admin_user_id, seeded.admin_project_id,
                  seeded.admin_password)
        api.admin_token = api.login("admin", seeded.admin_password, seeded.admin_project_id)
        yield api
    cloud.engine.dispose()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path / "state", lockout_failure_attempts=3)


# The compute tests' helpers import this module, hence the imports inside the fixtures.
@pytest.fixture
def nova(api: Api) -> Nova:
    from tests.api.compute_support import Nova
    return Nova(api)


@pytest.fixture
def servers(nova: Nova) -> Servers:
    from tests.api.compute_servers import Servers
    return Servers(nova)


def assert_error(r: httpx.Response, status: int) -> dict[str, Any]:
    """The Keystone error envelope, with the status repeated in the body."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "title", "message"}, error
    assert error["code"] == status
    assert isinstance(error["title"], str) and error["title"]
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)
