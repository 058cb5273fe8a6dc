"""os-hypervisors, per microversion.

2.28: `cpu_info` is an object, not a JSON string. 2.33: the lists page (`limit`,
`marker`). 2.53: hypervisors and their service are named by UUID; the lists take
`hypervisor_hostname_pattern` and `with_servers`, and /{pattern}/search and
/{pattern}/servers are gone (404). 2.75: `servers` is always there when asked for.
2.88: the resource counters (vcpus, memory, disk, workload, running_vms, cpu_info) are
gone, /statistics and /{id}/uptime too (404), and show gives `uptime`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import query_bool
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import caller, deps, int_param
from nuage.domain.compute import service_uuid
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.compute.hosts import COMPUTE_ID_BASE, HostView

Version = tuple[int, int]
CPU_INFO_OBJECT = (2, 28)
PAGING = (2, 33)
UUIDS = (2, 53)
SERVERS_ALWAYS = (2, 75)
SLIM = (2, 88)
# The counters 2.88 removed (Placement has them in Nova).
COUNTERS = ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "free_ram_mb",
            "local_gb", "local_gb_used", "free_disk_gb", "disk_available_least",
            "current_workload", "running_vms", "cpu_info")


def _state(view: HostView) -> dict[str, str]:
    return {"state": "up" if view.up else "down",
            "status": "enabled" if view.host.enabled else "disabled"}


def hypervisor_brief(view: HostView, version: Version = (2, 1)) -> dict[str, Any]:
    return {"id": view.uuid if version >= UUIDS else view.id,
            "hypervisor_hostname": view.host.hostname, **_state(view)}


def hypervisor(view: HostView, host_ip: str, version: Version = (2, 1)) -> dict[str, Any]:
    h = view.host
    free_disk = h.disk_gb - view.disk_gb_used
    cpu_info: Any = {"accelerator": h.accelerator}
    if version < CPU_INFO_OBJECT:
        cpu_info = f'{{"accelerator": "{h.accelerator}"}}'
    body = {
        **hypervisor_brief(view, version),
        "hypervisor_type": h.hypervisor_type, "hypervisor_version": 0,
        "cpu_info": cpu_info,
        "host_ip": host_ip,
        "vcpus": h.vcpus, "vcpus_used": view.vcpus_used,
        "memory_mb": h.memory_mb, "memory_mb_used": view.memory_mb_used,
        "free_ram_mb": h.memory_mb - view.memory_mb_used,
        "local_gb": h.disk_gb, "local_gb_used": view.disk_gb_used,
        "free_disk_gb": free_disk, "disk_available_least": free_disk,
        "current_workload": 0, "running_vms": view.running_vms,
        "service": {"host": h.hostname,
                    "id": (service_uuid("nova-compute", h.hostname) if version >= UUIDS
                           else COMPUTE_ID_BASE + view.id),
                    "disabled_reason": h.disabled_reason},
    }
    if version >= SLIM:
        for key in COUNTERS:
            body.pop(key)
    return body


def gone_from(request: Request, version: Version) -> None:
    d = deps(request)
    if d.version(request) >= version:
        raise NotFound("resource", request.url.path)


async def with_servers(request: Request, views: list[HostView], items: list[dict[str, Any]]
                       ) -> None:
    """2.53's `with_servers`: each hypervisor's servers (uuid, name)."""
    d = deps(request)
    s = d.s.hosts
    if not query_bool(request.query_params.get("with_servers") or "false"):
        return
    ctx = await d.ctx(request)
    found = dict((v.host.hostname, servers) for v, servers in await call(
        s.servers_on, ctx, "", True))
    for view, item in zip(views, items, strict=True):
        servers = found.get(view.host.hostname, [])
        if servers or d.version(request) >= SERVERS_ALWAYS:
            item["servers"] = [{"uuid": sid, "name": name} for sid, name in servers]


async def listing(request: Request, detail: bool) -> Response:
    d, ctx = await caller(request)
    version = d.version(request)
    views = await call(d.s.hosts.hypervisors, ctx)
    q = request.query_params
    if version >= UUIDS and q.get("hypervisor_hostname_pattern"):
        if "marker" in q or "limit" in q:
            raise ValidationError("Paging over hypervisor_hostname_pattern is not "
                                  "supported.")
        views = [v for v in views if q["hypervisor_hostname_pattern"] in v.host.hostname]
        if not views:
            raise NotFound("hypervisor", q["hypervisor_hostname_pattern"],
                           ComputeFault.HYPERVISOR_NO_MATCH)
    limit = None
    body: dict[str, Any] = {}
    if version >= PAGING:
        marker = q.get("marker")
        if marker is not None:
            ids = [str(hypervisor_brief(v, version)["id"]) for v in views]
            if marker not in ids:
                raise ValidationError(f"marker [{marker}] not found")
            views = views[ids.index(marker) + 1:]
        limit = int_param(request, "limit")
        if limit is not None:
            views = views[:limit]
    host_ip = d.s.hosts.p.config.host_ip
    items = [hypervisor(v, host_ip, version) if detail else hypervisor_brief(v, version)
             for v in views]
    if version >= UUIDS:
        await with_servers(request, views, items)
    if limit and len(items) == limit:
        body["hypervisors_links"] = d.next_link(
            request, "os-hypervisors/detail" if detail else "os-hypervisors",
            str(items[-1]["id"]), limit)
    return reply({"hypervisors": items, **body})


async def hypervisors(request: Request) -> Response:
    return await listing(request, False)


async def hypervisors_detail(request: Request) -> Response:
    return await listing(request, True)


async def hypervisor_show(request: Request) -> Response:
    d, ctx = await caller(request)
    version = d.version(request)
    view = await call(d.s.hosts.hypervisor, ctx, request.path_params["hypervisor_id"])
    item = hypervisor(view, d.s.hosts.p.config.host_ip, version)
    if version >= UUIDS:
        await with_servers(request, [view], [item])
    if version >= SLIM:
        # 2.88: the uptime is part of show (null when the host cannot say).
        try:
            _, item["uptime"] = await call(d.s.hosts.uptime, ctx, str(view.id))
        except ValidationError:
            item["uptime"] = None
    return reply({"hypervisor": item})


async def hypervisor_uptime(request: Request) -> Response:
    d = deps(request)
    gone_from(request, SLIM)
    ctx = await d.ctx(request)
    view, uptime = await call(d.s.hosts.uptime, ctx, request.path_params["hypervisor_id"])
    return reply({"hypervisor": {**hypervisor_brief(view, d.version(request)),
                                 "uptime": uptime}})


async def hypervisor_search(request: Request) -> Response:
    d = deps(request)
    gone_from(request, UUIDS)
    ctx = await d.ctx(request)
    found = await call(d.s.hosts.search, ctx, request.path_params["pattern"])
    return reply({"hypervisors": [hypervisor_brief(v, d.version(request)) for v in found]})


async def hypervisor_servers(request: Request) -> Response:
    d = deps(request)
    gone_from(request, UUIDS)
    ctx = await d.ctx(request)
    found = await call(d.s.hosts.servers_on, ctx, request.path_params["pattern"])
    out = []
    for view, servers in found:
        item = hypervisor_brief(view, d.version(request))
        if servers:
            item["servers"] = [{"uuid": sid, "name": name} for sid, name in servers]
        out.append(item)
    return reply({"hypervisors": out})


async def statistics(request: Request) -> Response:
    d = deps(request)
    gone_from(request, SLIM)
    ctx = await d.ctx(request)
    found = await call(d.s.hosts.hypervisors, ctx)
    details = [hypervisor(v, d.s.hosts.p.config.host_ip) for v in found]
    keys = ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "free_ram_mb",
            "local_gb", "local_gb_used", "free_disk_gb", "disk_available_least",
            "current_workload", "running_vms")
    stats = {k: sum(int(h[k]) for h in details) for k in keys}
    return reply({"hypervisor_statistics": {"count": len(details), **stats}})


ROUTES: list[Route] = [
    Route("/os-hypervisors", hypervisors, methods=["GET"]),
    Route("/os-hypervisors/detail", hypervisors_detail, methods=["GET"]),
    Route("/os-hypervisors/statistics", statistics, methods=["GET"]),
    Route("/os-hypervisors/{pattern}/search", hypervisor_search, methods=["GET"]),
    Route("/os-hypervisors/{pattern}/servers", hypervisor_servers, methods=["GET"]),
    Route("/os-hypervisors/{hypervisor_id}/uptime", hypervisor_uptime, methods=["GET"]),
    Route("/os-hypervisors/{hypervisor_id}", hypervisor_show, methods=["GET"]),
]
