"""/os-aggregates: host aggregates and the availability zones they define (administrators
only). Bodies are checked as Nova's schemas do, before the policy and the look-up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, member
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import caller
from nuage.domain.compute import Aggregate, aggregate_uuid
from nuage.domain.errors import ValidationError
from nuage.services.compute.aggregates import KEEP


def _time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def view(a: Aggregate, full: bool = True, version: tuple[int, int] = (2, 1)
         ) -> dict[str, Any]:
    """Nova's aggregate; 2.41 adds its `uuid`. A create answers without hosts and
    metadata."""
    body: dict[str, Any] = {
        "id": a.id, "name": a.name, "availability_zone": a.availability_zone,
        "created_at": _time(a.created_at), "updated_at": _time(a.updated_at),
        "deleted": False, "deleted_at": None}
    if version >= (2, 41):
        body["uuid"] = aggregate_uuid(int(a.id or 0), a.created_at)
    if full:
        body["hosts"] = list(a.hosts)
        body["metadata"] = dict(a.metadata)
    return body


def _only(d: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = set(d) - allowed
    if extra:
        raise ValidationError(f"Invalid input for field/attribute {where}: additional "
                              f"properties are not allowed ({', '.join(sorted(extra))}).")


async def index(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.aggregates.list, ctx)
    return reply({"aggregates": [view(a, version=d.version(request)) for a in found]})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.aggregates.get, ctx, request.path_params["aggregate_id"])
    return reply({"aggregate": view(found, version=d.version(request))})


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    body = member(await json_object(request), "aggregate")
    _only(body, {"name", "availability_zone"}, "aggregate")
    if "name" not in body:
        raise ValidationError("'name' is a required property.")
    found = await call(d.s.aggregates.create, ctx, body["name"], body.get("availability_zone"))
    return reply({"aggregate": view(found, full=False, version=d.version(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    body = member(await json_object(request), "aggregate")
    _only(body, {"name", "availability_zone"}, "aggregate")
    found = await call(d.s.aggregates.update, ctx, request.path_params["aggregate_id"],
                       body.get("name", KEEP), body.get("availability_zone", KEEP))
    return reply({"aggregate": view(found, version=d.version(request))})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.aggregates.delete, ctx, request.path_params["aggregate_id"])
    # Nova answers 200 with no body.
    return Response(status_code=200)


async def action(request: Request) -> Response:
    d, ctx = await caller(request)
    aid = request.path_params["aggregate_id"]
    body = await json_object(request)
    if len(body) != 1:
        raise ValidationError("Exactly one action is expected in the request body.")
    (name, arg), = body.items()
    if not isinstance(arg, dict):
        raise ValidationError(f"Invalid input for field/attribute {name}.")
    if name in ("add_host", "remove_host"):
        _only(arg, {"host"}, name)
        if "host" not in arg:
            raise ValidationError("'host' is a required property.")
        verb = d.s.aggregates.add_host if name == "add_host" else d.s.aggregates.remove_host
        found = await call(verb, ctx, aid, arg["host"])
    elif name == "set_metadata":
        _only(arg, {"metadata"}, name)
        metadata = arg.get("metadata")
        if not isinstance(metadata, dict):
            raise ValidationError("Invalid input for field/attribute metadata: an object "
                                  "is required.")
        found = await call(d.s.aggregates.set_metadata, ctx, aid, metadata)
    else:
        raise ValidationError(f"There is no such action: {name}")
    return reply({"aggregate": view(found, version=d.version(request))})


ROUTES: list[Route] = [
    Route("/os-aggregates", index, methods=["GET"]),
    Route("/os-aggregates", create, methods=["POST"]),
    Route("/os-aggregates/{aggregate_id}", show, methods=["GET"]),
    Route("/os-aggregates/{aggregate_id}", update, methods=["PUT"]),
    Route("/os-aggregates/{aggregate_id}", delete, methods=["DELETE"]),
    Route("/os-aggregates/{aggregate_id}/action", action, methods=["POST"]),
]
