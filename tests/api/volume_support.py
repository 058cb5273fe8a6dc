"""Helpers for the Cinder wire tests: requests under /volume/v3, the error envelope, and
the volume agent's outcomes recorded directly (the real agent is not running here)."""

from __future__ import annotations

from typing import Any

import httpx

from nuage.ports import volume_agent as agent
from tests.api.conftest import AGENT_HOST, Api

V3 = "/volume/v3"


class Cinder:
    def __init__(self, api: Api, token: str | None = None, project: str | None = None,
                 version: str | None = None) -> None:
        self.api = api
        self.token = token
        # With a project id in the path, as the CLI sends it.
        self.prefix = f"{V3}/{project}" if project else V3
        self.version = version

    def headers(self) -> dict[str, str]:
        h = self.api.h(self.token)
        if self.version:
            h["OpenStack-API-Version"] = f"volume {self.version}"
        return h

    def get(self, path: str, **params: Any) -> httpx.Response:
        r: httpx.Response = self.api.http.get(self.prefix + path, params=params,
                                              headers=self.headers())
        return r

    def post(self, path: str, body: Any) -> httpx.Response:
        r: httpx.Response = self.api.http.post(self.prefix + path, json=body,
                                               headers=self.headers())
        return r

    def put(self, path: str, body: Any) -> httpx.Response:
        r: httpx.Response = self.api.http.put(self.prefix + path, json=body,
                                              headers=self.headers())
        return r

    def delete(self, path: str, **params: Any) -> httpx.Response:
        r: httpx.Response = self.api.http.delete(self.prefix + path, params=params,
                                                 headers=self.headers())
        return r

    def action(self, volume_id: str, name: str, value: Any = None) -> httpx.Response:
        return self.post(f"/volumes/{volume_id}/action", {name: value})

    # -- making things, and the agent's side --------------------------------------------------
    def volume(self, size: int = 1, ready: bool = True, **attrs: Any) -> dict[str, Any]:
        r = self.post("/volumes", {"volume": {"size": size, **attrs}})
        assert r.status_code == 202, r.text
        volume = dict(r.json()["volume"])
        if ready:
            self.agent_record(volume["id"], "creating", agent.Created(size_gb=size))
        return volume

    def agent_record(self, volume_id: str, expected: str, outcome: agent.Outcome) -> None:
        services = self.api.cloud.volume
        assert services is not None
        assert services.agent_control(AGENT_HOST).record(volume_id, expected, outcome)

    def status(self, volume_id: str) -> str:
        r = self.get(f"/volumes/{volume_id}")
        assert r.status_code == 200, r.text
        return str(r.json()["volume"]["status"])


def cinder_error(r: httpx.Response, status: int, name: str) -> str:
    """Cinder's envelope {"<name>": {"code", "message"}}; the message."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {name}, body
    assert body[name]["code"] == status
    message = body[name]["message"]
    assert isinstance(message, str) and message
    return message
