"""Version discovery and /v3/auth/*: issuing, checking and revoking tokens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, member, string
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.identity.deps import deps
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.identity.assignments import AssignmentFilter
from nuage.services.identity.tokens import (
    AppCredRef,
    AuthRequest,
    ScopeRequest,
    UserRef,
)

VERSION_ID = "v3.14"
UPDATED = "2020-04-07T00:00:00Z"


def version_doc(url: str) -> dict[str, Any]:
    return {
        "id": VERSION_ID, "status": "stable", "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.identity-v3+json"}],
    }


def _user_ref(d: dict[str, Any]) -> UserRef:
    user = member(d, "user", "the method")
    domain = user.get("domain")
    if domain is not None and not isinstance(domain, dict):
        raise ValidationError("Invalid input for field 'domain': an object is expected.")
    return UserRef(id=string(user, "id"), name=string(user, "name"), domain=domain)


def parse_auth(body: dict[str, Any], receipt: str | None) -> AuthRequest:
    auth = member(body, "auth")
    identity = member(auth, "identity", "auth")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise ValidationError("Expecting to find methods in identity.")
    password = token = app_cred = totp = None
    if "password" in methods:
        pw = member(identity, "password", "identity")
        secret = string(_strict(pw, "user"), "password", required=True, max_len=4096)
        password = (_user_ref(pw), secret or "")
    if "token" in methods:
        token = string(member(identity, "token", "identity"), "id", required=True, max_len=8192)
    if "application_credential" in methods:
        ac = member(identity, "application_credential", "identity")
        user = ac.get("user")
        app_cred = AppCredRef(
            secret=string(ac, "secret", required=True, max_len=4096) or "",
            id=string(ac, "id"), name=string(ac, "name"),
            user=_user_ref(ac) if isinstance(user, dict) else None)
    if "totp" in methods:
        tp = member(identity, "totp", "identity")
        code = string(_strict(tp, "user"), "passcode", required=True, max_len=16)
        totp = (_user_ref(tp), code or "")
    return AuthRequest(methods=tuple(methods), password=password, token=token,
                       app_cred=app_cred, totp=totp, scope=_scope(auth.get("scope")),
                       receipt=receipt)


def _strict(d: dict[str, Any], key: str) -> dict[str, Any]:
    return member(d, key, "the method")


def _scope(scope: Any) -> ScopeRequest | None:
    if scope is None:
        return None
    if scope == "unscoped":
        return ScopeRequest(unscoped=True)
    if not isinstance(scope, dict):
        raise ValidationError("Invalid scope: an object is expected.")
    if "system" in scope:
        system = scope["system"]
        if not isinstance(system, dict) or system.get("all") is not True:
            raise ValidationError("A system scope must be {\"all\": true}.")
        return ScopeRequest(system=True)
    if "project" in scope:
        project = member(scope, "project", "scope")
        domain = project.get("domain")
        return ScopeRequest(project_id=string(project, "id"), project_name=string(project, "name"),
                            project_domain=domain if isinstance(domain, dict) else None)
    if "domain" in scope:
        domain = member(scope, "domain", "scope")
        return ScopeRequest(domain_id=string(domain, "id"), domain_name=string(domain, "name"))
    if "OS-TRUST:trust" in scope:
        raise ValidationError("Trusts are not supported.")
    raise ValidationError("The scope names no project, domain or system.")


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
    d = deps(request)
    ctx = await d.ctx(request)
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
    d = deps(request)
    ctx = await d.ctx(request)
    subject = request.headers.get("x-subject-token")
    if not subject:
        raise ValidationError("X-Subject-Token header is required.")
    await call(d.s.tokens.revoke, ctx, subject)
    return empty()


async def auth_catalog(request: Request) -> Response:
    d = deps(request)
    ctx = await d.ctx(request)
    if ctx.project_id is None and ctx.domain_id is None and not ctx.system:
        raise NotFound("catalog", "for an unscoped token")
    entries = await call(d.s.tokens.catalog, ctx)
    catalog = [{"id": e.id, "type": e.type, "name": e.name, "endpoints": [
        {"id": ep.id, "interface": ep.interface, "region": ep.region_id,
         "region_id": ep.region_id, "url": ep.url} for ep in e.endpoints]} for e in entries]
    return reply({"catalog": catalog, "links": d.render.links("auth/catalog")})


async def auth_projects(request: Request) -> Response:
    d = deps(request)
    ctx = await d.ctx(request)
    assert ctx.user_id is not None
    projects = await call(d.s.projects.list_for_user, ctx, ctx.user_id)
    return reply(d.render.collection(
        "projects", [d.render.project(p) for p in projects if p.enabled], "auth/projects"))


async def auth_domains(request: Request) -> Response:
    d = deps(request)
    ctx = await d.ctx(request)
    assert ctx.user_id is not None
    domains = await call(d.s.domains.list_for_user, ctx, ctx.user_id)
    return reply(d.render.collection("domains", [d.render.domain(x) for x in domains],
                                     "auth/domains"))


async def auth_system(request: Request) -> Response:
    d = deps(request)
    ctx = await d.ctx(request)
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
