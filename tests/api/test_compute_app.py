"""The compute facade itself: version documents, microversion headers, auth, unknown routes."""

from __future__ import annotations

import pytest

from tests.api.compute_support import Nova, assert_fault
from tests.api.conftest import Api


def test_version_documents(api: Api) -> None:
    for path in ("/compute", "/compute/"):
        r = api.http.get(path)
        assert r.status_code == 200, r.text
        versions = r.json()["versions"]
        assert [v["id"] for v in versions] == ["v2.0", "v2.1"]
        assert versions[1]["version"] == "2.100" and versions[1]["min_version"] == "2.1"
    for path, vid in (("/compute/v2", "v2.0"), ("/compute/v2/", "v2.0"),
                      ("/compute/v2.1", "v2.1"), ("/compute/v2.1/", "v2.1")):
        r = api.http.get(path)
        assert r.status_code == 200 and r.json()["version"]["id"] == vid
        # Each self link is followable and gives back the same document.
        self_link = next(x["href"] for x in r.json()["version"]["links"] if x["rel"] == "self")
        again = api.http.get(self_link.replace("http://127.0.0.1:8800", ""))
        assert again.json() == r.json()


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, "2.1"), ({"X-OpenStack-Nova-API-Version": "2.1"}, "2.1"),
    ({"OpenStack-API-Version": "compute 2.1"}, "2.1"),
    ({"X-OpenStack-Nova-API-Version": "2.2"}, "2.2"),
    ({"OpenStack-API-Version": "compute 2.19"}, "2.19"),
    ({"OpenStack-API-Version": "compute latest"}, "2.100"),
    ({"X-OpenStack-Nova-API-Version": "latest"}, "2.100"),
    # The new header wins over the old one, as in Nova.
    ({"OpenStack-API-Version": "compute 2.10", "X-OpenStack-Nova-API-Version": "2.3"}, "2.10"),
])
def test_microversion_headers_echoed(nova: Nova, headers: dict[str, str],
                                     expected: str) -> None:
    r = nova.get("/flavors", headers=headers)
    assert r.status_code == 200
    assert r.headers["OpenStack-API-Version"] == f"compute {expected}"
    assert r.headers["X-OpenStack-Nova-API-Version"] == expected
    assert "X-OpenStack-Nova-API-Version" in r.headers["Vary"]
    # Nova's own request id header, the same id as X-OpenStack-Request-ID.
    assert r.headers["X-Compute-Request-Id"] == r.headers["X-OpenStack-Request-ID"]
    assert r.headers["X-Compute-Request-Id"].startswith("req-")


@pytest.mark.parametrize("headers", [
    {"X-OpenStack-Nova-API-Version": "2.101"}, {"OpenStack-API-Version": "compute 3.0"},
    {"X-OpenStack-Nova-API-Version": "two"}, {"X-OpenStack-Nova-API-Version": "2.0"},
])
def test_unsupported_microversion_is_406(nova: Nova, headers: dict[str, str]) -> None:
    r = nova.get("/flavors", headers=headers)
    assert r.status_code == 406, r.text
    assert r.json()["computeFault"]["code"] == 406
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.1"


def test_v2_prefix_serves_the_same_routes(nova: Nova) -> None:
    r = nova.api.http.get("/compute/v2/flavors/1", headers=nova.api.h())
    assert r.status_code == 200
    assert r.json()["flavor"]["links"][0]["href"].endswith("/compute/v2/flavors/1")


def test_auth_and_unknown_routes(nova: Nova) -> None:
    r = nova.api.http.get("/compute/v2.1/flavors")
    assert_fault(r, 401, "unauthorized")
    r = nova.api.http.get("/compute/v2.1/flavors", headers={"X-Auth-Token": "garbage"})
    assert r.status_code == 401
    assert_fault(nova.get("/no-such-thing"), 404, "itemNotFound")
    assert_fault(nova.get("/os-keypairs/a/b/c"), 404, "itemNotFound")
    r = nova.api.http.patch("/compute/v2.1/flavors/1", headers=nova.api.h())
    assert_fault(r, 405, "badMethod")
