"""Issue 8: a public-read bucket ACL grants listing the bucket, never reading its objects.
Every read path (GET, HEAD, ranged, versioned, GetObjectAcl, CopyObject and UploadPartCopy
sources, presigned URLs) is tried as another project and anonymously."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from botocore.client import BaseClient

from tests.compat.s3.conftest import S3Tenant, s3_error, unique_bucket

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def public_bucket(tenant_a: S3Tenant) -> tuple[str, str]:
    """A versioned public-read bucket of A holding a private object `doc` (two versions)."""
    s3 = tenant_a.client()
    name = unique_bucket("pub")
    s3.create_bucket(Bucket=name, ACL="public-read")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=name, Key="doc", Body=b"secret one")
    # An old public version must not make a private newer one readable, nor the reverse.
    s3.put_object(Bucket=name, Key="old-public", Body=b"was public", ACL="public-read")
    s3.put_object(Bucket=name, Key="old-public", Body=b"now private")
    latest = s3.put_object(Bucket=name, Key="doc", Body=b"secret two")["VersionId"]
    return name, latest


def test_other_project_reads_no_object_of_a_public_bucket(
        tenant_b: S3Tenant, s3_b: BaseClient, public_bucket: tuple[str, str]) -> None:
    bucket, version = public_bucket
    # Listing is what the bucket ACL grants.
    assert [o["Key"] for o in s3_b.list_objects_v2(Bucket=bucket)["Contents"]] == [
        "doc", "old-public"]
    reads: list[Callable[[], object]] = [
        lambda: s3_b.get_object(Bucket=bucket, Key="doc"),
        lambda: s3_b.get_object(Bucket=bucket, Key="doc", Range="bytes=0-3"),
        lambda: s3_b.get_object(Bucket=bucket, Key="doc", VersionId=version),
        lambda: s3_b.get_object(Bucket=bucket, Key="old-public"),
        lambda: s3_b.get_object_acl(Bucket=bucket, Key="doc"),
        lambda: s3_b.get_object(Bucket=bucket, Key="missing"),
    ]
    for read in reads:
        with s3_error("AccessDenied", 403):
            read()
    heads: list[Callable[[], object]] = [
        lambda: s3_b.head_object(Bucket=bucket, Key="doc"),
        lambda: s3_b.head_object(Bucket=bucket, Key="doc", VersionId=version)]
    for head in heads:
        with s3_error("403", 403):
            head()
    # Copying it into B's own bucket, whole or as a part.
    own = unique_bucket("b-own")
    s3_b.create_bucket(Bucket=own)
    with s3_error("AccessDenied", 403):
        s3_b.copy_object(Bucket=own, Key="stolen", CopySource={"Bucket": bucket, "Key": "doc"})
    with s3_error("AccessDenied", 403):
        s3_b.copy_object(Bucket=own, Key="stolen",
                         CopySource={"Bucket": bucket, "Key": "doc", "VersionId": version})
    upload = s3_b.create_multipart_upload(Bucket=own, Key="stolen")["UploadId"]
    with s3_error("AccessDenied", 403):
        s3_b.upload_part_copy(Bucket=own, Key="stolen", UploadId=upload, PartNumber=1,
                              CopySource={"Bucket": bucket, "Key": "doc"})
    # A presigned URL made by B carries only B's rights.
    url = s3_b.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "doc"})
    assert httpx.get(url).status_code == 403


def test_anonymous_reads_no_object_of_a_public_bucket(
        tenant_a: S3Tenant, public_bucket: tuple[str, str]) -> None:
    bucket, version = public_bucket
    base = f"{tenant_a.url}/{bucket}"
    listing = httpx.get(f"{base}?list-type=2")
    assert listing.status_code == 200 and b"<Key>doc</Key>" in listing.content
    for path, headers in (("/doc", {}), ("/doc", {"Range": "bytes=0-3"}),
                          (f"/doc?versionId={version}", {}), ("/old-public", {}),
                          ("/doc?acl", {}), ("/missing", {})):
        got = httpx.get(base + path, headers=headers)
        assert got.status_code == 403 and b"AccessDenied" in got.content, path
        if "?acl" not in path:      # HEAD ?acl is no S3 operation: 501
            assert httpx.head(base + path, headers=headers).status_code == 403, path


def test_object_acl_decides(tenant_a: S3Tenant, s3_b: BaseClient,
                            public_bucket: tuple[str, str]) -> None:
    bucket, _ = public_bucket
    s3 = tenant_a.client()
    versions = s3.list_object_versions(Bucket=bucket, Prefix="old-public")["Versions"]
    old = next(v["VersionId"] for v in versions if not v["IsLatest"])
    # The old version was public-read: that version only is readable by others.
    assert httpx.get(f"{tenant_a.url}/{bucket}/old-public?versionId={old}").content == (
        b"was public")
    assert s3_b.get_object(Bucket=bucket, Key="old-public",
                           VersionId=old)["Body"].read() == b"was public"
    s3.put_object_acl(Bucket=bucket, Key="doc", ACL="public-read")
    assert httpx.get(f"{tenant_a.url}/{bucket}/doc").content == b"secret two"
    # A copy does not inherit the source's ACL: B's copy is private to B.
    own = unique_bucket("b-copy")
    s3_b.create_bucket(Bucket=own)
    s3_b.copy_object(Bucket=own, Key="copy", CopySource={"Bucket": bucket, "Key": "doc"})
    assert httpx.get(f"{tenant_a.url}/{own}/copy").status_code == 403
    s3.put_object_acl(Bucket=bucket, Key="doc", ACL="private")
    assert httpx.get(f"{tenant_a.url}/{bucket}/doc").status_code == 403
