"""/servers/{id}/tags (microversion 2.26): list, replace, clear; check, add, remove one.

Below 2.26 these routes do not exist (404), as in Nova.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import parse_json, read_body
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import Deps, caller
from nuage.domain.errors import ValidationError

TAGS_VERSION = (2, 26)


async def _body(request: Request) -> object:
    raw = await read_body(request)
    if not raw.strip():
        return None
    return parse_json(raw)


def require_version(request: Request) -> None:
    if Deps.version(request) < TAGS_VERSION:
        raise HTTPException(404)


async def tags(request: Request) -> Response:
    require_version(request)
    d, ctx = await caller(request)
    sid = request.path_params["server_id"]
    if request.method == "GET":
        return reply({"tags": await call(d.s.servers.tags, ctx, sid)})
    if request.method == "DELETE":
        await call(d.s.servers.delete_tags, ctx, sid)
        return empty(204)
    body = await _body(request)
    if not isinstance(body, dict) or "tags" not in body:
        raise ValidationError("Invalid input for field/attribute tags. 'tags' is a "
                              "required property")
    if set(body) != {"tags"}:
        extra = ", ".join(repr(k) for k in sorted(set(body) - {"tags"}))
        raise ValidationError(f"Additional properties are not allowed ({extra} were "
                              "unexpected)")
    if not isinstance(body["tags"], list):
        raise ValidationError(f"Invalid input for field/attribute tags. Value: "
                              f"{body['tags']!r}. {body['tags']!r} is not of type 'array'")
    return reply({"tags": await call(d.s.servers.replace_tags, ctx, sid, body["tags"])})


async def tag(request: Request) -> Response:
    require_version(request)
    d, ctx = await caller(request)
    sid, name = request.path_params["server_id"], request.path_params["tag"]
    if request.method == "GET":
        await call(d.s.servers.has_tag, ctx, sid, name)
        return empty(204)
    if request.method == "DELETE":
        await call(d.s.servers.delete_tag, ctx, sid, name)
        return empty(204)
    # Nova's schema for adding one tag: no body at all (or null).
    if await _body(request) is not None:
        raise ValidationError("Invalid input for field/attribute tag: the request takes "
                              "no body.")
    if not await call(d.s.servers.add_tag, ctx, sid, name):
        return empty(204)
    location = f"{d.api_url(request)}/servers/{sid}/tags/{quote(name, safe='')}"
    return empty(201, headers={"Location": location})


ROUTES: list[Route] = [
    Route("/servers/{server_id}/tags", tags, methods=["GET", "PUT", "DELETE"]),
    Route("/servers/{server_id}/tags/{tag}", tag, methods=["GET", "PUT", "DELETE"]),
]
