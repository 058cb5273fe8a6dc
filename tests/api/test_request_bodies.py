"""Hostile JSON bodies on every facade of the OpenStack listener: too deep is a 400, too big
a 413, each in the facade's own error shape, and never a 500 (a RecursionError before)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nuage.api.openstack.common.body import MAX_BODY, MAX_DEPTH, nesting_depth
from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault
from tests.api.conftest import V3, Api, assert_error

DEEP = b"[" * 100_000
DEEP_CLOSED = b"[" * 5_000 + b"]" * 5_000
PATCH21 = "application/openstack-images-v2.1-json-patch"


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value]
    return value


def _post(api: Api, path: str, content: bytes, token: str | None = None,
          media: str = "application/json", method: str = "POST") -> httpx.Response:
    headers = {"Content-Type": media}
    if token:
        headers["X-Auth-Token"] = token
    r: httpx.Response = api.http.request(method, path, content=content, headers=headers)
    return r


def _glance_error(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == status and body["title"] and body["message"], body


def test_nesting_depth_skips_strings() -> None:
    assert nesting_depth(b'{"a": [1, {"b": []}]}') == 4
    assert nesting_depth(b'["[[[[", "\\"[[[", {"k": "{{{{"}]') == 2
    assert nesting_depth(DEEP) == MAX_DEPTH + 1
    assert nesting_depth(json.dumps(_nested(MAX_DEPTH)).encode()) == MAX_DEPTH


@pytest.mark.parametrize("body", [DEEP, DEEP_CLOSED,
                                  json.dumps({"auth": _nested(MAX_DEPTH + 1)}).encode()])
def test_keystone_unauthenticated_token_issue(api: Api, body: bytes) -> None:
    assert_error(_post(api, f"{V3}/auth/tokens", body), 400)


def test_keystone_authenticated_and_credential_blob(api: Api) -> None:
    assert_error(_post(api, f"{V3}/projects", DEEP, api.admin_token), 400)
    project = {"project": {"name": "deep", "domain_id": "default",
                           "extra_field": _nested(MAX_DEPTH + 1)}}
    assert_error(_post(api, f"{V3}/projects", json.dumps(project).encode(), api.admin_token),
                 400)
    # A JSON document inside a string (an EC2 blob) is bounded too.
    blob = "[" * 60_000
    r = api.post("/credentials", {"credential": {
        "type": "ec2", "user_id": api.admin_user_id, "project_id": api.admin_project_id,
        "blob": blob}})
    assert_error(r, 400)
    # Just within the bound is accepted.
    project["project"]["extra_field"] = _nested(MAX_DEPTH - 2)
    r = _post(api, f"{V3}/projects", json.dumps(project).encode(), api.admin_token)
    assert r.status_code == 201, r.text


def test_nova(api: Api, servers: Servers) -> None:
    nova = Nova(api, "2.26")
    _, token = nova.member()
    base = "/compute/v2.1"
    headers = {"X-OpenStack-Nova-API-Version": "2.26"}
    for path, method in ((f"{base}/servers", "POST"), (f"{base}/os-keypairs", "POST"),
                         (f"{base}/flavors", "POST")):
        r = api.http.request(method, path, content=DEEP,
                             headers={**headers, "X-Auth-Token": token,
                                      "Content-Type": "application/json"})
        assert_fault(r, 400, "badRequest", "2.26")
    sid = servers.active(token)
    r = api.http.put(f"{base}/servers/{sid}/tags", content=DEEP,
                     headers={**headers, "X-Auth-Token": token,
                              "Content-Type": "application/json"})
    assert_fault(r, 400, "badRequest", "2.26")
    r = api.http.post(f"{base}/servers", content=b" " * (MAX_BODY + 1),
                      headers={**headers, "X-Auth-Token": token,
                               "Content-Type": "application/json"})
    assert_fault(r, 413, "overLimit", "2.26")


def test_glance(api: Api) -> None:
    r = _post(api, "/image/v2/images", DEEP, api.admin_token)
    _glance_error(r, 400)
    r = api.http.post("/image/v2/images", json={"name": "i"}, headers=api.h())
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    for body in (DEEP, json.dumps([{"op": "add", "path": "/x",
                                    "value": _nested(MAX_DEPTH + 1)}]).encode()):
        r = _post(api, f"/image/v2/images/{image_id}", body, api.admin_token, PATCH21,
                  method="PATCH")
        _glance_error(r, 400)
    r = _post(api, f"/image/v2/images/{image_id}", b" " * (MAX_BODY + 1), api.admin_token,
              PATCH21, method="PATCH")
    _glance_error(r, 413)


def test_audit_api_reads_no_body(api: Api) -> None:
    r = _post(api, "/audit/v1/events", DEEP, api.admin_token)
    assert r.status_code == 405, r.text
    r = api.http.request("GET", "/audit/v1/events", content=DEEP, headers=api.h())
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("send", [
    # Declared up front: refused before reading.
    lambda api, path: _post(api, path, b"{" + b" " * MAX_BODY + b"}"),
    # Streamed without a length: refused once the bound is crossed.
    lambda api, path: api.http.post(path, content=iter([b" " * (MAX_BODY // 2)] * 3),
                                    headers={"Content-Type": "application/json"}),
])
def test_keystone_too_large_is_413_even_unauthenticated(
        api: Api, send: Callable[[Api, str], httpx.Response]) -> None:
    error = assert_error(send(api, f"{V3}/auth/tokens"), 413)
    assert error["title"] == "Request Entity Too Large"
