"""A small Nova client for the in-process compute tests, and Nova's fault envelope."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Api

C = "/compute/v2.1"


class Nova:
    """Requests to the compute facade as the admin, or with another token; `version` sends
    that microversion (none: the default, 2.1)."""

    def __init__(self, api: Api, version: str | None = None) -> None:
        self.api = api
        self.version = version

    def at(self, version: str) -> Nova:
        """The same client at another microversion."""
        return Nova(self.api, version)

    def _h(self, token: str | None, headers: dict[str, str] | None = None) -> dict[str, str]:
        mv = {"OpenStack-API-Version": f"compute {self.version}"} if self.version else {}
        return {**self.api.h(token), **mv, **(headers or {})}

    def get(self, path: str, token: str | None = None, *,
            headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        r: httpx.Response = self.api.http.get(C + path, headers=self._h(token, headers), **kw)
        return r

    def post(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.api.http.post(C + path, json=body, headers=self._h(token))
        return r

    def put(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.api.http.put(C + path, json=body, headers=self._h(token))
        return r

    def put_raw(self, path: str, content: bytes, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.api.http.put(C + path, content=content,
                                              headers=self._h(token))
        return r

    def delete(self, path: str, token: str | None = None) -> httpx.Response:
        r: httpx.Response = self.api.http.delete(C + path, headers=self._h(token))
        return r

    def member(self) -> tuple[str, str]:
        """A new project with a member: (project id, token)."""
        project = self.api.project()
        _, token = self.api.member_of(project["id"])
        return project["id"], token

    def flavor(self, **fields: Any) -> dict[str, Any]:
        body = {"name": fields.pop("name", f"f-{id(fields)}"), "ram": 128, "vcpus": 1,
                "disk": 1, **fields}
        r = self.post("/flavors", {"flavor": body})
        assert r.status_code == 200, r.text
        return dict(r.json()["flavor"])


def assert_fault(r: httpx.Response, status: int, name: str, version: str = "2.1") -> str:
    """Nova's fault envelope: {"<name>": {"code": status, "message": "..."}}."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == [name], body
    assert body[name]["code"] == status
    assert isinstance(body[name]["message"], str) and body[name]["message"]
    assert r.headers["X-OpenStack-Nova-API-Version"] == version
    return str(body[name]["message"])
