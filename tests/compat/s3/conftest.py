"""boto3 against a live `nuage up`: two tenants (projects A and B) with EC2 keys.

Each tenant has a member user (its everyday keys) and a project-admin user (for what only an
admin may do, such as bypassing governance retention). Buckets get unique names so tests can
share the session's server and tenants without cleaning up.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient, Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.live import LiveNuage

REGION = "RegionOne"


def unique_bucket(prefix: str = "b") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def s3_client(url: str, access: str, secret: str, **config: Any) -> BaseClient:
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                 signature_version="s3v4", **config)
    return boto3.session.Session().client(
        "s3", endpoint_url=url, aws_access_key_id=access, aws_secret_access_key=secret,
        region_name=REGION, config=cfg)


@dataclass
class Keys:
    user_id: str
    access: str
    secret: str


@dataclass
class S3Tenant:
    project_id: str
    member: Keys
    admin: Keys
    reader: Keys
    url: str

    def client(self, who: str = "member") -> BaseClient:
        keys: Keys = getattr(self, who)
        return s3_client(self.url, keys.access, keys.secret)


class Identity:
    """The few Keystone v3 calls the suite needs, as the cloud admin, over httpx."""

    def __init__(self, live: LiveNuage) -> None:
        self.live = live
        self.token = live.admin_token()
        self.http = httpx.Client(base_url=f"{live.identity_url}/v3", timeout=30,
                                 headers={"X-Auth-Token": self.token})
        roles = self.http.get("/roles").json()["roles"]
        self.roles = {r["name"]: r["id"] for r in roles}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def project(self, name: str) -> str:
        return str(self.post("/projects", {"project": {
            "name": name, "domain_id": "default"}})["project"]["id"])

    def user(self, name: str, project_id: str, role: str) -> str:
        user_id = str(self.post("/users", {"user": {
            "name": name, "domain_id": "default", "password": uuid.uuid4().hex,
            "default_project_id": project_id}})["user"]["id"])
        response = self.http.put(
            f"/projects/{project_id}/users/{user_id}/roles/{self.roles[role]}")
        assert response.status_code == 204, response.text
        return user_id

    def ec2_keys(self, user_id: str, project_id: str) -> Keys:
        cred = self.post(f"/users/{user_id}/credentials/OS-EC2",
                         {"tenant_id": project_id})["credential"]
        return Keys(user_id, cred["access"], cred["secret"])

    def set_enabled(self, kind: str, ident: str, enabled: bool) -> None:
        response = self.http.patch(f"/{kind}s/{ident}", json={kind: {"enabled": enabled}})
        assert response.status_code == 200, response.text

    def tenant(self, prefix: str, url: str | None = None) -> S3Tenant:
        project_id = self.project(f"{prefix}-{uuid.uuid4().hex[:8]}")
        keys = {}
        for role in ("member", "admin", "reader"):
            user_id = self.user(f"{prefix}-{role}-{uuid.uuid4().hex[:8]}", project_id, role)
            keys[role] = self.ec2_keys(user_id, project_id)
        return S3Tenant(project_id, keys["member"], keys["admin"], keys["reader"],
                        url or self.live.s3_url)

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session")
def identity(live_nuage: LiveNuage) -> Iterator[Identity]:
    admin = Identity(live_nuage)
    try:
        yield admin
    finally:
        admin.close()


@pytest.fixture(scope="session")
def tenant_a(identity: Identity) -> S3Tenant:
    return identity.tenant("s3a")


@pytest.fixture(scope="session")
def tenant_b(identity: Identity) -> S3Tenant:
    return identity.tenant("s3b")


@pytest.fixture(scope="session")
def s3(tenant_a: S3Tenant) -> BaseClient:
    """Project A's member."""
    return tenant_a.client()


@pytest.fixture(scope="session")
def s3_b(tenant_b: S3Tenant) -> BaseClient:
    """Project B's member."""
    return tenant_b.client()


@pytest.fixture
def bucket(s3: BaseClient) -> str:
    """A fresh, empty bucket of project A."""
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def versioned_bucket(s3: BaseClient) -> str:
    name = unique_bucket("v")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def send(tenant: S3Tenant, method: str, path: str, body: bytes = b"",
         headers: dict[str, str] | None = None, who: str = "member", region: str = REGION
         ) -> httpx.Response:
    """A raw request signed with the tenant's keys (for what boto3 would not send)."""
    keys: Keys = getattr(tenant, who)
    request = AWSRequest(method=method, url=tenant.url + path, data=body,
                         headers=headers or {})
    request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    SigV4Auth(Credentials(keys.access, keys.secret), "s3", region).add_auth(request)
    with httpx.Client(timeout=60) as client:
        return client.request(method, request.url, headers=dict(request.headers.items()),
                              content=body)


def error_of(exc: ClientError) -> tuple[str, int]:
    return (str(exc.response["Error"]["Code"]),
            int(exc.response["ResponseMetadata"]["HTTPStatusCode"]))


@contextmanager
def s3_error(code: str, status: int) -> Iterator[None]:
    """Expect the block to fail with this S3 error code and HTTP status."""
    with pytest.raises(ClientError) as info:
        yield
    got = error_of(info.value)
    assert got == (code, status), f"expected {(code, status)}, got {got}: {info.value}"
