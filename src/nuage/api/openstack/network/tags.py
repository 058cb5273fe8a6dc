"""Tags of networks, subnets, ports, security groups, routers, floating IPs and subnet
pools (standard-attr-tag):
/v2.0/<collection>/<id>/tags.

Each change goes through the resource's update use case (the same policy row, revision
number and audit event as a PUT of the resource)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.network.deps import Deps, caller
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError

MAX_TAG = 255


async def _current(d: Deps, ctx: RequestContext, collection: str, ident: str) -> list[str]:
    if collection == "networks":
        return list((await call(d.s.networks.get, ctx, ident)).network.tags)
    if collection == "subnets":
        return list((await call(d.s.subnets.get, ctx, ident)).tags)
    if collection == "security-groups":
        return list((await call(d.s.security_groups.get, ctx, ident)).group.tags)
    if collection == "routers":
        return list((await call(d.s.routers.get, ctx, ident)).tags)
    if collection == "floatingips":
        return list((await call(d.s.floatingips.get, ctx, ident)).tags)
    if collection == "subnetpools":
        return list((await call(d.s.subnetpools.get, ctx, ident)).tags)
    return list((await call(d.s.ports.get, ctx, ident)).tags)


async def _store(d: Deps, ctx: RequestContext, collection: str, ident: str,
                 tags: list[str]) -> None:
    changes: dict[str, Any] = {"tags": tags}
    if collection == "networks":
        await call(d.s.networks.update, ctx, ident, changes)
    elif collection == "subnets":
        await call(d.s.subnets.update, ctx, ident, changes)
    elif collection == "security-groups":
        await call(d.s.security_groups.update, ctx, ident, changes)
    elif collection == "routers":
        await call(d.s.routers.update, ctx, ident, changes)
    elif collection == "floatingips":
        await call(d.s.floatingips.update, ctx, ident, changes)
    elif collection == "subnetpools":
        await call(d.s.subnetpools.update, ctx, ident, changes)
    else:
        await call(d.s.ports.update, ctx, ident, changes)


def _where(request: Request) -> tuple[str, str]:
    collection = request.url.path.split("/v2.0/", 1)[1].split("/", 1)[0]
    return collection, request.path_params["ident"]


def _checked(tag: str) -> str:
    if not tag or len(tag) > MAX_TAG or "," in tag or "/" in tag:
        raise ValidationError(f"Invalid input for tags. Reason: '{tag}' is not a valid tag.")
    return tag


async def list_tags(request: Request) -> Response:
    d, ctx = await caller(request)
    collection, ident = _where(request)
    return reply({"tags": await _current(d, ctx, collection, ident)})


async def replace_tags(request: Request) -> Response:
    d, ctx = await caller(request)
    collection, ident = _where(request)
    body = await json_object(request)
    tags = body.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationError("Invalid input for tags. Reason: a list of strings is expected.")
    unique = list(dict.fromkeys(_checked(t) for t in tags))
    await _store(d, ctx, collection, ident, unique)
    return reply({"tags": unique})


async def clear_tags(request: Request) -> Response:
    d, ctx = await caller(request)
    collection, ident = _where(request)
    await _current(d, ctx, collection, ident)
    await _store(d, ctx, collection, ident, [])
    return empty()


async def check_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    collection, ident = _where(request)
    tag = request.path_params["tag"]
    if tag not in await _current(d, ctx, collection, ident):
        raise NotFound("tag", tag)
    return empty()


async def add_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    collection, ident = _where(request)
    tag = _checked(request.path_params["tag"])
    tags = await _current(d, ctx, collection, ident)
    if tag not in tags:
        await _store(d, ctx, collection, ident, [*tags, tag])
    return empty(201)


async def remove_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    collection, ident = _where(request)
    tag = request.path_params["tag"]
    tags = await _current(d, ctx, collection, ident)
    if tag not in tags:
        raise NotFound("tag", tag)
    await _store(d, ctx, collection, ident, [t for t in tags if t != tag])
    return empty()


ROUTES: list[Route] = [
    route
    for collection in ("networks", "subnets", "ports", "security-groups", "routers",
                       "floatingips", "subnetpools")
    for route in (
        Route(f"/v2.0/{collection}/{{ident}}/tags", list_tags, methods=["GET"]),
        Route(f"/v2.0/{collection}/{{ident}}/tags", replace_tags, methods=["PUT"]),
        Route(f"/v2.0/{collection}/{{ident}}/tags", clear_tags, methods=["DELETE"]),
        Route(f"/v2.0/{collection}/{{ident}}/tags/{{tag}}", check_tag, methods=["GET"]),
        Route(f"/v2.0/{collection}/{{ident}}/tags/{{tag}}", add_tag, methods=["PUT"]),
        Route(f"/v2.0/{collection}/{{ident}}/tags/{{tag}}", remove_tag, methods=["DELETE"]),
    )
]
