"""/v3/domains and /v3/projects (with tags)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import (
    boolean,
    extra,
    json_object,
    member,
    name,
    string,
    string_list,
)
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.identity.deps import caller
from nuage.api.openstack.identity.requests import (
    DOMAIN_KEYS,
    domain_changes,
    filters,
    paging,
    project_changes,
    tag_filters,
)
from nuage.domain.errors import ValidationError
from nuage.services.identity.base import page


# -- domains ---------------------------------------------------------------------------
async def create_domain(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "domain")
    domain = await call(
        d.s.domains.create, ctx, name(body, max_len=64),
        description=string(body, "description", nullable=True, max_len=65535) or "",
        enabled=bool(boolean(body, "enabled", True)), tags=string_list(body, "tags"),
        extra=extra(body, DOMAIN_KEYS),
        domain_id=string(body, "explicit_domain_id") or string(body, "id"))
    return reply({"domain": r.domain(domain)}, status=201)


async def list_domains(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    f = filters(request, booleans=("enabled",))
    found = await call(d.s.domains.find, ctx, request.query_params.get("name"),
                       f.get("enabled"))
    return reply(r.collection("domains", [r.domain(x) for x in found], "domains"))


async def get_domain(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    domain = await call(d.s.domains.get, ctx, request.path_params["domain_id"])
    return reply({"domain": r.domain(domain)})


async def update_domain(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "domain")
    domain = await call(d.s.domains.update, ctx, request.path_params["domain_id"],
                        domain_changes(body))
    return reply({"domain": r.domain(domain)})


async def delete_domain(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.domains.delete, ctx, request.path_params["domain_id"])
    return empty()


# -- projects --------------------------------------------------------------------------
async def create_project(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "project")
    if body.get("is_domain") is True:
        raise ValidationError("Projects acting as domains are not supported; create a "
                              "domain instead.")
    changes = project_changes(body, creating=True)
    domain_id = string(body, "domain_id", nullable=True)
    parent_id = string(body, "parent_id", nullable=True)
    if parent_id and parent_id == domain_id:
        parent_id = None
    project = await call(
        d.s.projects.create, ctx, name(body, max_len=64), domain_id, parent_id=parent_id,
        description=changes.get("description", ""),
        enabled=changes.get("enabled", True) is not False, tags=changes.get("tags"),
        options=changes.get("options"), extra=changes.get("extra"))
    return reply({"project": r.project(project)}, status=201)


async def list_projects(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    f = filters(request, "name", "domain_id", "parent_id", booleans=("enabled",))
    if request.query_params.get("is_domain", "").lower() == "true":
        return reply(r.collection("projects", [], "projects"))
    q = request.query_params
    found = await call(d.s.projects.find, ctx, f, *tag_filters(request))
    if f.get("parent_id") is None and "parent_id" in q:
        found = [p for p in found if p.parent_id is None]
    marker, limit = paging(request)
    items, more = page(found, marker, limit)
    return reply(r.collection("projects", [r.project(p) for p in items], "projects",
                              items[-1].id if more and items else None, limit))


async def get_project(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    project = await call(d.s.projects.get, ctx, request.path_params["project_id"])
    return reply({"project": r.project(project)})


async def update_project(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "project")
    project = await call(d.s.projects.update, ctx, request.path_params["project_id"],
                         project_changes(body, creating=False))
    return reply({"project": r.project(project)})


async def delete_project(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.projects.delete, ctx, request.path_params["project_id"])
    return empty()


async def list_tags(request: Request) -> Response:
    d, ctx = await caller(request)
    tags = await call(d.s.projects.tags, ctx, request.path_params["project_id"])
    return reply({"tags": tags})


async def replace_tags(request: Request) -> Response:
    d, ctx = await caller(request)
    tags = string_list(await json_object(request), "tags")
    if tags is None:
        raise ValidationError("'tags' is a required property.")
    saved = await call(d.s.projects.set_tags, ctx, request.path_params["project_id"], tags)
    return reply({"tags": saved})


async def clear_tags(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.projects.set_tags, ctx, request.path_params["project_id"], [])
    return empty()


async def add_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    pid, tag = request.path_params["project_id"], request.path_params["tag"]
    await call(d.s.projects.add_tag, ctx, pid, tag)
    return empty(201, headers={"Location": r.links(f"projects/{pid}/tags/{tag}")["self"]})


async def check_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.projects.has_tag, ctx, request.path_params["project_id"],
               request.path_params["tag"])
    return empty()


async def remove_tag(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.projects.remove_tag, ctx, request.path_params["project_id"],
               request.path_params["tag"])
    return empty()


ROUTES: list[Route] = [
    Route("/v3/domains", create_domain, methods=["POST"]),
    Route("/v3/domains", list_domains, methods=["GET"]),
    Route("/v3/domains/{domain_id}", get_domain, methods=["GET"]),
    Route("/v3/domains/{domain_id}", update_domain, methods=["PATCH"]),
    Route("/v3/domains/{domain_id}", delete_domain, methods=["DELETE"]),
    Route("/v3/projects", create_project, methods=["POST"]),
    Route("/v3/projects", list_projects, methods=["GET"]),
    Route("/v3/projects/{project_id}", get_project, methods=["GET"]),
    Route("/v3/projects/{project_id}", update_project, methods=["PATCH"]),
    Route("/v3/projects/{project_id}", delete_project, methods=["DELETE"]),
    Route("/v3/projects/{project_id}/tags", list_tags, methods=["GET"]),
    Route("/v3/projects/{project_id}/tags", replace_tags, methods=["PUT"]),
    Route("/v3/projects/{project_id}/tags", clear_tags, methods=["DELETE"]),
    Route("/v3/projects/{project_id}/tags/{tag}", add_tag, methods=["PUT"]),
    Route("/v3/projects/{project_id}/tags/{tag}", check_tag, methods=["GET", "HEAD"]),
    Route("/v3/projects/{project_id}/tags/{tag}", remove_tag, methods=["DELETE"]),
]
