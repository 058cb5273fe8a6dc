"""/servers and its sub-resources, microversions 2.1 to 2.100 (tags are in server_tags.py,
actions in server_actions.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, timestamp
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import Deps, caller, deps, int_param
from nuage.api.openstack.compute.server_requests import (
    access_ip,
    description_field,
    hostname_field,
    metadata_field,
    parse_create,
    parse_server_query,
    server_body,
    string_field,
)
from nuage.api.openstack.compute.server_views import Version, action_updated, addresses
from nuage.domain import policy
from nuage.domain.compute import InstanceAction, Server
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.compute.server_actions import KEEP
from nuage.services.compute.servers import ServerQuery


async def detail_views(request: Request, ctx: RequestContext, found: list[Server],
                       single: bool = False, updated: bool = False,
                       rebuild: bool = False) -> list[dict[str, Any]]:
    d = deps(request)
    version = d.version(request)
    # host_status (2.16) is for administrators only; "" for a server with no host.
    statuses: dict[str, str] | None = None
    if version >= (2, 16) and policy.may(ctx, "compute:server:show_host"):
        statuses = await call(d.s.hosts.host_statuses, ctx, {s.host for s in found if s.host})
    properties: dict[str, dict[str, Any]] = {}
    if version >= (2, 98):
        properties = await call(d.s.servers.image_properties, ctx,
                                {s.image_id for s in found})
    nics = await call(d.s.servers.nics, found)
    volumes = await call(d.s.servers.volumes, found)
    groups = await call(d.s.servers.security_groups, ctx, found)
    out = []
    for s in found:
        status = None if statuses is None else statuses.get(s.host or "", "")
        if updated:
            out.append(d.server_views.updated(s, ctx, version, status, properties.get(s.image_id),
                                     rebuild=rebuild, nics=nics.get(s.id),
                                     groups=groups.get(s.id), volumes=volumes.get(s.id)))
        else:
            out.append(d.server_views.detail(s, ctx, version, status, properties.get(s.image_id),
                                    single=single, nics=nics.get(s.id),
                                    groups=groups.get(s.id), volumes=volumes.get(s.id)))
    return out


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    req = parse_create(body, d.version(request))
    requested = server_body(body)
    if "host" in requested or "hypervisor_hostname" in requested:
        # 2.74: compute:servers:create:requested_destination is for administrators.
        policy.enforce(ctx, "compute:server:create_on_host")
        raise ValidationError("Requesting a destination host is not supported by this "
                              "cloud yet.")
    made = await call(d.s.servers.create_many, ctx, req.new, req.min_count, req.max_count)
    if req.return_reservation_id:
        return reply({"reservation_id": made[0].reservation_id}, status=202)
    first = made[0]
    shown = d.server_views.created(first, req.new.security_groups)
    return reply({"server": shown}, status=202, headers={"Location": shown["links"][0]["href"]})


def page_links(request: Request, found: list[Server], q: ServerQuery, path: str
               ) -> dict[str, Any]:
    d = deps(request)
    if q.limit and len(found) == q.limit and found:
        params = dict(request.query_params)
        params["marker"] = found[-1].id
        href = f"{d.server_views.base}/{path}?" + "&".join(f"{k}={v}" for k, v in params.items())
        return {"servers_links": [{"rel": "next", "href": href}]}
    return {}


async def list_brief(request: Request) -> Response:
    d, ctx = await caller(request)
    q = parse_server_query(request.query_params, Deps.version(request))
    found = await call(d.s.servers.find, ctx, q)
    return reply({"servers": [d.server_views.brief(s) for s in found],
                  **page_links(request, found, q, "servers")})


async def list_detail(request: Request) -> Response:
    d, ctx = await caller(request)
    q = parse_server_query(request.query_params, Deps.version(request))
    found = await call(d.s.servers.find, ctx, q)
    return reply({"servers": await detail_views(request, ctx, found),
                  **page_links(request, found, q, "servers/detail")})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    server = await call(d.s.servers.get, ctx, request.path_params["server_id"])
    return reply({"server": (await detail_views(request, ctx, [server], single=True))[0]})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    body = server_body(await json_object(request))
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = string_field(body, "name", required=True)
    for wire, field in (("accessIPv4", "access_ipv4"), ("accessIPv6", "access_ipv6")):
        if wire in body:
            changes[field] = access_ip(body, wire)
    description = description_field(body, d.version(request))
    if description is not KEEP:
        changes["description"] = description
    version = d.version(request)
    if version >= (2, 90) and body.get("hostname") is not None:
        changes["hostname"] = hostname_field(body, version)
    unknown = set(body) - {"name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig",
                           "description"} - ({"hostname"} if version >= (2, 90) else set())
    if unknown:
        raise ValidationError("Additional properties are not allowed.")
    server = await call(d.s.servers.update, ctx, request.path_params["server_id"], changes)
    return reply({"server": (await detail_views(request, ctx, [server], single=True,
                                                updated=True))[0]})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    # The service wakes the host's agent once the delete is committed.
    await call(d.s.servers.delete, ctx, request.path_params["server_id"])
    return empty(204)


async def metadata(request: Request) -> Response:
    d, ctx = await caller(request)
    sid = request.path_params["server_id"]
    if request.method == "GET":
        server = await call(d.s.servers.get, ctx, sid)
        return reply({"metadata": dict(server.metadata)})
    body = await json_object(request)
    items = metadata_field(body.get("metadata"))
    merged = await call(d.s.servers.set_metadata, ctx, sid, items, request.method == "PUT")
    return reply({"metadata": merged})


async def metadata_item(request: Request) -> Response:
    d, ctx = await caller(request)
    sid, key = request.path_params["server_id"], request.path_params["key"]
    if request.method == "GET":
        server = await call(d.s.servers.get, ctx, sid)
        if key not in server.metadata:
            raise NotFound("metadata item", key)
        return reply({"meta": {key: server.metadata[key]}})
    if request.method == "DELETE":
        await call(d.s.servers.delete_metadata, ctx, sid, key)
        return empty(204)
    meta = metadata_field((await json_object(request)).get("meta"))
    if list(meta) != [key]:
        raise ValidationError("Request body and URI mismatch")
    await call(d.s.servers.set_metadata, ctx, sid, meta, False)
    return reply({"meta": meta})


async def ips(request: Request) -> Response:
    d, ctx = await caller(request)
    server = await call(d.s.servers.get, ctx, request.path_params["server_id"])
    nics = await call(d.s.servers.nics, [server])
    return reply({"addresses": addresses(nics.get(server.id, []), extended=False)})


async def ips_of_network(request: Request) -> Response:
    """One network's addresses, by its label (the network's name)."""
    d, ctx = await caller(request)
    server = await call(d.s.servers.get, ctx, request.path_params["server_id"])
    nics = await call(d.s.servers.nics, [server])
    label = request.path_params["network"]
    found = addresses(nics.get(server.id, []), extended=False)
    if label not in found:
        raise NotFound("network", label, ComputeFault.SERVER_NOT_ON_NETWORK)
    return reply({label: found[label]})


async def instance_actions(request: Request) -> Response:
    d, ctx = await caller(request)
    version = d.version(request)
    sid = request.path_params["server_id"]
    found = await call(d.s.servers.actions, ctx, sid, version >= (2, 21))
    body: dict[str, Any] = {}
    if version >= (2, 58):
        found, body = page_actions(request, found, version, sid)
    return reply({"instanceActions": [d.server_views.action(a, False, version, ctx) for a in found],
                  **body})


def page_actions(request: Request, found: list[InstanceAction], version: Version, sid: str
                 ) -> tuple[list[InstanceAction], dict[str, Any]]:
    """2.58: `changes-since`, `limit` and `marker` (a request id); 2.66
    `changes-before`. Newest first, as Nova lists them."""
    d = deps(request)
    q = dict(request.query_params)
    since = timestamp(q, "changes-since")
    before = timestamp(q, "changes-before") if version >= (2, 66) else None
    if since and before and since > before:
        raise ValidationError("The value of changes-since must be less than or equal "
                              "to changes-before.")
    found = [a for a in found if (since is None or action_updated(a) >= since)
             and (before is None or action_updated(a) <= before)]
    marker = q.get("marker")
    if marker is not None:
        ids = [a.request_id for a in found]
        if marker not in ids:
            raise ValidationError(f"Marker {marker} could not be found.")
        found = found[ids.index(marker) + 1:]
    limit = int_param(request, "limit")
    body: dict[str, Any] = {}
    if limit is not None:
        found = found[:limit]
        if found and len(found) == limit:
            body["links"] = d.next_link(request, f"servers/{sid}/os-instance-actions",
                                        found[-1].request_id, limit)
    return found, body


async def instance_action(request: Request) -> Response:
    d, ctx = await caller(request)
    version = d.version(request)
    sid = request.path_params["server_id"]
    found = await call(d.s.servers.actions, ctx, sid, version >= (2, 21))
    server = await call(d.s.servers.get, ctx, sid, version >= (2, 21)) if (
        version >= (2, 62)) else None
    rid = request.path_params["request_id"]
    for a in found:
        if a.request_id == rid:
            return reply({"instanceAction": d.server_views.action(a, True, version, ctx, server)})
    raise NotFound("action", rid)


async def topology(request: Request) -> Response:
    """2.78: the guest's NUMA topology. nuage's guests have none (one node, no
    pinning), which Nova shows as no nodes."""
    d, ctx = await caller(request)
    await call(d.s.servers.get, ctx, request.path_params["server_id"])
    if d.version(request) < (2, 78):
        raise NotFound("resource", request.url.path)
    return reply({"nodes": [], "pagesize_kb": None})


ROUTES: list[Route] = [
    Route("/servers/{server_id}/topology", topology, methods=["GET"]),
    Route("/servers", create, methods=["POST"]),
    Route("/servers", list_brief, methods=["GET"]),
    Route("/servers/detail", list_detail, methods=["GET"]),
    Route("/servers/{server_id}", show, methods=["GET"]),
    Route("/servers/{server_id}", update, methods=["PUT"]),
    Route("/servers/{server_id}", delete, methods=["DELETE"]),
    Route("/servers/{server_id}/metadata", metadata, methods=["GET", "PUT", "POST"]),
    Route("/servers/{server_id}/metadata/{key}", metadata_item,
          methods=["GET", "PUT", "DELETE"]),
    Route("/servers/{server_id}/ips", ips, methods=["GET"]),
    Route("/servers/{server_id}/ips/{network}", ips_of_network, methods=["GET"]),
    Route("/servers/{server_id}/os-instance-actions", instance_actions, methods=["GET"]),
    Route("/servers/{server_id}/os-instance-actions/{request_id}", instance_action,
          methods=["GET"]),
]
