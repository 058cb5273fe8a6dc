"""os-simple-tenant-usage; from 2.40 the servers counted page (`limit`, `marker`, and
`tenant_usages_links` / `tenant_usage_links`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import caller, deps, int_param
from nuage.domain.errors import NotFound
from nuage.services.compute.usage import (
    ServerUsage,
    TenantUsage,
    UsagePage,
    local_gb,
)

PAGING_VERSION = (2, 40)


def _time(value: datetime | None) -> str | None:
    # Nova's JSON shows its (UTC) datetimes without an offset.
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def server_usage(u: ServerUsage) -> dict[str, Any]:
    s = u.server
    return {"instance_id": s.id, "name": s.name, "tenant_id": s.project_id,
            "flavor": str(s.flavor.get("name", "")), "hours": u.hours,
            "vcpus": int(s.flavor.get("vcpus", 0)), "memory_mb": int(s.flavor.get("ram", 0)),
            "local_gb": local_gb(s), "started_at": _time(s.launched_at),
            "ended_at": _time(s.terminated_at), "state": u.state, "uptime": u.uptime}


def tenant_usage(u: TenantUsage, detailed: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant_id": u.tenant_id, "start": _time(u.start), "stop": _time(u.stop),
        "total_hours": u.total_hours, "total_vcpus_usage": u.total_vcpus_usage,
        "total_memory_mb_usage": u.total_memory_mb_usage,
        "total_local_gb_usage": u.total_local_gb_usage}
    if detailed:
        body["server_usages"] = [server_usage(s) for s in u.servers]
    return body


def page(request: Request) -> UsagePage | None:
    d = deps(request)
    if d.version(request) < PAGING_VERSION:
        return None
    return UsagePage(request.query_params.get("marker"), int_param(request, "limit"))


def links(request: Request, path: str, key: str, found: list[TenantUsage],
          cut: UsagePage | None) -> dict[str, Any]:
    d = deps(request)
    servers = [s.server.id for u in found for s in u.servers]
    if cut is None or not cut.limit or len(servers) < cut.limit:
        return {}
    return {key: d.next_link(request, path, servers[-1], cut.limit)}


async def index(request: Request) -> Response:
    d = deps(request)
    usage = d.s.usage
    ctx = await d.ctx(request)
    q = request.query_params
    cut = page(request)
    found = await call(usage.all_projects, ctx, q.get("start"), q.get("end"), cut)
    detailed = q.get("detailed", "0") == "1"
    return reply({"tenant_usages": [tenant_usage(u, detailed) for u in found],
                  **links(request, "os-simple-tenant-usage", "tenant_usages_links",
                          found, cut)})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    q = request.query_params
    cut = page(request)
    tenant = request.path_params["tenant_id"]
    found = await call(d.s.usage.show, ctx, tenant, q.get("start"), q.get("end"), cut)
    return reply({"tenant_usage": tenant_usage(found, True) if found else {},
                  **links(request, f"os-simple-tenant-d.s.usage/{tenant}",
                          "tenant_usage_links", [found] if found else [], cut)})


async def no_tenant(request: Request) -> Response:
    d = deps(request)
    # An empty tenant id is a 404 in Nova, not the list (Starlette would redirect).
    await d.ctx(request)
    raise NotFound("tenant usage", "")


ROUTES: list[Route] = [
    Route("/os-simple-tenant-usage", index, methods=["GET"]),
    Route("/os-simple-tenant-usage/", no_tenant, methods=["GET"]),
    Route("/os-simple-tenant-usage/{tenant_id}", show, methods=["GET"]),
]
