"""boto3: versioning (enable, suspend, delete markers, versions) and object lock."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.compat.s3.conftest import S3Tenant, s3_client, s3_error, unique_bucket
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_versioning_lifecycle(s3: BaseClient, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    unversioned = s3.put_object(Bucket=bucket, Key="k", Body=b"zero")
    assert "VersionId" not in unversioned
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and v1 != "null"
    assert s3.get_object(Bucket=bucket, Key="k")["VersionId"] == v2
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"zero"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=v1)["ContentLength"] == 3
    # A delete makes a marker; the key then reads as missing, old versions stay.
    marker = s3.delete_object(Bucket=bucket, Key="k")
    assert marker["DeleteMarker"] is True and marker["VersionId"]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="k")
    assert info.value.response["Error"]["Code"] == "NoSuchKey"
    headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("x-amz-delete-marker") == "true"
    assert headers.get("x-amz-version-id") == marker["VersionId"]
    with s3_error("405", 405):
        s3.head_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v2)["Body"].read() == b"two"
    # Deleting the marker brings the key back.
    gone = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])
    assert gone["DeleteMarker"] is True and gone["VersionId"] == marker["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    # Deleting a version for good.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    with s3_error("NoSuchVersion", 404):
        s3.get_object(Bucket=bucket, Key="k", VersionId=v2)
    with s3_error("InvalidArgument", 400):
        s3.get_object(Bucket=bucket, Key="k", VersionId="not-a-version-id")
    # Suspend: new writes get the null version, replacing the previous null one.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    s3.put_object(Bucket=bucket, Key="k", Body=b"suspended")
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    assert sorted(ids) == sorted(["null", v1])
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == \
        b"suspended"
    suspended_delete = s3.delete_object(Bucket=bucket, Key="k")
    assert suspended_delete["VersionId"] == "null" and suspended_delete["DeleteMarker"]


def test_delete_objects_with_versions(s3: BaseClient, versioned_bucket: str) -> None:
    b = versioned_bucket
    v1 = s3.put_object(Bucket=b, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=b, Key="a", Body=b"2")
    out = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a", "VersionId": v1},
                                                          {"Key": "a"}]})
    by_version = {d.get("VersionId"): d for d in out["Deleted"]}
    assert v1 in by_version
    assert any(d.get("DeleteMarker") for d in out["Deleted"])
    assert len(s3.list_object_versions(Bucket=b)["Versions"]) == 1


def test_copy_specific_version(s3: BaseClient, versioned_bucket: str) -> None:
    b = versioned_bucket
    v1 = s3.put_object(Bucket=b, Key="src", Body=b"old")["VersionId"]
    s3.put_object(Bucket=b, Key="src", Body=b"new")
    out = s3.copy_object(Bucket=b, Key="dst",
                         CopySource={"Bucket": b, "Key": "src", "VersionId": v1})
    assert out["CopySourceVersionId"] == v1
    assert s3.get_object(Bucket=b, Key="dst")["Body"].read() == b"old"


@pytest.fixture
def locked_bucket(s3: BaseClient) -> str:
    name = unique_bucket("lock")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def in_days(days: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)


def test_object_lock_configuration(s3: BaseClient, locked_bucket: str, bucket: str) -> None:
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    conf = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert conf["ObjectLockEnabled"] == "Enabled"
    with s3_error("InvalidBucketState", 409):
        s3.put_bucket_versioning(Bucket=locked_bucket,
                                 VersioningConfiguration={"Status": "Suspended"})
    with s3_error("ObjectLockConfigurationNotFoundError", 404):
        s3.get_object_lock_configuration(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with s3_error("InvalidRequest", 400):
        s3.put_object_retention(Bucket=bucket, Key="k", Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": in_days(1)})


def test_default_retention(s3: BaseClient, locked_bucket: str, tenant_a: S3Tenant) -> None:
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    conf = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert conf["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    vid = s3.put_object(Bucket=locked_bucket, Key="d", Body=b"x")["VersionId"]
    head = s3.head_object(Bucket=locked_bucket, Key="d")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] > in_days(0.9)
    with s3_error("AccessDenied", 403):
        s3.delete_object(Bucket=locked_bucket, Key="d", VersionId=vid)
    # A delete without a version id only adds a marker: allowed.
    assert s3.delete_object(Bucket=locked_bucket, Key="d")["DeleteMarker"]
    admin = tenant_a.client("admin")
    admin.delete_object(Bucket=locked_bucket, Key="d", VersionId=vid,
                        BypassGovernanceRetention=True)


def test_governance_retention(s3: BaseClient, locked_bucket: str, tenant_a: S3Tenant) -> None:
    b = locked_bucket
    vid = s3.put_object(Bucket=b, Key="g", Body=b"x", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=in_days(2))["VersionId"]
    got = s3.get_object_retention(Bucket=b, Key="g")["Retention"]
    assert got["Mode"] == "GOVERNANCE"
    with s3_error("AccessDenied", 403):
        s3.delete_object(Bucket=b, Key="g", VersionId=vid)
    # A member may not bypass governance: only the project's admin.
    with s3_error("AccessDenied", 403):
        s3.delete_object(Bucket=b, Key="g", VersionId=vid, BypassGovernanceRetention=True)
    # Shortening governance retention needs the bypass too.
    with s3_error("AccessDenied", 403):
        s3.put_object_retention(Bucket=b, Key="g", VersionId=vid, Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": in_days(1)})
    s3.put_object_retention(Bucket=b, Key="g", VersionId=vid, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": in_days(3)})
    admin = tenant_a.client("admin")
    out = admin.delete_object(Bucket=b, Key="g", VersionId=vid, BypassGovernanceRetention=True)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("NoSuchVersion", 404):
        s3.get_object(Bucket=b, Key="g", VersionId=vid)


def test_compliance_retention(s3: BaseClient, locked_bucket: str, tenant_a: S3Tenant,
                              live_nuage: LiveNuage, identity: Any) -> None:
    b = locked_bucket
    vid = s3.put_object(Bucket=b, Key="c", Body=b"x", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=in_days(1))["VersionId"]
    admin = tenant_a.client("admin")
    for client in (s3, admin):
        with s3_error("AccessDenied", 403):
            client.delete_object(Bucket=b, Key="c", VersionId=vid,
                                 BypassGovernanceRetention=True)
        with s3_error("AccessDenied", 403):
            client.put_object_retention(Bucket=b, Key="c", VersionId=vid, Retention={
                "Mode": "GOVERNANCE", "RetainUntilDate": in_days(1)},
                BypassGovernanceRetention=True)
    # The cloud admin, with EC2 keys in its own project, has no way in either.
    admin_id = identity.http.get("/users", params={"name": "admin"}).json()["users"][0]["id"]
    projects = identity.http.get("/projects", params={"name": "admin"}).json()["projects"]
    keys = identity.ec2_keys(admin_id, projects[0]["id"])
    cloud_admin = s3_client(live_nuage.s3_url, keys.access, keys.secret)
    with s3_error("AccessDenied", 403):
        cloud_admin.delete_object(Bucket=b, Key="c", VersionId=vid,
                                  BypassGovernanceRetention=True)
    assert s3.get_object(Bucket=b, Key="c", VersionId=vid)["Body"].read() == b"x"


def test_legal_hold(s3: BaseClient, locked_bucket: str, tenant_a: S3Tenant) -> None:
    b = locked_bucket
    vid = s3.put_object(Bucket=b, Key="h", Body=b"x", ObjectLockLegalHoldStatus="ON")[
        "VersionId"]
    assert s3.get_object_legal_hold(Bucket=b, Key="h")["LegalHold"]["Status"] == "ON"
    admin = tenant_a.client("admin")
    with s3_error("AccessDenied", 403):
        admin.delete_object(Bucket=b, Key="h", VersionId=vid, BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=b, Key="h", VersionId=vid, LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=b, Key="h")["LegalHold"]["Status"] == "OFF"
    s3.delete_object(Bucket=b, Key="h", VersionId=vid)


def test_lock_needs_lock_enabled_bucket(s3: BaseClient, bucket: str) -> None:
    with s3_error("InvalidRequest", 400):
        s3.put_object(Bucket=bucket, Key="x", Body=b"x", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=in_days(1))
