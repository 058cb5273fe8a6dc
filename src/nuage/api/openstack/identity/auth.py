"""Version discovery and /v3/auth/*: issuing, checking and revoking tokens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.identity.deps import caller, deps
from nuage.api.openstack.identity.requests import parse_auth
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.identity.assignments import AssignmentFilter

VERSION_ID = "v3.14"
UPDATED = "2020-04-07T00:00:00Z"


def version_doc(url: str) -> dict[str, Any]:
    return {
        "id": VERSION_ID, "status": "stable", "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.identity-v3+json"}],
    }


async def versions(request: Request) -> Response:
    d = deps(request)
    return reply({"versions": {"values": [version_doc(d.url)]}}, status=300)


async def v3(request: Request) -> Response:
    d = deps(request)
    return reply({"version": version_doc(d.url)})


async def issue(request: Request) -> Response:
    d = deps(request)
    body = await json_object(request)
    req = parse_auth(body, request.headers.get("openstack-auth-receipt"))
    issued = await call(d.s.tokens.authenticate, d.anonymous(request), req)
    out = d.render.token(issued.info)
    if "nocatalog" in request.query_params:
        out.pop("catalog", None)
    return reply({"token": out}, status=201, headers={"X-Subject-Token": issued.token})


async def validate(request: Request) -> Response:
    d, ctx = await caller(request)
    subject = request.headers.get("x-subject-token")
    if not subject:
        raise ValidationError("X-Subject-Token header is required.")
    nocatalog = "nocatalog" in request.query_params
    info = d.s.tokens.cached(subject, with_catalog=not nocatalog)
    if info is not None:
        d.s.tokens.check_may_validate(ctx, info)
    else:
        info = await call(d.s.tokens.validate_subject, ctx, subject,
                          with_catalog=not nocatalog)
    if request.method == "HEAD":
        return empty(200, headers={"X-Subject-Token": subject})
    return Response(d.token_bodies.body(subject, nocatalog, info),
                    media_type="application/json", headers={"X-Subject-Token": subject})


async def revoke(request: Request) -> Response:
    d, ctx = await caller(request)
    subject = request.headers.get("x-subject-token")
    if not subject:
        raise ValidationError("X-Subject-Token header is required.")
    await call(d.s.tokens.revoke, ctx, subject)
    return empty()


async def auth_catalog(request: Request) -> Response:
    d, ctx = await caller(request)
    if ctx.project_id is None and ctx.domain_id is None and not ctx.system:
        raise NotFound("catalog", "for an unscoped token")
    entries = await call(d.s.tokens.catalog, ctx)
    catalog = [{"id": e.id, "type": e.type, "name": e.name, "endpoints": [
        {"id": ep.id, "interface": ep.interface, "region": ep.region_id,
         "region_id": ep.region_id, "url": ep.url} for ep in e.endpoints]} for e in entries]
    return reply({"catalog": catalog, "links": d.render.links("auth/catalog")})


async def auth_projects(request: Request) -> Response:
    d, ctx = await caller(request)
    assert ctx.user_id is not None
    projects = await call(d.s.projects.list_for_user, ctx, ctx.user_id)
    return reply(d.render.collection(
        "projects", [d.render.project(p) for p in projects if p.enabled], "auth/projects"))


async def auth_domains(request: Request) -> Response:
    d, ctx = await caller(request)
    assert ctx.user_id is not None
    domains = await call(d.s.domains.list_for_user, ctx, ctx.user_id)
    return reply(d.render.collection("domains", [d.render.domain(x) for x in domains],
                                     "auth/domains"))


async def auth_system(request: Request) -> Response:
    d, ctx = await caller(request)
    assert ctx.user_id is not None
    views = await call(d.s.assignments.list_assignments, ctx,
                       AssignmentFilter(user_id=ctx.user_id, system=True, effective=True))
    system = [{"all": True}] if views else []
    return reply({"system": system, "links": d.render.links("auth/system")})


ROUTES: list[Route] = [
    Route("/", versions, methods=["GET"]),
    Route("/v3", v3, methods=["GET"]),
    Route("/v3/", v3, methods=["GET"]),
    Route("/v3/auth/tokens", issue, methods=["POST"]),
    Route("/v3/auth/tokens", validate, methods=["GET", "HEAD"]),
    Route("/v3/auth/tokens", revoke, methods=["DELETE"]),
    Route("/v3/auth/catalog", auth_catalog, methods=["GET"]),
    Route("/v3/auth/projects", auth_projects, methods=["GET"]),
    Route("/v3/auth/domains", auth_domains, methods=["GET"]),
    Route("/v3/auth/system", auth_system, methods=["GET"]),
]
