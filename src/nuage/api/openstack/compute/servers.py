"""/servers and its sub-resources, microversions 2.1 to 2.100 (tags are in server_tags.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, query_bool, timestamp
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.backups import parse_backup
from nuage.api.openstack.compute.deps import int_param
from nuage.api.openstack.compute.server_requests import (
    SERVER_STATUSES,
    SIMPLE_ACTIONS,
    SOFT_DELETE_ACTIONS,
    UNSUPPORTED_ACTIONS,
    access_ip,
    check_query_keys,
    description_field,
    hostname_field,
    metadata_field,
    nova_console_text,
    parse_create,
    parse_rebuild,
    server_body,
    string_field,
    tag_list,
)
from nuage.api.openstack.compute.server_views import ServerViews, Version, action_updated
from nuage.domain import policy
from nuage.domain.compute import Server
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.services.compute.hosts import HostService
from nuage.services.compute.server_actions import KEEP, ServerActionService
from nuage.services.compute.server_filters import FIELDS
from nuage.services.compute.servers import ServerQuery, ServerService

# The floating and fixed IP actions 2.44 removed.
NETWORK_PROXY_ACTIONS = frozenset({"addFixedIp", "removeFixedIp", "addFloatingIp",
                                   "removeFloatingIp"})


def routes(d: Any) -> list[Route]:
    """d: the compute facade's deps (ctx(), views, and services .servers / .server_actions)."""
    servers: ServerService = d.s.servers
    actions: ServerActionService = d.s.server_actions
    hosts: HostService = d.s.hosts
    views: ServerViews = d.server_views

    async def detail_views(request: Request, ctx: RequestContext, found: list[Server],
                           single: bool = False, updated: bool = False,
                           rebuild: bool = False) -> list[dict[str, Any]]:
        version = d.version(request)
        # host_status (2.16) is for administrators only; "" for a server with no host.
        statuses: dict[str, str] | None = None
        if version >= (2, 16) and policy.is_cloud_admin(ctx):
            statuses = await call(hosts.host_statuses, ctx, {s.host for s in found if s.host})
        properties: dict[str, dict[str, Any]] = {}
        if version >= (2, 98):
            properties = await call(servers.image_properties, ctx,
                                    {s.image_id for s in found})
        out = []
        for s in found:
            status = None if statuses is None else statuses.get(s.host or "", "")
            if updated:
                out.append(views.updated(s, ctx, version, status, properties.get(s.image_id),
                                         rebuild=rebuild))
            else:
                out.append(views.detail(s, ctx, version, status, properties.get(s.image_id),
                                        single=single))
        return out

    async def create(request: Request) -> Response:
        ctx = await d.ctx(request)
        body = await json_object(request)
        req = parse_create(body, d.version(request))
        requested = server_body(body)
        if "host" in requested or "hypervisor_hostname" in requested:
            # 2.74: compute:servers:create:requested_destination is for administrators.
            if not policy.is_cloud_admin(ctx):
                raise Forbidden("Policy doesn't allow compute:servers:create:"
                                "requested_destination to be performed.")
            raise ValidationError("Requesting a destination host is not supported by this "
                                  "cloud yet.")
        made = await call(servers.create_many, ctx, req.new, req.min_count, req.max_count)
        if req.return_reservation_id:
            return reply({"reservation_id": made[0].reservation_id}, status=202)
        first = made[0]
        return reply({"server": views.created(first)}, status=202,
                     headers={"Location": views.created(first)["links"][0]["href"]})

    def query(request: Request) -> ServerQuery:
        q = request.query_params
        limit = None
        if "limit" in q:
            try:
                limit = int(q["limit"])
            except ValueError as exc:
                raise ValidationError("limit param must be an integer") from exc
            if limit < 0:
                raise ValidationError("limit param must be positive")
        all_projects = bool(query_bool(q.get("all_tenants") or q.get("all_projects")
                                       or ("true" if "all_tenants" in q else "false")))
        tags: dict[str, Any] = {}
        version = d.version(request)
        status = q.get("status")
        if status and version >= (2, 38) and status.upper() not in SERVER_STATUSES:
            # 2.38: an unknown status is an error, not an empty list.
            raise ValidationError(f"Invalid status value: {status}")
        changes_before = None
        if version >= (2, 66):
            changes_before = timestamp(dict(q), "changes-before")
            since = timestamp(dict(q), "changes-since")
            if changes_before and since and since > changes_before:
                raise ValidationError("The value of changes-since must be less than or "
                                      "equal to changes-before.")
        if version >= (2, 26):
            tags = {field: tag_list(q.getlist(param)) for param, field in (
                ("tags", "tags"), ("tags-any", "tags_any"), ("not-tags", "not_tags"),
                ("not-tags-any", "not_tags_any"))}
        if version >= (2, 75):
            check_query_keys(set(q), version)
        exact = tuple((k, q[k]) for k in sorted(FIELDS) if k in q
                      and (k != "locked" or version >= (2, 73)))
        return ServerQuery(**tags, exact=exact, extended_filters=version >= (2, 83),
            name=q.get("name"), status=q.get("status"),
            changes_since=timestamp(dict(q), "changes-since"), changes_before=changes_before,
            image=q.get("image"),
            flavor=q.get("flavor"), all_projects=all_projects,
            project_id=q.get("project_id") or q.get("tenant_id"), marker=q.get("marker"),
            limit=limit)

    def page_links(request: Request, found: list[Any], q: ServerQuery, path: str
                   ) -> dict[str, Any]:
        if q.limit and len(found) == q.limit and found:
            params = dict(request.query_params)
            params["marker"] = found[-1].id
            href = f"{views.base}/{path}?" + "&".join(f"{k}={v}" for k, v in params.items())
            return {"servers_links": [{"rel": "next", "href": href}]}
        return {}

    async def list_brief(request: Request) -> Response:
        ctx = await d.ctx(request)
        q = query(request)
        found = await call(servers.find, ctx, q)
        return reply({"servers": [views.brief(s) for s in found],
                      **page_links(request, found, q, "servers")})

    async def list_detail(request: Request) -> Response:
        ctx = await d.ctx(request)
        q = query(request)
        found = await call(servers.find, ctx, q)
        return reply({"servers": await detail_views(request, ctx, found),
                      **page_links(request, found, q, "servers/detail")})

    async def show(request: Request) -> Response:
        ctx = await d.ctx(request)
        server = await call(servers.get, ctx, request.path_params["server_id"])
        return reply({"server": (await detail_views(request, ctx, [server], single=True))[0]})

    async def update(request: Request) -> Response:
        ctx = await d.ctx(request)
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
        server = await call(servers.update, ctx, request.path_params["server_id"], changes)
        return reply({"server": (await detail_views(request, ctx, [server], single=True,
                                                    updated=True))[0]})

    async def delete(request: Request) -> Response:
        ctx = await d.ctx(request)
        # The service wakes the host's agent once the delete is committed.
        await call(servers.delete, ctx, request.path_params["server_id"])
        return empty(204)

    async def action(request: Request) -> Response:
        ctx = await d.ctx(request)
        sid = request.path_params["server_id"]
        body = await json_object(request)
        if len(body) != 1:
            raise ValidationError("Exactly one action is expected in the request body.")
        (name, arg), = body.items()
        if name == "os-getConsoleOutput":
            length = None
            if isinstance(arg, dict) and arg.get("length") is not None:
                try:
                    length = int(arg["length"])
                except (TypeError, ValueError) as exc:
                    raise ValidationError("Invalid input for field/attribute length.") from exc
                if length < -1:
                    raise ValidationError("Invalid input for field/attribute length.")
                if length == -1:
                    length = None
            output = await call(servers.console_output, ctx, sid, length)
            return reply({"output": nova_console_text(output, length)})
        if name in NETWORK_PROXY_ACTIONS and d.version(request) >= (2, 44):
            # 2.44 removed these proxies of Neutron: Nova answers 404 before any look-up.
            raise NotFound("resource", request.url.path)
        if name in UNSUPPORTED_ACTIONS or name in SOFT_DELETE_ACTIONS:
            found = await call(servers.get, ctx, sid)
            if name in SOFT_DELETE_ACTIONS:
                raise Conflict(f"Cannot '{name}' instance {sid} while it is in vm_state "
                               f"{found.vm_state}")
            raise ValidationError(f"The action {name} is not supported by this cloud.")
        if name in ("lock", "unlock"):
            # Nova 2.73 adds a reason to lock; otherwise the body is null (Tempest sends {}).
            reason = None
            if (name == "lock" and d.version(request) >= (2, 73) and isinstance(arg, dict)
                    and set(arg) == {"locked_reason"}):
                reason = arg["locked_reason"]
                if not isinstance(reason, str):
                    raise ValidationError("Invalid input for field/attribute locked_reason.")
            elif arg not in (None, {}):
                raise ValidationError(f"Invalid input for field/attribute {name}.")
            if name == "lock":
                await call(actions.lock, ctx, sid, reason)
            else:
                await call(actions.unlock, ctx, sid)
            return empty(202)
        if name == "os-resetState":
            # Nova validates the body first (400), then finds the server (404), then
            # checks the policy (403).
            if not isinstance(arg, dict) or set(arg) != {"state"} or not isinstance(
                    arg["state"], str):
                raise ValidationError("Invalid input for field/attribute os-resetState: "
                                      "{'state': 'active' | 'error'} is expected.")
            await call(actions.reset_state, ctx, sid, arg["state"])
            return empty(202)
        if name == "trigger_crash_dump":
            if d.version(request) < (2, 17):
                await call(servers.get, ctx, sid)
                raise ValidationError("The action trigger_crash_dump needs microversion 2.17 "
                                      "or later.")
            if arg is not None:
                raise ValidationError("Invalid input for field/attribute trigger_crash_dump.")
            await call(actions.trigger_crash_dump, ctx, sid)
            return empty(202)
        if name in SIMPLE_ACTIONS:
            server = await call(actions.act, ctx, sid, SIMPLE_ACTIONS[name])
        elif name == "reboot":
            kind = arg.get("type") if isinstance(arg, dict) else None
            server = await call(actions.act, ctx, sid, "reboot",
                                reboot_type=kind.upper() if isinstance(kind, str) else None)
        elif name == "rebuild":
            if not isinstance(arg, dict) or not isinstance(arg.get("imageRef"), str):
                raise ValidationError("Invalid input for field/attribute imageRef.")
            server = await call(actions.act, ctx, sid, "rebuild",
                                image_ref=arg["imageRef"].rsplit("/", 1)[-1],
                                name=arg.get("name"),
                                description=description_field(arg, d.version(request)),
                                rebuild=parse_rebuild(arg, d.version(request)))
            # Nova answers a rebuild with the same view as an update.
            return reply({"server": (await detail_views(request, ctx, [server], single=True,
                                                        updated=True, rebuild=True))[0]},
                         status=202)
        elif name == "createImage":
            if not isinstance(arg, dict):
                raise ValidationError("Invalid input for field/attribute createImage.")
            server = await call(actions.act, ctx, sid, "createImage",
                                snapshot_name=arg.get("name"))
            image_id = (server.task_args or {}).get("image_id")
            if d.version(request) >= (2, 45):
                # 2.45: the image id in the body, no Location.
                return reply({"image_id": image_id}, status=202)
            return empty(202, headers={"Location": f"{views.image_base}/v2/images/{image_id}"})
        elif name == "createBackup":
            image_name, backup = parse_backup(arg)
            server = await call(actions.act, ctx, sid, "createBackup",
                                snapshot_name=image_name, backup=backup)
            image_id = (server.task_args or {}).get("image_id")
            if d.version(request) >= (2, 45):
                return reply({"image_id": image_id}, status=202)
            # Nova names the image through its own images proxy, and only when it is kept.
            headers = ({"Location": f"{d.api_url(request)}/images/{image_id}"}
                       if backup.rotation > 0 else None)
            return empty(202, headers=headers)
        else:
            raise ValidationError(f"There is no such action: {name}")
        return empty(202)

    async def metadata(request: Request) -> Response:
        ctx = await d.ctx(request)
        sid = request.path_params["server_id"]
        if request.method == "GET":
            server = await call(servers.get, ctx, sid)
            return reply({"metadata": dict(server.metadata)})
        body = await json_object(request)
        items = metadata_field(body.get("metadata"))
        merged = await call(servers.set_metadata, ctx, sid, items, request.method == "PUT")
        return reply({"metadata": merged})

    async def metadata_item(request: Request) -> Response:
        ctx = await d.ctx(request)
        sid, key = request.path_params["server_id"], request.path_params["key"]
        if request.method == "GET":
            server = await call(servers.get, ctx, sid)
            if key not in server.metadata:
                raise NotFound("metadata item", key)
            return reply({"meta": {key: server.metadata[key]}})
        if request.method == "DELETE":
            await call(servers.delete_metadata, ctx, sid, key)
            return empty(204)
        meta = metadata_field((await json_object(request)).get("meta"))
        if list(meta) != [key]:
            raise ValidationError("Request body and URI mismatch")
        await call(servers.set_metadata, ctx, sid, meta, False)
        return reply({"meta": meta})

    async def ips(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(servers.get, ctx, request.path_params["server_id"])
        return reply({"addresses": {}})

    async def instance_actions(request: Request) -> Response:
        ctx = await d.ctx(request)
        version = d.version(request)
        sid = request.path_params["server_id"]
        found = await call(servers.actions, ctx, sid, version >= (2, 21))
        body: dict[str, Any] = {}
        if version >= (2, 58):
            found, body = page_actions(request, found, version, sid)
        return reply({"instanceActions": [views.action(a, False, version, ctx) for a in found],
                      **body})

    def page_actions(request: Request, found: list[Any], version: Version, sid: str
                     ) -> tuple[list[Any], dict[str, Any]]:
        """2.58: `changes-since`, `limit` and `marker` (a request id); 2.66
        `changes-before`. Newest first, as Nova lists them."""
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
        ctx = await d.ctx(request)
        version = d.version(request)
        sid = request.path_params["server_id"]
        found = await call(servers.actions, ctx, sid, version >= (2, 21))
        server = await call(servers.get, ctx, sid, version >= (2, 21)) if (
            version >= (2, 62)) else None
        rid = request.path_params["request_id"]
        for a in found:
            if a.request_id == rid:
                return reply({"instanceAction": views.action(a, True, version, ctx, server)})
        raise NotFound("action", rid)

    async def topology(request: Request) -> Response:
        """2.78: the guest's NUMA topology. nuage's guests have none (one node, no
        pinning), which Nova shows as no nodes."""
        ctx = await d.ctx(request)
        await call(servers.get, ctx, request.path_params["server_id"])
        if d.version(request) < (2, 78):
            raise NotFound("resource", request.url.path)
        return reply({"nodes": [], "pagesize_kb": None})

    return [
        Route("/servers/{server_id}/topology", topology, methods=["GET"]),
        Route("/servers", create, methods=["POST"]),
        Route("/servers", list_brief, methods=["GET"]),
        Route("/servers/detail", list_detail, methods=["GET"]),
        Route("/servers/{server_id}", show, methods=["GET"]),
        Route("/servers/{server_id}", update, methods=["PUT"]),
        Route("/servers/{server_id}", delete, methods=["DELETE"]),
        Route("/servers/{server_id}/action", action, methods=["POST"]),
        Route("/servers/{server_id}/metadata", metadata, methods=["GET", "PUT", "POST"]),
        Route("/servers/{server_id}/metadata/{key}", metadata_item,
              methods=["GET", "PUT", "DELETE"]),
        Route("/servers/{server_id}/ips", ips, methods=["GET"]),
        Route("/servers/{server_id}/os-instance-actions", instance_actions, methods=["GET"]),
        Route("/servers/{server_id}/os-instance-actions/{request_id}", instance_action,
              methods=["GET"]),
    ]
