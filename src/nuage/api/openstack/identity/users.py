"""/v3/users and /v3/groups."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import (
    extra,
    json_object,
    member,
    name,
    string,
)
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.identity.deps import caller, deps
from nuage.api.openstack.identity.requests import GROUP_KEYS, filters, paging, user_changes
from nuage.services.identity.base import page


async def create_user(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "user")
    c = user_changes(body)
    user = await call(
        d.s.users.create, ctx, name(body), string(body, "domain_id"),
        password=c.get("password"), enabled=c.get("enabled", True) is not False,
        default_project_id=c.get("default_project_id"), options=c.get("options"),
        extra=c.get("extra"))
    return reply({"user": r.user(user)}, status=201)


async def list_users(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    f = filters(request, "name", "domain_id", booleans=("enabled",))
    found = await call(d.s.users.find, ctx, f)
    marker, limit = paging(request)
    items, more = page(found, marker, limit)
    return reply(r.collection("users", [r.user(u) for u in items], "users",
                              items[-1].id if more and items else None, limit))


async def get_user(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    user = await call(d.s.users.get, ctx, request.path_params["user_id"])
    return reply({"user": r.user(user)})


async def update_user(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "user")
    user = await call(d.s.users.update, ctx, request.path_params["user_id"],
                      user_changes(body))
    return reply({"user": r.user(user)})


async def delete_user(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.users.delete, ctx, request.path_params["user_id"])
    return empty()


async def change_password(request: Request) -> Response:
    d = deps(request)
    body = member(await json_object(request), "user")
    original = string(body, "original_password", required=True, max_len=4096) or ""
    new = string(body, "password", required=True, min_len=1, max_len=4096) or ""
    token = request.headers.get("x-auth-token")
    ctx = await d.ctx(request) if token else d.anonymous(request)
    await call(d.s.users.change_password, ctx, request.path_params["user_id"], original, new)
    return empty()


async def user_projects(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    uid = request.path_params["user_id"]
    projects = await call(d.s.projects.list_for_user, ctx, uid)
    return reply(r.collection("projects", [r.project(p) for p in projects],
                              f"users/{uid}/projects"))


async def user_groups(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    uid = request.path_params["user_id"]
    groups = await call(d.s.groups.groups_of, ctx, uid)
    return reply(r.collection("groups", [r.group(g) for g in groups], f"users/{uid}/groups"))


# -- groups ----------------------------------------------------------------------------
async def create_group(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "group")
    group = await call(
        d.s.groups.create, ctx, name(body), string(body, "domain_id"),
        description=string(body, "description", nullable=True, max_len=65535) or "",
        extra=extra(body, GROUP_KEYS))
    return reply({"group": r.group(group)}, status=201)


async def list_groups(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    found = await call(d.s.groups.find, ctx, filters(request, "name", "domain_id"))
    return reply(r.collection("groups", [r.group(g) for g in found], "groups"))


async def get_group(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    group = await call(d.s.groups.get, ctx, request.path_params["group_id"])
    return reply({"group": r.group(group)})


async def update_group(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "group")
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = name(body)
    if "description" in body:
        changes["description"] = string(body, "description", nullable=True,
                                        max_len=65535) or ""
    if "domain_id" in body:
        changes["domain_id"] = body["domain_id"]
    group = await call(d.s.groups.update, ctx, request.path_params["group_id"], changes)
    return reply({"group": r.group(group)})


async def delete_group(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.groups.delete, ctx, request.path_params["group_id"])
    return empty()


async def group_users(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    gid = request.path_params["group_id"]
    users = await call(d.s.groups.members, ctx, gid)
    return reply(r.collection("users", [r.user(u) for u in users], f"groups/{gid}/users"))


async def add_member(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.groups.add_member, ctx, request.path_params["group_id"],
               request.path_params["user_id"])
    return empty()


async def check_member(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.groups.check_member, ctx, request.path_params["group_id"],
               request.path_params["user_id"])
    return empty()


async def remove_member(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.groups.remove_member, ctx, request.path_params["group_id"],
               request.path_params["user_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v3/users", create_user, methods=["POST"]),
    Route("/v3/users", list_users, methods=["GET"]),
    Route("/v3/users/{user_id}", get_user, methods=["GET"]),
    Route("/v3/users/{user_id}", update_user, methods=["PATCH"]),
    Route("/v3/users/{user_id}", delete_user, methods=["DELETE"]),
    Route("/v3/users/{user_id}/password", change_password, methods=["POST"]),
    Route("/v3/users/{user_id}/projects", user_projects, methods=["GET"]),
    Route("/v3/users/{user_id}/groups", user_groups, methods=["GET"]),
    Route("/v3/groups", create_group, methods=["POST"]),
    Route("/v3/groups", list_groups, methods=["GET"]),
    Route("/v3/groups/{group_id}", get_group, methods=["GET"]),
    Route("/v3/groups/{group_id}", update_group, methods=["PATCH"]),
    Route("/v3/groups/{group_id}", delete_group, methods=["DELETE"]),
    Route("/v3/groups/{group_id}/users", group_users, methods=["GET"]),
    Route("/v3/groups/{group_id}/users/{user_id}", add_member, methods=["PUT"]),
    Route("/v3/groups/{group_id}/users/{user_id}", check_member, methods=["GET", "HEAD"]),
    Route("/v3/groups/{group_id}/users/{user_id}", remove_member, methods=["DELETE"]),
]
