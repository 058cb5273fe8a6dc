"""boto3: who may do what — tenant isolation, canned ACLs, bucket policies, CORS, presigned
URLs, identity changes cutting access, and the audit trail."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from botocore.client import BaseClient

from tests.compat.s3.conftest import S3Tenant, s3_error, unique_bucket
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


@pytest.fixture
def shared(s3: BaseClient, bucket: str) -> str:
    s3.put_object(Bucket=bucket, Key="doc", Body=b"A's data")
    return bucket


def test_other_tenant_is_refused_everything(s3_b: BaseClient, shared: str,
                                            s3: BaseClient) -> None:
    b = shared
    with s3_error("AccessDenied", 403):
        s3_b.list_objects_v2(Bucket=b)
    with s3_error("AccessDenied", 403):
        s3_b.list_objects(Bucket=b)
    with s3_error("AccessDenied", 403):
        s3_b.get_object(Bucket=b, Key="doc")
    with s3_error("403", 403):
        s3_b.head_object(Bucket=b, Key="doc")
    with s3_error("403", 403):
        s3_b.head_bucket(Bucket=b)
    with s3_error("AccessDenied", 403):
        s3_b.put_object(Bucket=b, Key="intruder", Body=b"x")
    with s3_error("AccessDenied", 403):
        s3_b.delete_object(Bucket=b, Key="doc")
    # DeleteObjects is authorized key by key: 200, with an AccessDenied error for each.
    out = s3_b.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "doc"}]})
    assert not out.get("Deleted")
    assert [(e["Key"], e["Code"]) for e in out["Errors"]] == [("doc", "AccessDenied")]
    with s3_error("AccessDenied", 403):
        s3_b.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "doc"})
    with s3_error("AccessDenied", 403):
        s3_b.delete_bucket(Bucket=b)
    with s3_error("AccessDenied", 403):
        s3_b.put_bucket_policy(Bucket=b, Policy=json.dumps({"Statement": []}))
    with s3_error("AccessDenied", 403):
        s3_b.get_bucket_versioning(Bucket=b)
    with s3_error("AccessDenied", 403):
        s3_b.create_multipart_upload(Bucket=b, Key="mp")
    with s3_error("AccessDenied", 403):
        s3_b.list_multipart_uploads(Bucket=b)
    with s3_error("AccessDenied", 403):
        s3_b.put_bucket_acl(Bucket=b, ACL="public-read")
    with s3_error("AccessDenied", 403):
        s3_b.get_object_tagging(Bucket=b, Key="doc")
    # Copying A's object into B's own bucket is a read of A's: refused too.
    mine = unique_bucket("bb")
    s3_b.create_bucket(Bucket=mine)
    with s3_error("AccessDenied", 403):
        s3_b.copy_object(Bucket=mine, Key="stolen", CopySource={"Bucket": b, "Key": "doc"})
    assert b not in [x["Name"] for x in s3_b.list_buckets()["Buckets"]]
    assert mine not in [x["Name"] for x in s3.list_buckets()["Buckets"]]
    assert s3.get_object(Bucket=b, Key="doc")["Body"].read() == b"A's data"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["doc"]


def test_reader_role_reads_only(tenant_a: S3Tenant, shared: str) -> None:
    reader = tenant_a.client("reader")
    assert reader.get_object(Bucket=shared, Key="doc")["Body"].read() == b"A's data"
    assert reader.list_objects_v2(Bucket=shared)["KeyCount"] == 1
    with s3_error("AccessDenied", 403):
        reader.put_object(Bucket=shared, Key="x", Body=b"x")
    with s3_error("AccessDenied", 403):
        reader.delete_object(Bucket=shared, Key="doc")
    with s3_error("AccessDenied", 403):
        reader.create_bucket(Bucket=unique_bucket())


def test_canned_acls(s3: BaseClient, shared: str, live_nuage: LiveNuage) -> None:
    url = f"{live_nuage.s3_url}/{shared}/doc"
    assert httpx.get(url).status_code == 403
    assert b"<Code>AccessDenied</Code>" in httpx.get(url).content
    s3.put_bucket_acl(Bucket=shared, ACL="public-read")
    acl = s3.get_bucket_acl(Bucket=shared)
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers")
               and g["Permission"] == "READ" for g in acl["Grants"])
    # A bucket ACL grants listing, never reading the objects (issue 8).
    assert httpx.get(url).status_code == 403
    listing = httpx.get(f"{live_nuage.s3_url}/{shared}?list-type=2")
    assert listing.status_code == 200 and b"<Key>doc</Key>" in listing.content
    # public-read lets nobody write.
    assert httpx.put(f"{live_nuage.s3_url}/{shared}/anon", content=b"x").status_code == 403
    assert httpx.delete(url).status_code == 403
    s3.put_bucket_acl(Bucket=shared, ACL="private")
    assert httpx.get(url).status_code == 403
    # Object ACLs: one object public in a private bucket.
    s3.put_object(Bucket=shared, Key="pub", Body=b"public", ACL="public-read")
    assert httpx.get(f"{live_nuage.s3_url}/{shared}/pub").content == b"public"
    assert httpx.get(url).status_code == 403
    s3.put_object_acl(Bucket=shared, Key="pub", ACL="private")
    assert httpx.get(f"{live_nuage.s3_url}/{shared}/pub").status_code == 403
    with s3_error("InvalidArgument", 400):
        s3.put_bucket_acl(Bucket=shared, ACL="bogus-acl")
    # Anonymous requests to a missing bucket or object.
    assert httpx.get(f"{live_nuage.s3_url}/{unique_bucket()}/x").status_code in (403, 404)


def policy(bucket: str, *statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_policy_allows_another_project(s3: BaseClient, s3_b: BaseClient, shared: str,
                                       tenant_b: S3Tenant) -> None:
    s3.put_bucket_policy(Bucket=shared, Policy=policy(shared, {
        "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{tenant_b.project_id}:root"]},
        "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{shared}/*"]}))
    assert json.loads(s3.get_bucket_policy(Bucket=shared)["Policy"])["Statement"]
    assert s3_b.get_object(Bucket=shared, Key="doc")["Body"].read() == b"A's data"
    with s3_error("AccessDenied", 403):
        s3_b.list_objects_v2(Bucket=shared)
    with s3_error("AccessDenied", 403):
        s3_b.put_object(Bucket=shared, Key="x", Body=b"x")
    s3.delete_bucket_policy(Bucket=shared)
    with s3_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=shared)
    with s3_error("AccessDenied", 403):
        s3_b.get_object(Bucket=shared, Key="doc")


def test_explicit_deny_beats_owner(s3: BaseClient, shared: str) -> None:
    s3.put_bucket_policy(Bucket=shared, Policy=policy(shared, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{shared}/*"}))
    with s3_error("AccessDenied", 403):
        s3.delete_object(Bucket=shared, Key="doc")
    assert s3.get_object(Bucket=shared, Key="doc")["Body"].read() == b"A's data"
    s3.delete_bucket_policy(Bucket=shared)
    s3.delete_object(Bucket=shared, Key="doc")


def test_ip_conditions(s3: BaseClient, s3_b: BaseClient, shared: str, tenant_b: S3Tenant,
                       live_nuage: LiveNuage) -> None:
    url = f"{live_nuage.s3_url}/{shared}/doc"
    s3.put_bucket_policy(Bucket=shared, Policy=policy(shared, {
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{shared}/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}}))
    assert httpx.get(url).status_code == 200
    s3.put_bucket_policy(Bucket=shared, Policy=policy(shared, {
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{shared}/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}))
    assert httpx.get(url).status_code == 403
    # NotIpAddress Deny: everyone outside 10/8 — that is us — is refused, the owner too.
    s3.put_bucket_policy(Bucket=shared, Policy=policy(shared, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{shared}/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}))
    with s3_error("AccessDenied", 403):
        s3.get_object(Bucket=shared, Key="doc")
    s3.put_bucket_policy(Bucket=shared, Policy=policy(shared, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{shared}/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}}))
    assert s3.get_object(Bucket=shared, Key="doc")["Body"].read() == b"A's data"
    s3.delete_bucket_policy(Bucket=shared)


def test_secure_transport_deny(s3: BaseClient, shared: str, tenant_a: S3Tenant) -> None:
    s3.put_bucket_policy(Bucket=shared, Policy=policy(shared, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{shared}", f"arn:aws:s3:::{shared}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
    with s3_error("AccessDenied", 403):
        s3.get_object(Bucket=shared, Key="doc")
    with s3_error("AccessDenied", 403):
        s3.list_objects_v2(Bucket=shared)
    # The policy denies s3:* over plain HTTP, DeleteBucketPolicy included: a member is
    # refused, but (as S3 does for the owner account's root) the project admin is not.
    with s3_error("AccessDenied", 403):
        s3.delete_bucket_policy(Bucket=shared)
    tenant_a.client("admin").delete_bucket_policy(Bucket=shared)
    assert s3.get_object(Bucket=shared, Key="doc")["Body"].read() == b"A's data"


def test_malformed_policy(s3: BaseClient, bucket: str) -> None:
    with s3_error("MalformedPolicy", 400):
        s3.put_bucket_policy(Bucket=bucket, Policy="{not json")
    with s3_error("MalformedPolicy", 400):
        s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::some-other-bucket/*"}))


def test_cors(s3: BaseClient, bucket: str, live_nuage: LiveNuage) -> None:
    with s3_error("NoSuchCORSConfiguration", 404):
        s3.get_bucket_cors(Bucket=bucket)
    rules = [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "PUT"],
              "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got[0]["AllowedOrigins"] == ["https://app.example"]
    assert sorted(got[0]["AllowedMethods"]) == ["GET", "PUT"]
    assert got[0]["MaxAgeSeconds"] == 600
    url = f"{live_nuage.s3_url}/{bucket}/obj"
    ok = httpx.options(url, headers={"Origin": "https://app.example",
                                     "Access-Control-Request-Method": "PUT",
                                     "Access-Control-Request-Headers": "content-type"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "PUT" in ok.headers["access-control-allow-methods"]
    assert ok.headers["access-control-max-age"] == "600"
    bad = httpx.options(url, headers={"Origin": "https://evil.example",
                                      "Access-Control-Request-Method": "GET"})
    assert bad.status_code == 403
    bad_method = httpx.options(url, headers={"Origin": "https://app.example",
                                             "Access-Control-Request-Method": "DELETE"})
    assert bad_method.status_code == 403
    # An actual request from an allowed origin carries the CORS headers.
    s3.put_object(Bucket=bucket, Key="obj", Body=b"x", ACL="public-read")
    simple = httpx.get(url, headers={"Origin": "https://app.example"})
    assert simple.status_code == 200
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "ETag" in simple.headers.get("access-control-expose-headers", "")
    s3.delete_bucket_cors(Bucket=bucket)
    with s3_error("NoSuchCORSConfiguration", 404):
        s3.get_bucket_cors(Bucket=bucket)
    gone = httpx.options(url, headers={"Origin": "https://app.example",
                                       "Access-Control-Request-Method": "GET"})
    assert gone.status_code == 403


def test_presigned_urls(s3: BaseClient, bucket: str) -> None:
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p"},
                                        ExpiresIn=300)
    assert httpx.put(put_url, content=b"presigned body").status_code == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"},
                                        ExpiresIn=300)
    response = httpx.get(get_url)
    assert response.status_code == 200 and response.content == b"presigned body"
    # Tampering with the signed query is refused.
    assert httpx.get(get_url.replace("X-Amz-Expires=300", "X-Amz-Expires=301")
                     ).status_code == 403
    expiring = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"},
                                         ExpiresIn=1)
    time.sleep(2.1)
    expired = httpx.get(expiring)
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code>" in expired.content
    assert b"expired" in expired.content.lower()


def test_disabling_user_or_project_cuts_access(identity: Any) -> None:
    tenant = identity.tenant("cut")
    client = tenant.client()
    name = unique_bucket()
    client.create_bucket(Bucket=name)
    identity.set_enabled("user", tenant.member.user_id, False)
    with s3_error("InvalidAccessKeyId", 403):
        client.list_objects_v2(Bucket=name)
    identity.set_enabled("user", tenant.member.user_id, True)
    assert client.list_objects_v2(Bucket=name)["KeyCount"] == 0
    identity.set_enabled("project", tenant.project_id, False)
    with s3_error("InvalidAccessKeyId", 403):
        client.list_objects_v2(Bucket=name)
    with s3_error("InvalidAccessKeyId", 403):
        tenant.client("admin").list_buckets()
    identity.set_enabled("project", tenant.project_id, True)
    assert client.list_objects_v2(Bucket=name)["KeyCount"] == 0
    # Deleting the credential kills the key at once too.
    response = identity.http.delete(
        f"/users/{tenant.member.user_id}/credentials/OS-EC2/{tenant.member.access}")
    assert response.status_code == 204, response.text
    with s3_error("InvalidAccessKeyId", 403):
        client.list_buckets()


def test_audit_trail(identity: Any, live_nuage: LiveNuage) -> None:
    tenant = identity.tenant("aud")
    client = tenant.client()
    name = unique_bucket()
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="k", Body=b"x")
    client.delete_object(Bucket=name, Key="k")
    # Project B... no: a reader of this project reads its trail through a token.
    reader_name = identity.http.get(f"/users/{tenant.reader.user_id}").json()["user"]["name"]
    password = "reader-password-1"
    response = identity.http.patch(f"/users/{tenant.reader.user_id}",
                                   json={"user": {"password": password}})
    assert response.status_code == 200, response.text
    auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": reader_name, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"id": tenant.project_id}}}}
    token = httpx.post(f"{live_nuage.identity_url}/v3/auth/tokens", json=auth
                       ).headers["X-Subject-Token"]
    events = httpx.get(f"{live_nuage.base_url}/audit/v1/events",
                       params={"project_id": tenant.project_id, "limit": "1000"},
                       headers={"X-Auth-Token": token}).json()["events"]
    actions = [e["action"] for e in events]
    for action in ("storage.bucket.create", "storage.object.put", "storage.object.delete"):
        assert action in actions, actions
    put = next(e for e in events if e["action"] == "storage.object.put")
    assert put["actor"]["user_id"] == tenant.member.user_id
    assert name in json.dumps(put)
