"""/v2.0/quotas: a project's network limits (show, update, reset, defaults, details) and the
projects with limits of their own."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.network.deps import caller
from nuage.api.openstack.network.requests import to_bool, to_int
from nuage.domain.errors import ValidationError


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    rows = await call(d.s.quotas.list_quotas, ctx)
    return reply({"quotas": [{**limits, "project_id": project, "tenant_id": project}
                             for project, limits in rows]})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    limits = await call(d.s.quotas.show, ctx, request.path_params["project_id"])
    return reply({"quota": limits})


async def defaults(request: Request) -> Response:
    d, ctx = await caller(request)
    limits = await call(d.s.quotas.default_of, ctx, request.path_params["project_id"])
    return reply({"quota": limits})


async def details(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.quotas.details, ctx, request.path_params["project_id"])
    return reply({"quota": found})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    given = body.get("quota")
    if set(body) != {"quota"} or not isinstance(given, dict):
        raise ValidationError("Resource body required with key 'quota'.")
    # quota-check-limit: the CLI always sends it (false unless --check-limit).
    check_limit = to_bool("check_limit", given.pop("check_limit", False))
    # Neutron takes "10" as well as 10; what is not a number is worded by the service.
    limits = {k: (to_int(k, v) if isinstance(v, str) else v) for k, v in given.items()}
    found = await call(d.s.quotas.update, ctx, request.path_params["project_id"], limits,
                       check_limit)
    return reply({"quota": found})


async def reset(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.quotas.reset, ctx, request.path_params["project_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/quotas", listing, methods=["GET"]),
    Route("/v2.0/quotas/{project_id}", show, methods=["GET"]),
    Route("/v2.0/quotas/{project_id}", update, methods=["PUT"]),
    Route("/v2.0/quotas/{project_id}", reset, methods=["DELETE"]),
    Route("/v2.0/quotas/{project_id}/default", defaults, methods=["GET"]),
    Route("/v2.0/quotas/{project_id}/details", details, methods=["GET"]),
]
