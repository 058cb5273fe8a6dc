"""Cinder's version discovery (GET /volume/ -> 300, GET /volume/v3/ -> 200, both a
"versions" list) and microversion negotiation (`OpenStack-API-Version: volume 3.x`).

Advertised: 3.0 to 3.42. What nuage shows for the changes up to it: 3.13 group_id and
3.21 provider_id on volumes (always null: no groups, no backend ids), 3.14
group_snapshot_id and 3.41 user_id on snapshots, 3.42 extending an in-use volume. APIs
those versions add that nuage lacks (attachments 3.27, groups, messages, workers,
revert 3.40) answer 404, as an unknown path.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.block_storage.deps import MAX_VERSION, MIN_VERSION, deps
from nuage.api.openstack.common.http import reply

_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


class NotAcceptable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def requested(headers: Any) -> tuple[int, int]:
    """The microversion a request asks for; 3.0 when absent."""
    value = None
    header = headers.get("openstack-api-version")
    if header:
        for part in header.split(","):
            service, _, ver = part.strip().partition(" ")
            if service.lower() == "volume":
                value = ver.strip()
    if value is None:
        return MIN_VERSION
    if value.lower() == "latest":
        return MAX_VERSION
    m = _VERSION_RE.match(value)
    if not m:
        raise NotAcceptable(f"Invalid API version request: {value}")
    version = (int(m.group(1)), int(m.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise NotAcceptable(f"Version {value} is not supported by the API. Minimum is "
                            f"{text(MIN_VERSION)} and maximum is {text(MAX_VERSION)}.")
    return version


def response_headers(version: tuple[int, int]) -> dict[str, str]:
    return {"OpenStack-API-Version": f"volume {text(version)}",
            "Vary": "OpenStack-API-Version"}


def document(url: str) -> dict[str, Any]:
    """`url` is the unversioned block storage URL."""
    return {"id": "v3.0", "status": "CURRENT", "version": text(MAX_VERSION),
            "min_version": text(MIN_VERSION), "updated": "2023-08-31T00:00:00Z",
            "links": [{"rel": "describedby", "type": "text/html",
                       "href": "https://docs.openstack.org/"},
                      {"rel": "self", "href": f"{url}/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.volume+json;version=3"}]}


async def versions(request: Request) -> Response:
    return reply({"versions": [document(deps(request).url)]}, status=300)


async def version_v3(request: Request) -> Response:
    return reply({"versions": [document(deps(request).url)]})


ROUTES: list[Route] = [
    Route("/", versions, methods=["GET"]),
    Route("/v3", version_v3, methods=["GET"]),
    Route("/v3/", version_v3, methods=["GET"]),
]
