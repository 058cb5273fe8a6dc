"""/v3/roles, implied roles, grants on projects/domains/system, /v3/role_assignments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import extra, json_object, member, name, obj, string
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.identity.deps import caller, deps
from nuage.api.openstack.identity.render import Renderer
from nuage.api.openstack.identity.requests import ROLE_KEYS, assignment_filter, role_changes
from nuage.domain.identity import SYSTEM_ALL, ActorType, Role, TargetType
from nuage.services.identity.assignments import Grant


async def create_role(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "role")
    role = await call(d.s.roles.create, ctx, name(body),
                      domain_id=string(body, "domain_id", nullable=True),
                      description=string(body, "description", nullable=True,
                                         max_len=65535) or "",
                      options=obj(body, "options"), extra=extra(body, ROLE_KEYS))
    return reply({"role": r.role(role)}, status=201)


async def list_roles(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    roles = await call(d.s.roles.find, ctx, request.query_params.get("name"),
                       request.query_params.get("domain_id"))
    return reply(r.collection("roles", [r.role(x) for x in roles], "roles"))


async def get_role(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    role = await call(d.s.roles.get, ctx, request.path_params["role_id"])
    return reply({"role": r.role(role)})


async def update_role(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "role")
    role = await call(d.s.roles.update, ctx, request.path_params["role_id"],
                      role_changes(body))
    return reply({"role": r.role(role)})


async def delete_role(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.roles.delete, ctx, request.path_params["role_id"])
    return empty()


def inference(r: Renderer, prior: Role, implied: list[Role]) -> dict[str, Any]:
    return {"prior_role": r.role_ref(prior), "implies": [r.role_ref(x) for x in implied]}


async def imply(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    prior, implied = await call(d.s.roles.imply, ctx, request.path_params["prior"],
                                request.path_params["implied"])
    return reply({"role_inference": {"prior_role": r.role_ref(prior),
                                     "implies": r.role_ref(implied)}}, status=201)


async def check_implied(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    prior, implied = await call(d.s.roles.check_implied, ctx, request.path_params["prior"],
                                request.path_params["implied"])
    if request.method == "HEAD":
        return empty()
    return reply({"role_inference": {"prior_role": r.role_ref(prior),
                                     "implies": r.role_ref(implied)}})


async def unimply(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.roles.unimply, ctx, request.path_params["prior"],
               request.path_params["implied"])
    return empty()


async def list_implied(request: Request) -> Response:
    d, ctx = await caller(request)
    prior, implied = await call(d.s.roles.implied, ctx, request.path_params["prior"])
    return reply({"role_inference": inference(d.render, prior, implied)})


async def inferences(request: Request) -> Response:
    d, ctx = await caller(request)
    rows = await call(d.s.roles.inferences, ctx)
    return reply({"role_inferences": [inference(d.render, p, i) for p, i in rows]})


# -- grants ----------------------------------------------------------------------------
@dataclass(frozen=True)
class GrantKind:
    """One family of grant routes (who is granted, on what, inherited or not); its bound
    methods are the handlers, so forty routes share four typed functions."""

    actor: ActorType
    target: TargetType
    inherited: bool = False

    def grant_of(self, request: Request) -> Grant:
        p = request.path_params
        target_id = SYSTEM_ALL if self.target is TargetType.SYSTEM else p["target_id"]
        return Grant(self.actor, p["actor_id"], self.target, target_id, p.get("role_id", ""),
                     self.inherited)

    async def put(self, request: Request) -> Response:
        d = deps(request)
        await call(d.s.assignments.grant, await d.ctx(request), self.grant_of(request))
        return empty()

    async def check(self, request: Request) -> Response:
        d = deps(request)
        await call(d.s.assignments.check, await d.ctx(request), self.grant_of(request))
        return empty()

    async def delete(self, request: Request) -> Response:
        d = deps(request)
        await call(d.s.assignments.revoke, await d.ctx(request), self.grant_of(request))
        return empty()

    async def listing(self, request: Request) -> Response:
        d = deps(request)
        r = d.render
        g = self.grant_of(request)
        roles = await call(d.s.assignments.list_grants, await d.ctx(request), self.actor,
                           g.actor_id, self.target, g.target_id, self.inherited)
        return reply(r.collection("roles", [r.role(x) for x in roles],
                                  request.url.path.split("/v3/", 1)[-1]))


def _grant_routes() -> list[Route]:
    routes: list[Route] = []
    prefixes = [
        (TargetType.PROJECT, "/v3/projects/{target_id}", False),
        (TargetType.DOMAIN, "/v3/domains/{target_id}", False),
        (TargetType.SYSTEM, "/v3/system", False),
        (TargetType.DOMAIN, "/v3/OS-INHERIT/domains/{target_id}", True),
        (TargetType.PROJECT, "/v3/OS-INHERIT/projects/{target_id}", True),
    ]
    for target, prefix, inherited in prefixes:
        for actor, segment in ((ActorType.USER, "users"), (ActorType.GROUP, "groups")):
            kind = GrantKind(actor, target, inherited)
            suffix = "/inherited_to_projects" if inherited else ""
            base = f"{prefix}/{segment}/{{actor_id}}/roles"
            routes += [
                Route(f"{base}{suffix}", kind.listing, methods=["GET"]),
                Route(f"{base}/{{role_id}}{suffix}", kind.put, methods=["PUT"]),
                Route(f"{base}/{{role_id}}{suffix}", kind.check, methods=["GET", "HEAD"]),
                Route(f"{base}/{{role_id}}{suffix}", kind.delete, methods=["DELETE"]),
            ]
    return routes


GRANT_ROUTES = _grant_routes()


async def role_assignments(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    q = request.query_params
    views = await call(d.s.assignments.list_assignments, ctx, assignment_filter(request))
    names = None
    if q.get("include_names", "").lower() in ("true", "1", "") and "include_names" in q:
        names = await call(d.s.assignments.names, views)
    return reply({"role_assignments": [r.assignment(v, names) for v in views],
                  "links": {"self": str(request.url), "previous": None, "next": None}})


ROUTES: list[Route] = [
    Route("/v3/roles", create_role, methods=["POST"]),
    Route("/v3/roles", list_roles, methods=["GET"]),
    Route("/v3/roles/{role_id}", get_role, methods=["GET"]),
    Route("/v3/roles/{role_id}", update_role, methods=["PATCH"]),
    Route("/v3/roles/{role_id}", delete_role, methods=["DELETE"]),
    Route("/v3/roles/{prior}/implies", list_implied, methods=["GET"]),
    Route("/v3/roles/{prior}/implies/{implied}", imply, methods=["PUT"]),
    Route("/v3/roles/{prior}/implies/{implied}", check_implied, methods=["GET", "HEAD"]),
    Route("/v3/roles/{prior}/implies/{implied}", unimply, methods=["DELETE"]),
    Route("/v3/role_inferences", inferences, methods=["GET"]),
    Route("/v3/role_assignments", role_assignments, methods=["GET"]),
    *GRANT_ROUTES,
]
