"""boto3: lifecycle configuration and the worker that carries it out; per-project quotas.

The worker test and the quota test each start their own `nuage up`: one with a lifecycle
"day" of one second and a one-second pass, one with small storage quotas.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient

from tests.compat.s3.conftest import Identity, S3Tenant, s3_error, unique_bucket
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def start(tmp: Path, **env: str) -> LiveNuage:
    return LiveNuage(tmp, extra_env=env).start()


def test_lifecycle_configuration(s3: BaseClient, bucket: str) -> None:
    with s3_error("NoSuchLifecycleConfiguration", 404):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    rules = [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled",
         "Expiration": {"Days": 30}},
        {"ID": "old", "Filter": {"Prefix": ""}, "Status": "Enabled",
         "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                          LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["ID"] for r in got] == ["logs", "old"]
    assert got[0]["Expiration"] == {"Days": 30}
    assert got[0]["Filter"] == {"Prefix": "logs/"}
    assert got[1]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 7
    assert got[1]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 2}
    with s3_error("InvalidArgument", 400):
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={
            "Rules": [{"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled",
                       "Expiration": {"Days": 0}}]})
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with s3_error("NoSuchLifecycleConfiguration", 404):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


@pytest.fixture(scope="module")
def fast_lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Tenant]:
    live = start(tmp_path_factory.mktemp("nuage-lifecycle"), NUAGE_LIFECYCLE_INTERVAL="1",
                 NUAGE_LIFECYCLE_DAY_SECONDS="1")
    admin = Identity(live)
    try:
        yield admin.tenant("lc")
    finally:
        admin.close()
        live.stop()


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_worker_expires_current_and_noncurrent_and_aborts_uploads(
        fast_lifecycle: S3Tenant) -> None:
    s3 = fast_lifecycle.client()
    plain, versioned = unique_bucket("lc"), unique_bucket("lcv")
    s3.create_bucket(Bucket=plain)
    s3.create_bucket(Bucket=versioned)
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=plain, Key="tmp/old", Body=b"expire me")
    s3.put_object(Bucket=plain, Key="keep/this", Body=b"stay")
    upload = s3.create_multipart_upload(Bucket=plain, Key="tmp/mp")["UploadId"]
    s3.upload_part(Bucket=plain, Key="tmp/mp", UploadId=upload, PartNumber=1, Body=b"x")
    s3.put_object(Bucket=versioned, Key="v", Body=b"first")
    s3.put_object(Bucket=versioned, Key="v", Body=b"second")
    s3.put_bucket_lifecycle_configuration(Bucket=plain, LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
         "Expiration": {"Days": 1}, "AbortIncompleteMultipartUpload": {
             "DaysAfterInitiation": 1}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=versioned, LifecycleConfiguration={"Rules": [
        {"ID": "nc", "Filter": {"Prefix": ""}, "Status": "Enabled",
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})

    def keys() -> list[str]:
        return [o["Key"] for o in s3.list_objects_v2(Bucket=plain).get("Contents", [])]

    assert wait_for(lambda: keys() == ["keep/this"]), keys()
    assert wait_for(lambda: not s3.list_multipart_uploads(Bucket=plain).get("Uploads"))
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=plain, Key="tmp/mp", UploadId=upload)

    def versions() -> list[str]:
        return [v["VersionId"] for v in
                s3.list_object_versions(Bucket=versioned).get("Versions", [])]

    assert wait_for(lambda: len(versions()) == 1), versions()
    assert s3.get_object(Bucket=versioned, Key="v")["Body"].read() == b"second"
    assert s3.get_object(Bucket=plain, Key="keep/this")["Body"].read() == b"stay"


def test_quotas(tmp_path_factory: pytest.TempPathFactory) -> None:
    live = start(tmp_path_factory.mktemp("nuage-quota"), NUAGE_STORAGE_MAX_BUCKETS="2",
                 NUAGE_STORAGE_MAX_BYTES="1000000")
    admin = Identity(live)
    try:
        s3 = admin.tenant("q").client()
        first, second = unique_bucket("q"), unique_bucket("q")
        s3.create_bucket(Bucket=first)
        s3.create_bucket(Bucket=second)
        with s3_error("TooManyBuckets", 400):
            s3.create_bucket(Bucket=unique_bucket("q"))
        s3.put_object(Bucket=first, Key="a", Body=b"x" * 600_000)
        with s3_error("QuotaExceeded", 403):
            s3.put_object(Bucket=second, Key="b", Body=b"x" * 500_000)
        with s3_error("NoSuchKey", 404):
            s3.get_object(Bucket=second, Key="b")
        # Multipart completion counts too.
        uid = s3.create_multipart_upload(Bucket=second, Key="mp")["UploadId"]
        with pytest.raises(Exception) as info:
            etag = s3.upload_part(Bucket=second, Key="mp", UploadId=uid, PartNumber=1,
                                  Body=b"y" * 500_000)["ETag"]
            s3.complete_multipart_upload(Bucket=second, Key="mp", UploadId=uid,
                                         MultipartUpload={"Parts": [
                                             {"PartNumber": 1, "ETag": etag}]})
        assert "QuotaExceeded" in str(info.value)
        # Freeing space makes room again; freeing a bucket allows another.
        s3.delete_object(Bucket=first, Key="a")
        s3.put_object(Bucket=second, Key="b", Body=b"x" * 500_000)
        s3.delete_bucket(Bucket=first)
        s3.create_bucket(Bucket=unique_bucket("q"))
        # Another project has its own quota.
        other = admin.tenant("q2").client()
        other.create_bucket(Bucket=unique_bucket("q"))
    finally:
        admin.close()
        live.stop()
