"""Issue 8: governance retention. A member cannot give itself the bypass through a bucket
policy; the bypass header is decided per version, so clients that send it routinely still
delete what no governance retention protects."""

from __future__ import annotations

import datetime
import json
from typing import Any

import httpx
import pytest
from botocore.client import BaseClient

from tests.compat.s3.conftest import S3Tenant, s3_error, unique_bucket
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def in_days(days: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)


@pytest.fixture
def locked(s3: BaseClient) -> str:
    name = unique_bucket("gov")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def governed(s3: BaseClient, bucket: str, key: str) -> str:
    return str(s3.put_object(Bucket=bucket, Key=key, Body=b"kept", ObjectLockMode="GOVERNANCE",
                             ObjectLockRetainUntilDate=in_days(2))["VersionId"])


def test_a_member_cannot_grant_itself_the_bypass(s3: BaseClient, locked: str,
                                                 tenant_a: S3Tenant, identity: Any,
                                                 live_nuage: LiveNuage) -> None:
    vid = governed(s3, locked, "g")
    user = f"arn:aws:iam::{tenant_a.project_id}:user/{tenant_a.member.user_id}"
    for principal in ("*", {"AWS": tenant_a.project_id}, {"AWS": user}):
        s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Statement": [{
            "Effect": "Allow", "Principal": principal,
            "Action": ["s3:BypassGovernanceRetention", "s3:*"],
            "Resource": [f"arn:aws:s3:::{locked}/*"]}]}))
        with s3_error("AccessDenied", 403):
            s3.delete_object(Bucket=locked, Key="g", VersionId=vid,
                             BypassGovernanceRetention=True)
        out = s3.delete_objects(Bucket=locked, BypassGovernanceRetention=True, Delete={
            "Objects": [{"Key": "g", "VersionId": vid}]})
        assert [e["Code"] for e in out["Errors"]] == ["AccessDenied"]
        with s3_error("AccessDenied", 403):
            s3.put_object_retention(Bucket=locked, Key="g", VersionId=vid,
                                    BypassGovernanceRetention=True, Retention={
                                        "Mode": "GOVERNANCE", "RetainUntilDate": in_days(1)})
    assert s3.get_object(Bucket=locked, Key="g", VersionId=vid)["Body"].read() == b"kept"
    # Each refusal is in the project's audit trail, with its reason.
    events = httpx.get(f"{live_nuage.base_url}/audit/v1/events", headers={
        "X-Auth-Token": identity.token}, params={"project_id": tenant_a.project_id,
                                                 "target_id": f"{locked}/g", "limit": "100"}
                       ).json()["events"]
    refusals = [(e["action"], e["detail"].get("reason")) for e in events
                if e["outcome"] == "denied" and e["actor"]["user_id"] == tenant_a.member.user_id]
    assert refusals.count(("storage.DeleteObjectVersion", "governance retention")) == 6
    assert sum(a == "storage.PutObjectRetention" for a, _ in refusals) == 3
    # The project's admin holds it; a policy may still deny it to the admin.
    admin = tenant_a.client("admin")
    s3.put_bucket_policy(Bucket=locked, Policy=json.dumps({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:BypassGovernanceRetention",
        "Resource": f"arn:aws:s3:::{locked}/*"}]}))
    with s3_error("AccessDenied", 403):
        admin.delete_object(Bucket=locked, Key="g", VersionId=vid,
                            BypassGovernanceRetention=True)
    admin.delete_bucket_policy(Bucket=locked)
    admin.delete_object(Bucket=locked, Key="g", VersionId=vid, BypassGovernanceRetention=True)


def test_the_bypass_header_is_harmless_where_nothing_is_governed(
        s3: BaseClient, locked: str, bucket: str) -> None:
    """aws-cli, rclone and boto3 clean-ups send the header on every delete."""
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="plain", BypassGovernanceRetention=True)
    free = s3.put_object(Bucket=locked, Key="free", Body=b"x")["VersionId"]
    s3.delete_object(Bucket=locked, Key="free", VersionId=free, BypassGovernanceRetention=True)
    # DeleteObjects decides version by version: the free ones go, the governed one stays.
    free = s3.put_object(Bucket=locked, Key="free", Body=b"x")["VersionId"]
    vid = governed(s3, locked, "g")
    marker_key = s3.put_object(Bucket=locked, Key="m", Body=b"x")["VersionId"]
    out = s3.delete_objects(Bucket=locked, BypassGovernanceRetention=True, Delete={"Objects": [
        {"Key": "free", "VersionId": free}, {"Key": "g", "VersionId": vid},
        {"Key": "m", "VersionId": marker_key}, {"Key": "g"}]})
    deleted = sorted((d["Key"], d.get("DeleteMarker", False)) for d in out["Deleted"])
    assert deleted == [("free", False), ("g", True), ("m", False)]
    assert [(e["Key"], e["Code"]) for e in out["Errors"]] == [("g", "AccessDenied")]
    assert s3.get_object(Bucket=locked, Key="g", VersionId=vid)["Body"].read() == b"kept"
    # Lengthening a retention needs no bypass, with or without the header.
    s3.put_object_retention(Bucket=locked, Key="g", VersionId=vid,
                            BypassGovernanceRetention=True,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": in_days(3)})
