"""/v2.0/rbac-policies: create, list, show, update (the target only), delete."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.network import render
from nuage.api.openstack.network.deps import caller
from nuage.api.openstack.network.requests import (
    create_bodies,
    fields,
    invalid,
    list_query,
    project_of,
    resource_body,
)
from nuage.domain.errors import ValidationError
from nuage.services.network.rbac import NewRbacPolicy

REQUIRED = ("object_type", "object_id", "action", "target_tenant")


def _command(v: dict[str, Any]) -> NewRbacPolicy:
    for required in REQUIRED:
        if v.get(required) is None:
            raise ValidationError(f"Failed to parse request. Required attribute '{required}' "
                                  "not specified")
    try:
        uuid.UUID(v["object_id"])
    except ValueError:
        raise invalid("object_id", f"'{v['object_id']}' is not a valid UUID") from None
    # Neutron's convert_valid_object_type: the type is matched without case or spaces.
    return NewRbacPolicy(object_type=v["object_type"].strip().lower(),
                         object_id=v["object_id"], action=v["action"],
                         target_tenant=v["target_tenant"], project_id=project_of(v))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "rbac_policy", "rbac_policies")
    made = await call(d.s.rbac_policies.create_many, ctx, [_command(v) for v in items])
    return render.created("rbac_policy", "rbac_policies", made, bulk,
                          lambda i: render.rbac_policy(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.rbac_policies.list_policies, ctx,
                      list_query(request, "rbac_policy", ctx))
    wanted = fields(request)
    return render.listed(request, "rbac_policies", f"{d.v2}/rbac-policies", page,
                         lambda i: render.rbac_policy(i, ctx, wanted), lambda i: i.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.rbac_policies.get, ctx, request.path_params["policy_id"])
    return reply({"rbac_policy": render.rbac_policy(found, ctx, fields(request))})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await resource_body(request, "rbac_policy", post=False)
    if v.get("target_tenant") is None:
        raise ValidationError("Failed to parse request. Required attribute 'target_tenant' "
                              "not specified")
    updated = await call(d.s.rbac_policies.update, ctx, request.path_params["policy_id"],
                         v["target_tenant"])
    return reply({"rbac_policy": render.rbac_policy(updated, ctx)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.rbac_policies.delete, ctx, request.path_params["policy_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/rbac-policies", listing, methods=["GET"]),
    Route("/v2.0/rbac-policies", create, methods=["POST"]),
    Route("/v2.0/rbac-policies/{policy_id}", show, methods=["GET"]),
    Route("/v2.0/rbac-policies/{policy_id}", update, methods=["PUT"]),
    Route("/v2.0/rbac-policies/{policy_id}", delete, methods=["DELETE"]),
]
