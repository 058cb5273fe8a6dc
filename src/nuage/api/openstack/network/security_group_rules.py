"""/v2.0/security-group-rules: create (one or in bulk), list, show, delete."""

from __future__ import annotations

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
    list_query,
    project_of,
)
from nuage.domain.errors import ValidationError
from nuage.domain.network_security import RuleSpec
from nuage.services.network.security_group_rules import NewSecurityGroupRule


def _command(v: dict[str, Any]) -> NewSecurityGroupRule:
    for required in ("security_group_id", "direction"):
        if required not in v:
            raise ValidationError(f"Failed to parse request. Required attribute '{required}' "
                                  "not specified")
    if v.get("remote_address_group_id") is not None:
        raise ValidationError("Unrecognized attribute(s) 'remote_address_group_id'")
    # The rule is its group's project's; a project named in the body changes nothing, but
    # it must still be well-formed (project_id and tenant_id agree).
    project_of(v)
    return NewSecurityGroupRule(v["security_group_id"], RuleSpec(
        direction=v["direction"], ethertype=v.get("ethertype", "IPv4"),
        protocol=v.get("protocol"), port_range_min=v.get("port_range_min"),
        port_range_max=v.get("port_range_max"), remote_ip_prefix=v.get("remote_ip_prefix"),
        remote_group_id=v.get("remote_group_id"), description=v.get("description", "")))


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    items, bulk = await create_bodies(request, "security_group_rule")
    made = await call(d.s.security_group_rules.create_many, ctx, [_command(v) for v in items])
    return render.created("security_group_rule", "security_group_rules", made, bulk,
                          lambda i: render.security_group_rule(i, ctx))


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    page = await call(d.s.security_group_rules.list_rules, ctx,
                      list_query(request, "security_group_rule", ctx))
    wanted = fields(request)
    return render.listed(request, "security_group_rules", f"{d.v2}/security-group-rules", page,
                         lambda i: render.security_group_rule(i, ctx, wanted), lambda i: i.id)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    rule = await call(d.s.security_group_rules.get, ctx, request.path_params["rule_id"])
    return reply({"security_group_rule": render.security_group_rule(rule, ctx,
                                                                    fields(request))})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.security_group_rules.delete, ctx, request.path_params["rule_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/security-group-rules", listing, methods=["GET"]),
    Route("/v2.0/security-group-rules", create, methods=["POST"]),
    Route("/v2.0/security-group-rules/{rule_id}", show, methods=["GET"]),
    Route("/v2.0/security-group-rules/{rule_id}", delete, methods=["DELETE"]),
]
