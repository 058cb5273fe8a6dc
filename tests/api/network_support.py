"""Helpers for the Neutron wire tests: requests under /network/v2.0 and the error envelope."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Api

V2 = "/network/v2.0"


class Neutron:
    def __init__(self, api: Api, token: str | None = None) -> None:
        self.api = api
        self.token = token

    def as_(self, token: str) -> Neutron:
        return Neutron(self.api, token)

    def get(self, path: str, **params: Any) -> httpx.Response:
        r: httpx.Response = self.api.http.get(V2 + path, params=params,
                                              headers=self.api.h(self.token))
        return r

    def post(self, path: str, body: Any) -> httpx.Response:
        r: httpx.Response = self.api.http.post(V2 + path, json=body,
                                               headers=self.api.h(self.token))
        return r

    def put(self, path: str, body: Any = None) -> httpx.Response:
        r: httpx.Response = self.api.http.put(V2 + path, json=body,
                                              headers=self.api.h(self.token))
        return r

    def delete(self, path: str) -> httpx.Response:
        r: httpx.Response = self.api.http.delete(V2 + path, headers=self.api.h(self.token))
        return r

    def make(self, resource: str, **attrs: Any) -> dict[str, Any]:
        r = self.post(f"/{resource}s", {resource: attrs})
        assert r.status_code == 201, r.text
        return dict(r.json()[resource])

    def network(self, **attrs: Any) -> dict[str, Any]:
        return self.make("network", **attrs)

    def subnet(self, network_id: str, cidr: str = "10.0.0.0/24", **attrs: Any
               ) -> dict[str, Any]:
        return self.make("subnet", network_id=network_id, cidr=cidr,
                         ip_version=6 if ":" in cidr else 4, **attrs)


def neutron_error(r: httpx.Response, status: int, kind: str) -> str:
    """Neutron's envelope, with its exception name; the message."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"NeutronError"}, body
    error = body["NeutronError"]
    assert set(error) == {"type", "message", "detail"}, error
    assert error["type"] == kind, error
    assert error["detail"] == ""
    assert isinstance(error["message"], str) and error["message"]
    return str(error["message"])


def member(api: Api) -> tuple[Neutron, str]:
    """A new project and a member of it: (that member's Neutron, the project's id)."""
    project = api.project()
    return Neutron(api, api.member_of(project["id"])[1]), project["id"]


def public(n: Neutron) -> dict[str, Any]:
    """The seeded external network, as `n` sees it."""
    (net,) = n.get("/networks", **{"router:external": "true"}).json()["networks"]
    return dict(net)
