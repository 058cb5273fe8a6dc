"""Helpers for the compat suite: the real `openstack` CLI, openstacksdk and httpx against a
live `nuage up` (the session fixture `live_nuage` from tests/conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openstack.connection
import pytest
from openstack.identity.v3._proxy import Proxy as IdentityV3
from openstack.image.v2._proxy import Proxy as ImageV2

from tests.support.live import LiveNuage

OPENSTACK = str(Path(sys.executable).parent / "openstack")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # openstacksdk warns about its own future removals on every call; that is not ours.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(env: dict[str, str], *args: str, check: bool = True) -> CliResult:
    """Run the real `openstack` client; raise with its stderr when `check` and it fails."""
    proc = subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True,
                          timeout=120)
    result = CliResult(proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError(f"openstack {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stderr}\n{proc.stdout}")
    return result


def run_cli_many(*calls: tuple[dict[str, str], list[str]]) -> list[CliResult]:
    """Run independent CLI calls side by side: each pays ~1.5 s of client start-up."""
    procs = [subprocess.Popen([OPENSTACK, *args], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for env, args in calls]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(CliResult(proc.returncode, out, err))
    return results


def cli_json(env: dict[str, str], *args: str) -> Any:
    return run_cli(env, *args, "-f", "json").json()


def user_env(live: LiveNuage, username: str, password: str, project: str | None,
             **extra: str) -> dict[str, str]:
    """CLI environment for a non-admin user, by OS_* variables (no clouds.yaml)."""
    env = live.client_env()
    env.pop("OS_CLOUD", None)
    env.pop("OS_CLIENT_CONFIG_FILE", None)
    env.update({
        "OS_AUTH_URL": live.identity_url, "OS_IDENTITY_API_VERSION": "3",
        "OS_USERNAME": username, "OS_PASSWORD": password,
        "OS_USER_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionOne",
    })
    if project is not None:
        env.update({"OS_PROJECT_NAME": project, "OS_PROJECT_DOMAIN_NAME": "Default"})
    env.update(extra)
    return env


def connect(live: LiveNuage, username: str, password: str,
            project: str | None) -> openstack.connection.Connection:
    kwargs: dict[str, Any] = {}
    if project is not None:
        kwargs = {"project_name": project, "project_domain_name": "Default"}
    return openstack.connection.Connection(
        auth_url=live.identity_url, username=username, password=password,
        user_domain_name="Default", region_name="RegionOne", identity_api_version="3",
        **kwargs)


def identity_v3(conn: openstack.connection.Connection) -> IdentityV3:
    """Keystone v3's proxy: openstacksdk types `conn.identity` as v2 or v3, and nuage
    serves v3 only."""
    proxy = conn.identity
    assert isinstance(proxy, IdentityV3), proxy
    return proxy


def image_v2(conn: openstack.connection.Connection) -> ImageV2:
    """Glance v2's proxy: openstacksdk types `conn.image` as v1 or v2."""
    proxy = conn.image
    assert isinstance(proxy, ImageV2), proxy
    return proxy


def password_auth(username: str, password: str, project_id: str | None = None
                  ) -> dict[str, Any]:
    body: dict[str, Any] = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": username, "domain": {"id": "default"}, "password": password}}}}}
    if project_id:
        body["auth"]["scope"] = {"project": {"id": project_id}}
    return body


@dataclass
class Tenant:
    """A project with one member user, made through the SDK as the admin."""

    project_id: str
    project_name: str
    user_id: str
    username: str
    password: str


@pytest.fixture(scope="session")
def admin_env(live_nuage: LiveNuage) -> dict[str, str]:
    return live_nuage.client_env()


@pytest.fixture(scope="session")
def admin_conn(live_nuage: LiveNuage) -> Iterator[openstack.connection.Connection]:
    conn = connect(live_nuage, "admin", live_nuage.admin_password, "admin")
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="session")
def http(live_nuage: LiveNuage) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{live_nuage.identity_url}/v3", timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def admin_token(live_nuage: LiveNuage) -> str:
    return live_nuage.admin_token()


@pytest.fixture(scope="session")
def member_role_id(admin_conn: openstack.connection.Connection) -> str:
    role = identity_v3(admin_conn).find_role("member", ignore_missing=False)
    return str(role.id)


def make_tenant(conn: openstack.connection.Connection, member_role_id: str,
                prefix: str = "t", role_id: str | None = None) -> Tenant:
    project = identity_v3(conn).create_project(name=unique(f"{prefix}-proj"), domain_id="default")
    password = uuid.uuid4().hex
    user = identity_v3(conn).create_user(name=unique(f"{prefix}-user"), domain_id="default",
                                     password=password, default_project_id=project.id)
    identity_v3(conn).assign_project_role_to_user(project, user, role_id or member_role_id)
    return Tenant(project.id, project.name, user.id, user.name, password)


@pytest.fixture
def tenant_factory(admin_conn: openstack.connection.Connection, member_role_id: str
                   ) -> Iterator[Any]:
    made: list[Tenant] = []

    def factory(prefix: str = "t") -> Tenant:
        t = make_tenant(admin_conn, member_role_id, prefix)
        made.append(t)
        return t

    yield factory
    for t in made:
        identity_v3(admin_conn).delete_user(t.user_id, ignore_missing=True)
        identity_v3(admin_conn).delete_project(t.project_id, ignore_missing=True)


def token_for(http: httpx.Client, username: str, password: str,
              project_id: str | None = None) -> str:
    response = http.post("/auth/tokens", json=password_auth(username, password, project_id))
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


@pytest.fixture(scope="session")
def volume_server(admin_conn: openstack.connection.Connection) -> Iterator[Any]:
    """One running guest (no NIC: no datapath needed) that the volume compat tests
    attach their volumes to, shared by them: every guest costs a TCG boot."""
    conn = admin_conn
    image = image_v2(conn).find_image("nuage-guest", ignore_missing=False)
    flavor = min(conn.compute.flavors(), key=lambda f: (f.ram, f.vcpus))
    server = conn.compute.create_server(name=unique("vol-host"), image_id=image.id,
                                        flavor_id=flavor.id, networks="none")
    try:
        yield conn.compute.wait_for_server(server, status="ACTIVE", wait=600)
    finally:
        # A session fixture tears down after the last test, which may be anywhere in the
        # suite: the compat tests' filter of openstacksdk's own deprecation warnings
        # (pytest_collection_modifyitems) does not reach that far, so it is set here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            conn.compute.delete_server(server, ignore_missing=True)
            conn.compute.wait_for_delete(server, wait=600)
