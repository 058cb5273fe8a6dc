"""Hostile JSON bodies against a live `nuage up` (uvicorn in front): 400 for `[` x 100,000
and 413 for an oversized body, unauthenticated, on every facade's JSON endpoints."""

from __future__ import annotations

import httpx
import pytest

from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat

DEEP = b"[" * 100_000


@pytest.mark.parametrize("path", ["/identity/v3/auth/tokens", "/compute/v2.1/servers",
                                  "/image/v2/images"])
def test_deep_and_big_bodies(live_nuage: LiveNuage, path: str) -> None:
    headers = {"Content-Type": "application/json"}
    if not path.startswith("/identity"):
        headers["X-Auth-Token"] = live_nuage.admin_token()
    with httpx.Client(base_url=live_nuage.base_url, timeout=30) as http:
        r = http.post(path, content=DEEP, headers=headers)
        assert r.status_code == 400, r.text
        r = http.post(path, content=b" " * (2 << 20), headers=headers)
        assert r.status_code == 413, r.text
        # The listener is still there for the next client.
        assert http.get("/identity/v3").status_code == 200
