"""/os-quota-class-sets/{name}: the default quotas, stored and editable by administrators.

Projects without their own quota (os-quota-sets) follow the `default` class."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, member
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute import quota_versions
from nuage.api.openstack.compute.deps import caller
from nuage.domain.errors import ValidationError


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    name = request.path_params["name"]
    values = await call(d.s.quotas.show_class, ctx, name)
    return reply({"quota_class_set": {"id": name, **quota_versions.quotas(
        values, d.version(request), quota_class=True)}})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    body = dict(member(await json_object(request), "quota_class_set"))
    version = d.version(request)
    # Server group keys are taken at every version (only shown from 2.50).
    refused = sorted(set(body) & quota_versions.hidden_quotas(version, quota_class=True)
                     - set(quota_versions.GROUP_QUOTAS))
    if refused:
        raise ValidationError(f"Additional properties are not allowed ({refused} were "
                              "unexpected)")
    values = await call(d.s.quotas.update_class, ctx, request.path_params["name"], body)
    # Nova's update answer has no "id".
    return reply({"quota_class_set": quota_versions.quotas(values, version,
                                                           quota_class=True)})


ROUTES: list[Route] = [
    Route("/os-quota-class-sets/{name}", show, methods=["GET"]),
    Route("/os-quota-class-sets/{name}", update, methods=["PUT"]),
]
