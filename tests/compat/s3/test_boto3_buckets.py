"""boto3: buckets — create, list, head, delete, location, tagging, addressing styles."""

from __future__ import annotations

import datetime
import hashlib
from urllib.parse import urlparse

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.credentials import Credentials

from tests.compat.s3.conftest import REGION, S3Tenant, s3_error, unique_bucket

pytestmark = pytest.mark.compat


def test_create_list_head_location_delete(s3: BaseClient) -> None:
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert name in names
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == REGION
    s3.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with s3_error("404", 404):
        s3.head_bucket(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3.delete_bucket(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3.list_objects_v2(Bucket=name)


def test_create_with_location_constraint(s3: BaseClient) -> None:
    name = unique_bucket()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == REGION
    with s3_error("InvalidLocationConstraint", 400):
        s3.create_bucket(Bucket=unique_bucket(),
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-9"})


def test_already_owned_and_already_exists(s3: BaseClient, s3_b: BaseClient) -> None:
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    with s3_error("BucketAlreadyOwnedByYou", 409):
        s3.create_bucket(Bucket=name)
    with s3_error("BucketAlreadyExists", 409):
        s3_b.create_bucket(Bucket=name)


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "UpperCase", "under_score", "-leading", "trailing-", "192.168.1.1",
    "double..dot", "xn--punycode", "bucket-s3alias", "dot.-dash"])
def test_invalid_bucket_names(s3: BaseClient, name: str) -> None:
    with s3_error("InvalidBucketName", 400):
        s3.create_bucket(Bucket=name)


def test_bucket_not_empty(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with s3_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_bucket_tagging(s3: BaseClient, bucket: str) -> None:
    with s3_error("NoSuchTagSet", 404):
        s3.get_bucket_tagging(Bucket=bucket)
    tags = [{"Key": "team", "Value": "storage"}, {"Key": "env", "Value": "test"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])
    s3.delete_bucket_tagging(Bucket=bucket)
    with s3_error("NoSuchTagSet", 404):
        s3.get_bucket_tagging(Bucket=bucket)


def test_unsupported_subresource_is_not_implemented(s3: BaseClient, bucket: str) -> None:
    with s3_error("NotImplemented", 501):
        s3.get_bucket_website(Bucket=bucket)


def _signed(method: str, url: str, tenant: S3Tenant, headers: dict[str, str],
            body: bytes = b"") -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    SigV4Auth(Credentials(tenant.member.access, tenant.member.secret), "s3",
              REGION).add_auth(request)
    return request


def test_virtual_hosted_style(s3: BaseClient, bucket: str, tenant_a: S3Tenant) -> None:
    """A raw signed request addressed as <bucket>.s3.localhost:<port>, sent to 127.0.0.1."""
    port = urlparse(tenant_a.url).port
    host = f"{bucket}.s3.localhost:{port}"
    put = _signed("PUT", f"http://{host}/hello.txt", tenant_a, {"Host": host}, b"virtual")
    get = _signed("GET", f"http://{host}/hello.txt", tenant_a, {"Host": host})
    lst = _signed("GET", f"http://{host}/?list-type=2", tenant_a, {"Host": host})
    with httpx.Client(base_url=tenant_a.url, timeout=30) as client:
        for req in (put, get, lst):
            path = req.url.split(host, 1)[1]
            response = client.request(req.method, path, headers=dict(req.headers.items()),
                                      content=req.body or b"")
            assert response.status_code == 200, response.text
            if req is get:
                assert response.content == b"virtual"
            if req is lst:
                assert b"<Key>hello.txt</Key>" in response.content
    assert s3.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"virtual"


def test_bad_signature_and_unknown_key(tenant_a: S3Tenant, bucket: str) -> None:
    from tests.compat.s3.conftest import s3_client
    wrong = s3_client(tenant_a.url, tenant_a.member.access, "not-the-secret")
    with s3_error("SignatureDoesNotMatch", 403):
        wrong.list_objects_v2(Bucket=bucket)
    with s3_error("SignatureDoesNotMatch", 403):
        wrong.put_object(Bucket=bucket, Key="k", Body=b"x")
    unknown = s3_client(tenant_a.url, "AKIDOESNOTEXIST0000", "whatever")
    with s3_error("InvalidAccessKeyId", 403):
        unknown.list_buckets()


def test_request_time_too_skewed(tenant_a: S3Tenant, bucket: str) -> None:
    """A request signed 20 minutes ago is refused (S3 allows 15 minutes of skew)."""
    url = f"{tenant_a.url}/{bucket}"
    request = AWSRequest(method="GET", url=url, headers={})
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"").hexdigest()
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20)
    request.context["timestamp"] = old.strftime("%Y%m%dT%H%M%SZ")
    # add_auth would stamp the current time: sign by its steps with the old one.
    auth = SigV4Auth(Credentials(tenant_a.member.access, tenant_a.member.secret), "s3", REGION)
    auth._modify_request_before_signing(request)
    string_to_sign = auth.string_to_sign(request, auth.canonical_request(request))
    auth._inject_signature_to_request(request, auth.signature(string_to_sign, request))
    response = httpx.get(url, headers=dict(request.headers.items()), timeout=30)
    assert response.status_code == 403, response.text
    assert b"<Code>RequestTimeTooSkewed</Code>" in response.content
