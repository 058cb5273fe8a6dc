"""boto3: ListObjects v1 and v2, ListObjectVersions, paginators, url encoding."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.client import BaseClient

from tests.compat.s3.conftest import S3Tenant, s3_client, s3_error, unique_bucket

pytestmark = pytest.mark.compat

KEYS = ["a/1", "a/2", "a/b/3", "b/4", "c", "d/5/6", "e"]
AWKWARD = ["with space", "plus+sign", "per%cent", "ünï/cödé", "amp&er", "tilde~",
           "semi;colon", "eq=al", "q?mark", "hash#tag", "new\nline", "tab\tkey"]


@pytest.fixture(scope="module")
def listed(tenant_a: S3Tenant) -> str:
    s3 = tenant_a.client()
    name = unique_bucket("l")
    s3.create_bucket(Bucket=name)
    for key in KEYS:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def test_v2_basic(s3: BaseClient, listed: str) -> None:
    out = s3.list_objects_v2(Bucket=listed)
    assert [o["Key"] for o in out["Contents"]] == KEYS
    assert out["KeyCount"] == len(KEYS) and not out["IsTruncated"]
    first = out["Contents"][0]
    assert first["Size"] == 3 and first["ETag"].startswith('"')
    assert first["StorageClass"] == "STANDARD"


def test_v2_prefix_delimiter(s3: BaseClient, listed: str) -> None:
    out = s3.list_objects_v2(Bucket=listed, Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["c", "e"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert out["KeyCount"] == 5
    out = s3.list_objects_v2(Bucket=listed, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/b/"]
    out = s3.list_objects_v2(Bucket=listed, Prefix="zzz")
    assert out["KeyCount"] == 0 and "Contents" not in out


def test_v2_max_keys_continuation_start_after(s3: BaseClient, listed: str) -> None:
    out = s3.list_objects_v2(Bucket=listed, MaxKeys=3)
    assert [o["Key"] for o in out["Contents"]] == KEYS[:3]
    assert out["IsTruncated"] and out["NextContinuationToken"]
    nxt = s3.list_objects_v2(Bucket=listed, MaxKeys=3,
                             ContinuationToken=out["NextContinuationToken"])
    assert [o["Key"] for o in nxt["Contents"]] == KEYS[3:6]
    assert nxt["ContinuationToken"] == out["NextContinuationToken"]
    out = s3.list_objects_v2(Bucket=listed, StartAfter="b/4")
    assert [o["Key"] for o in out["Contents"]] == ["c", "d/5/6", "e"]
    assert out["StartAfter"] == "b/4"
    # max-keys=0: nothing, not truncated (as S3 answers).
    zero = s3.list_objects_v2(Bucket=listed, MaxKeys=0)
    assert zero["KeyCount"] == 0 and "Contents" not in zero and not zero["IsTruncated"]
    # Common prefixes count toward max-keys.
    out = s3.list_objects_v2(Bucket=listed, Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/", "b/"]
    assert out["IsTruncated"]
    rest = s3.list_objects_v2(Bucket=listed, Delimiter="/",
                              ContinuationToken=out["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["c", "e"]
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["d/"]
    with s3_error("InvalidArgument", 400):
        s3.list_objects_v2(Bucket=listed, ContinuationToken="not-a-token!")
    with s3_error("InvalidArgument", 400):
        s3.list_objects_v2(Bucket=listed, MaxKeys=-1)


def test_v2_fetch_owner(s3: BaseClient, listed: str) -> None:
    out = s3.list_objects_v2(Bucket=listed, FetchOwner=True, MaxKeys=1)
    assert out["Contents"][0]["Owner"]["ID"]
    out = s3.list_objects_v2(Bucket=listed, MaxKeys=1)
    assert "Owner" not in out["Contents"][0]


def test_v1_marker(s3: BaseClient, listed: str) -> None:
    out = s3.list_objects(Bucket=listed, MaxKeys=2)
    assert [o["Key"] for o in out["Contents"]] == KEYS[:2]
    assert out["IsTruncated"]
    out = s3.list_objects(Bucket=listed, Marker="a/2")
    assert [o["Key"] for o in out["Contents"]] == KEYS[2:]
    out = s3.list_objects(Bucket=listed, Delimiter="/", MaxKeys=2)
    # With a delimiter, v1 gives NextMarker (the last key or prefix returned).
    assert out["IsTruncated"] and out["NextMarker"] == "b/"
    out = s3.list_objects(Bucket=listed, Delimiter="/", Marker=out["NextMarker"])
    assert [o["Key"] for o in out["Contents"]] == ["c", "e"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["d/"]
    assert out["Contents"][0]["Owner"]["ID"]


def test_encoding_type_url_with_awkward_keys(s3: BaseClient, bucket: str) -> None:
    for key in AWKWARD:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x"
    # boto3 asks for encoding-type=url by default and decodes the answer itself.
    v2 = s3.list_objects_v2(Bucket=bucket)
    assert sorted(o["Key"] for o in v2["Contents"]) == sorted(AWKWARD)
    v1 = s3.list_objects(Bucket=bucket)
    assert sorted(o["Key"] for o in v1["Contents"]) == sorted(AWKWARD)
    versions = s3.list_object_versions(Bucket=bucket)
    assert sorted(o["Key"] for o in versions["Versions"]) == sorted(AWKWARD)
    # Prefix and delimiter come back encoded too.
    out = s3.list_objects_v2(Bucket=bucket, Prefix="ünï/", Delimiter="/")
    assert out["Prefix"] == "ünï/" and [o["Key"] for o in out["Contents"]] == ["ünï/cödé"]
    # Raw (undecoded) view: what the wire carried is percent-encoded.
    seen: list[str] = []

    def capture(parsed: dict[str, Any], **kwargs: Any) -> None:
        seen.extend(o["Key"] for o in parsed.get("Contents", []))

    s3.meta.events.register("after-call.s3.ListObjectsV2", capture)
    try:
        s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    finally:
        s3.meta.events.unregister("after-call.s3.ListObjectsV2", capture)
    assert sorted(unquote(k) for k in seen) == sorted(AWKWARD)
    for key in AWKWARD:
        s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_paginate_2500_keys(s3: BaseClient, bucket: str, tenant_a: S3Tenant) -> None:
    keys = [f"p/{i:05d}" for i in range(2500)]
    writer = s3_client(tenant_a.url, tenant_a.member.access, tenant_a.member.secret,
                       max_pool_connections=16)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: writer.put_object(Bucket=bucket, Key=k, Body=b""), keys))
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
    assert [len(p["Contents"]) for p in pages] == [1000, 1000, 500]
    assert [o["Key"] for p in pages for o in p["Contents"]] == keys
    small = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 700})
    assert sum(len(p["Contents"]) for p in small) == 2500
    v1 = list(s3.get_paginator("list_objects").paginate(Bucket=bucket))
    assert [o["Key"] for p in v1 for o in p["Contents"]] == keys
    ver = list(s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 900}))
    assert [o["Key"] for p in ver for o in p["Versions"]] == keys
    delim = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/"))
    assert [p["Prefix"] for page in delim for p in page.get("CommonPrefixes", [])] == ["p/"]


def test_list_object_versions(s3: BaseClient, versioned_bucket: str) -> None:
    b = versioned_bucket
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
    s3.put_object(Bucket=b, Key="other", Body=b"x")
    marker = s3.delete_object(Bucket=b, Key="k")
    assert marker["DeleteMarker"]
    out = s3.list_object_versions(Bucket=b, Prefix="k")
    assert [(v["VersionId"], v["IsLatest"]) for v in out["Versions"]] == [
        (v2, False), (v1, False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in out["DeleteMarkers"]] == [
        (marker["VersionId"], True)]
    page = s3.list_object_versions(Bucket=b, Prefix="k", MaxKeys=1)
    assert page["IsTruncated"] and page["NextKeyMarker"] == "k"
    rest = s3.list_object_versions(Bucket=b, Prefix="k", KeyMarker=page["NextKeyMarker"],
                                   VersionIdMarker=page["NextVersionIdMarker"])
    got = [v["VersionId"] for v in rest.get("Versions", [])] + [
        m["VersionId"] for m in rest.get("DeleteMarkers", [])]
    assert set(got) == {v1, v2}
    # Plain listings hide the deleted key.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["other"]
