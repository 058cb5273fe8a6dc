"""Issue 8: every S3 request has a request id and a host id (x-amz-request-id, x-amz-id-2,
and RequestId/HostId in error bodies) and an access-log line naming them, as the OpenStack
listener has; a presigned URL's signature never reaches the log."""

from __future__ import annotations

import time

import httpx
import pytest
from botocore.client import BaseClient

from tests.compat.s3.conftest import S3Tenant, send
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def logged(live: LiveNuage, *needles: str) -> str:
    deadline = time.monotonic() + 10
    while True:
        for line in live.log_file.read_text(errors="replace").splitlines():
            if all(n in line for n in needles):
                return line
        assert time.monotonic() < deadline, needles
        time.sleep(0.2)


def test_ids_in_headers_bodies_and_access_log(tenant_a: S3Tenant, s3: BaseClient,
                                              bucket: str, live_nuage: LiveNuage) -> None:
    s3.put_object(Bucket=bucket, Key="doc", Body=b"x")
    ok = send(tenant_a, "GET", f"/{bucket}/doc")
    error = send(tenant_a, "GET", f"/{bucket}/missing")
    head = httpx.head(f"{tenant_a.url}/{bucket}/doc")          # anonymous, denied
    policy = send(tenant_a, "GET", f"/{bucket}?policy")         # 404 NoSuchBucketPolicy
    ids = set()
    for response in (ok, error, head, policy):
        rid, hid = response.headers["x-amz-request-id"], response.headers["x-amz-id-2"]
        assert rid and len(hid) >= 16
        ids.add(rid)
        line = logged(live_nuage, rid, hid)
        assert f" {response.status_code} " in line, line
    assert len(ids) == 4
    for response in (error, policy):
        assert f"<RequestId>{response.headers['x-amz-request-id']}</RequestId>".encode() in (
            response.content)
        assert f"<HostId>{response.headers['x-amz-id-2']}</HostId>".encode() in (
            response.content)
    assert f"GET /{bucket}?policy" in logged(live_nuage, policy.headers["x-amz-request-id"])

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "doc"})
    presigned = httpx.get(url)
    assert presigned.status_code == 200
    signature = url.split("X-Amz-Signature=", 1)[1].split("&", 1)[0]
    line = logged(live_nuage, presigned.headers["x-amz-request-id"])
    assert "X-Amz-Signature" in line and signature not in line, line
    assert signature not in live_nuage.log_file.read_text(errors="replace")
