"""Issue 8: every S3 operation nuage does not serve answers 501 NotImplemented over HTTP and
changes nothing, on a bucket and on an object, whatever the method (before, `DELETE
/bucket?metadataTable` deleted the bucket and `GET /bucket?policyStatus` listed it)."""

from __future__ import annotations

import pytest
from botocore.client import BaseClient

from nuage.api.s3.app import ROUTES
from tests.compat.s3.conftest import S3Tenant, send, unique_bucket
from tests.unit.s3.test_routing import MODEL

pytestmark = pytest.mark.compat

UNSERVED = [m for m in MODEL if (m[1], m[2], m[3]) not in ROUTES]
BODY = b"<?xml version=\"1.0\"?><Configuration><Status>Enabled</Status></Configuration>"


@pytest.fixture(scope="module")
def target(tenant_a: S3Tenant) -> str:
    s3 = tenant_a.client()
    name = unique_bucket("route")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="doc", Body=b"kept")
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    return name


def state(s3: BaseClient, bucket: str) -> tuple[object, ...]:
    return (s3.get_object(Bucket=bucket, Key="doc")["Body"].read(),
            [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])],
            s3.get_bucket_tagging(Bucket=bucket)["TagSet"],
            s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"],
            s3.get_bucket_acl(Bucket=bucket)["Grants"],
            s3.get_bucket_versioning(Bucket=bucket).get("Status"))


@pytest.mark.parametrize(("op", "method", "level", "sub"), UNSERVED,
                         ids=[m[0] for m in UNSERVED])
def test_unserved_operation_is_501_and_changes_nothing(
        tenant_a: S3Tenant, target: str, op: str, method: str, level: str, sub: str) -> None:
    s3 = tenant_a.client()
    before = state(s3, target)
    path = f"/{target}" + ("/doc" if level == "object" else "") + f"?{sub}"
    body = BODY if method in ("PUT", "POST") else b""
    response = send(tenant_a, method, path, body)
    assert response.status_code == 501, (op, response.status_code, response.text)
    if method != "HEAD":
        assert b"<Code>NotImplemented</Code>" in response.content
    assert state(s3, target) == before


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_case_variants_and_pairs_are_refused_too(tenant_a: S3Tenant, target: str,
                                                 method: str) -> None:
    s3 = tenant_a.client()
    before = state(s3, target)
    for query in ("?MetadataTable", "?policyStatus&acl", "?POLICY"):
        response = send(tenant_a, method, f"/{target}{query}")
        assert response.status_code == 501, (query, response.text)
        response = send(tenant_a, method, f"/{target}/doc{query}")
        assert response.status_code == 501, (query, response.text)
    assert state(s3, target) == before


def test_unknown_parameter_is_ignored(tenant_a: S3Tenant, target: str) -> None:
    response = send(tenant_a, "GET", f"/{target}?list-type=2&nonsense=1")
    assert response.status_code == 200 and b"<Key>doc</Key>" in response.content
