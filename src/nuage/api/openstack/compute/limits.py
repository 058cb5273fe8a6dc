"""/limits and /os-quota-sets."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, member, query_bool
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute import quota_versions
from nuage.api.openstack.compute.deps import caller
from nuage.domain.errors import ValidationError


async def limits(request: Request) -> Response:
    d, ctx = await caller(request)
    absolute = await call(d.s.quotas.absolute_limits, ctx, request.query_params.get("tenant_id"))
    return reply({"limits": {"rate": [], "absolute": quota_versions.limits(
        absolute, d.version(request))}})


def _quota_set(request: Request, version: tuple[int, int], values: dict[str, Any]) -> Response:
    return reply({"quota_set": {"id": request.path_params["project_id"],
                                **quota_versions.quotas(values, version)}})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    values = await call(d.s.quotas.show, ctx, request.path_params["project_id"])
    return _quota_set(request, d.version(request), values)


async def detail(request: Request) -> Response:
    d, ctx = await caller(request)
    values = await call(d.s.quotas.detail, ctx, request.path_params["project_id"])
    return _quota_set(request, d.version(request), values)


async def defaults(request: Request) -> Response:
    d, ctx = await caller(request)
    return _quota_set(request, d.version(request), await call(d.s.quotas.defaults, ctx))


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    body = dict(member(await json_object(request), "quota_set"))
    force = body.pop("force", False)
    if isinstance(force, str):
        force = query_bool(force)
    if not isinstance(force, bool):
        raise ValidationError("Invalid input for field 'force': a boolean is expected.")
    version = d.version(request)
    refused = sorted(set(body) & quota_versions.hidden_quotas(version))
    if refused:
        raise ValidationError(f"Additional properties are not allowed ({refused} were "
                              "unexpected)")
    values = await call(d.s.quotas.update, ctx, request.path_params["project_id"], body, force)
    return reply({"quota_set": quota_versions.quotas(values, version)})


async def reset(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.quotas.reset, ctx, request.path_params["project_id"])
    return empty(202)


ROUTES: list[Route] = [
    Route("/limits", limits, methods=["GET"]),
    Route("/os-quota-sets/{project_id}/defaults", defaults, methods=["GET"]),
    Route("/os-quota-sets/{project_id}/detail", detail, methods=["GET"]),
    Route("/os-quota-sets/{project_id}", show, methods=["GET"]),
    Route("/os-quota-sets/{project_id}", update, methods=["PUT"]),
    Route("/os-quota-sets/{project_id}", reset, methods=["DELETE"]),
]
