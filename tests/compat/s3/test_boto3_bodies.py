"""Issue 8: hostile bodies on every S3 endpoint that parses one answer 400 with S3's error
(MalformedPolicy, MalformedXML, MaxMessageLengthExceeded), never 500, and change nothing."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.client import BaseClient

from tests.compat.s3.conftest import S3Tenant, send, unique_bucket

pytestmark = pytest.mark.compat

# Every request that carries a document: (method, path after the bucket, root element).
XML_ENDPOINTS = [
    ("PUT", "?versioning", "VersioningConfiguration"), ("PUT", "?cors", "CORSConfiguration"),
    ("PUT", "?lifecycle", "LifecycleConfiguration"), ("PUT", "?tagging", "Tagging"),
    ("PUT", "?acl", "AccessControlPolicy"), ("PUT", "?object-lock", "ObjectLockConfiguration"),
    ("POST", "?delete", "Delete"), ("PUT", "/doc?tagging", "Tagging"),
    ("PUT", "/doc?acl", "AccessControlPolicy"), ("PUT", "/doc?retention", "Retention"),
    ("PUT", "/doc?legal-hold", "LegalHold"),
    ("POST", "/mp?uploadId={upload}", "CompleteMultipartUpload"),
]
DEEP = 100_000


def hostile_xml(root: str) -> list[bytes]:
    laughs = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                        for i in range(8)) + f"]><{root}>&i;</{root}>")
    return [f"<{root}>".encode() + b"<a>" * DEEP + b"</a>" * DEEP + f"</{root}>".encode(),
            laughs.encode("utf-16"),
            f'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><{root}>&e;</{root}>'
            .encode()]


@pytest.fixture(scope="module")
def target(tenant_a: S3Tenant) -> tuple[str, str]:
    s3 = tenant_a.client()
    name = unique_bucket("body")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket=name, Key="doc", Body=b"kept")
    upload = s3.create_multipart_upload(Bucket=name, Key="mp")["UploadId"]
    s3.upload_part(Bucket=name, Key="mp", UploadId=upload, PartNumber=1, Body=b"p")
    return name, upload


def state(s3: BaseClient, bucket: str) -> tuple[object, ...]:
    return (s3.get_object(Bucket=bucket, Key="doc")["Body"].read(),
            s3.get_bucket_versioning(Bucket=bucket).get("Status"),
            s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"],
            [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]])


@pytest.mark.parametrize(("method", "path", "root"), XML_ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _ in XML_ENDPOINTS])
def test_hostile_xml_is_malformed(tenant_a: S3Tenant, target: tuple[str, str], method: str,
                                  path: str, root: str) -> None:
    bucket, upload = target
    before = state(tenant_a.client(), bucket)
    where = f"/{bucket}{path.format(upload=upload)}"
    for body in hostile_xml(root):
        # With its Content-MD5, which DeleteObjects requires: the document itself is refused.
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        response = send(tenant_a, method, where, body, {"Content-MD5": md5})
        assert response.status_code == 400, (path, response.text)
        assert b"<Code>MalformedXML</Code>" in response.content, response.text
    big = f"<{root}>".encode() + b" " * (3 << 20) + f"</{root}>".encode()
    response = send(tenant_a, method, where, big)
    assert response.status_code == 400, response.text
    assert b"<Code>MaxMessageLengthExceeded</Code>" in response.content
    assert state(tenant_a.client(), bucket) == before


@pytest.mark.parametrize("policy", [
    "[" * DEEP, "{" * DEEP, '{"Statement": ' + "[" * DEEP + "]" * DEEP + "}",
    '{"Statement": [], "Pad": "' + "x" * 30_000 + '"}',
])
def test_hostile_policy_is_malformed(tenant_a: S3Tenant, target: tuple[str, str],
                                     policy: str) -> None:
    bucket, _ = target
    response = send(tenant_a, "PUT", f"/{bucket}?policy", policy.encode())
    assert response.status_code == 400, response.text
    assert b"<Code>MalformedPolicy</Code>" in response.content
    assert send(tenant_a, "GET", f"/{bucket}?policy").status_code == 404
