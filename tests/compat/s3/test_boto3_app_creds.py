"""boto3 with EC2 keys made through an application credential: its roles, its lifetime.

A member delegates only `reader` to an application credential; the keys its token creates
(both creation paths) read but never write, and stop working once it is deleted.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.compat.s3.conftest import Identity, s3_client, s3_error, unique_bucket

pytestmark = pytest.mark.compat


def _token(identity: Identity, body: dict[str, object]) -> str:
    r = httpx.post(f"{identity.live.identity_url}/v3/auth/tokens", json={"auth": body},
                   timeout=30)
    assert r.status_code == 201, r.text
    return str(r.headers["X-Subject-Token"])


def test_keys_from_a_reader_app_cred_read_only_and_die_with_it(identity: Identity) -> None:
    project_id = identity.project(f"acs3-{uuid.uuid4().hex[:8]}")
    password = uuid.uuid4().hex
    user_id = str(identity.post("/users", {"user": {
        "name": f"acs3-{uuid.uuid4().hex[:8]}", "domain_id": "default",
        "password": password}})["user"]["id"])
    r = identity.http.put(f"/projects/{project_id}/users/{user_id}/roles/"
                          f"{identity.roles['member']}")
    assert r.status_code == 204, r.text
    token = _token(identity, {"identity": {"methods": ["password"], "password": {
        "user": {"id": user_id, "password": password}}},
        "scope": {"project": {"id": project_id}}})
    v3 = f"{identity.live.identity_url}/v3"
    mine = httpx.Client(base_url=v3, headers={"X-Auth-Token": token}, timeout=30)
    r = mine.post(f"/users/{user_id}/application_credentials", json={"application_credential": {
        "name": "reader-only", "roles": [{"name": "reader"}]}})
    assert r.status_code == 201, r.text
    app_cred = r.json()["application_credential"]
    r = mine.post(f"/users/{user_id}/credentials/OS-EC2", json={"tenant_id": project_id})
    own = r.json()["credential"]

    ac_token = _token(identity, {"identity": {"methods": ["application_credential"],
                                              "application_credential": {
                                                  "id": app_cred["id"],
                                                  "secret": app_cred["secret"]}}})
    delegated = httpx.Client(base_url=v3, headers={"X-Auth-Token": ac_token}, timeout=30)
    r = delegated.post(f"/users/{user_id}/credentials/OS-EC2", json={"tenant_id": project_id})
    assert r.status_code == 201, r.text
    via_ec2 = r.json()["credential"]
    access, secret = uuid.uuid4().hex, uuid.uuid4().hex
    r = delegated.post("/credentials", json={"credential": {
        "type": "ec2", "user_id": user_id, "project_id": project_id,
        "blob": json.dumps({"access": access, "secret": secret})}})
    assert r.status_code == 201, r.text

    url = identity.live.s3_url
    owner = s3_client(url, own["access"], own["secret"])
    bucket = unique_bucket("ac")
    owner.create_bucket(Bucket=bucket)
    owner.put_object(Bucket=bucket, Key="doc", Body=b"data")
    readers = [s3_client(url, via_ec2["access"], via_ec2["secret"]),
               s3_client(url, access, secret)]
    for reader in readers:
        assert reader.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"data"
        with s3_error("AccessDenied", 403):
            reader.put_object(Bucket=bucket, Key="doc", Body=b"overwritten")
        with s3_error("AccessDenied", 403):
            reader.delete_object(Bucket=bucket, Key="doc")
        with s3_error("AccessDenied", 403):
            reader.create_bucket(Bucket=unique_bucket("ac"))

    r = mine.delete(f"/users/{user_id}/application_credentials/{app_cred['id']}")
    assert r.status_code == 204, r.text
    for reader in readers:
        with s3_error("InvalidAccessKeyId", 403):
            reader.get_object(Bucket=bucket, Key="doc")
    # The user's own key keeps the user's own authority.
    owner.put_object(Bucket=bucket, Key="doc2", Body=b"more")
    mine.close()
    delegated.close()
