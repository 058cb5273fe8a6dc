"""Issue 9: the OpenStack front and the S3 listener run one middleware stack
(api/middleware.py): each names its ids its own way, both write the same access-log line,
and neither logs a query parameter's value (a presigned URL's are a credential)."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import Api

SECRET = "s3cr3tvalue"


def access_lines(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "nuage.access" and needle in r.getMessage()]


def test_openstack_listener_ids_and_access_log(api: Api,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nuage.access")
    response = api.http.get(f"/identity/v3/projects?name={SECRET}&enabled")
    assert response.status_code == 401
    rid = response.headers["x-openstack-request-id"]
    assert rid.startswith("req-") and "x-amz-request-id" not in response.headers
    [line] = access_lines(caplog, rid)
    assert '"GET /identity/v3/projects?name&enabled" 401 ' in line, line
    assert SECRET not in caplog.text


def test_s3_listener_ids_and_access_log(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nuage.access")
    s3 = TestClient(api.cloud.s3_app())     # not entered: the S3 app serves no lifespan
    first = s3.get(f"/bucket?list-type=2&prefix={SECRET}")     # anonymous: NoSuchBucket
    second = s3.get("/bucket")
    assert first.status_code == 404 and "x-openstack-request-id" not in first.headers
    rid, hid = first.headers["x-amz-request-id"], first.headers["x-amz-id-2"]
    assert second.headers["x-amz-request-id"] != rid
    # One header each (the error table no longer sets them), and the same ids in the body.
    assert first.headers.get_list("x-amz-request-id") == [rid]
    assert f"<RequestId>{rid}</RequestId><HostId>{hid}</HostId>" in first.text
    [line] = access_lines(caplog, rid)
    assert '"GET /bucket?list-type&prefix" 404 ' in line and line.endswith(f"{rid} {hid}")
    assert SECRET not in caplog.text
