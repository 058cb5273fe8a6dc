"""os-availability-zone, os-hypervisors, os-services, os-hosts: the operator's view of the
hosts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import Deps
from nuage.domain.errors import ValidationError
from nuage.services.compute.hosts import COMPUTE_ID_BASE, HostView, ServiceView, ZoneView

FORCE_DOWN_VERSION = (2, 11)


def _time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def _state(view: HostView) -> dict[str, str]:
    return {"state": "up" if view.up else "down",
            "status": "enabled" if view.host.enabled else "disabled"}


def hypervisor_brief(view: HostView) -> dict[str, Any]:
    return {"id": view.id, "hypervisor_hostname": view.host.hostname, **_state(view)}


def hypervisor(view: HostView, host_ip: str) -> dict[str, Any]:
    h = view.host
    free_disk = h.disk_gb - view.disk_gb_used
    return {
        **hypervisor_brief(view),
        "hypervisor_type": h.hypervisor_type, "hypervisor_version": 0,
        "cpu_info": f'{{"accelerator": "{h.accelerator}"}}',
        "host_ip": host_ip,
        "vcpus": h.vcpus, "vcpus_used": view.vcpus_used,
        "memory_mb": h.memory_mb, "memory_mb_used": view.memory_mb_used,
        "free_ram_mb": h.memory_mb - view.memory_mb_used,
        "local_gb": h.disk_gb, "local_gb_used": view.disk_gb_used,
        "free_disk_gb": free_disk, "disk_available_least": free_disk,
        "current_workload": 0, "running_vms": view.running_vms,
        "service": {"host": h.hostname, "id": COMPUTE_ID_BASE + view.id, "disabled_reason": None},
    }


def service(v: ServiceView, version: tuple[int, int] = (2, 1)) -> dict[str, Any]:
    body: dict[str, Any] = {"id": v.id, "binary": v.binary, "host": v.host, "zone": v.zone,
                            "status": "enabled" if v.enabled else "disabled",
                            "state": "up" if v.up else "down",
                            "updated_at": _time(v.updated_at), "disabled_reason": None}
    if version >= FORCE_DOWN_VERSION:
        body["forced_down"] = v.forced_down
    return body


def zone(z: ZoneView) -> dict[str, Any]:
    hosts = None
    if z.hosts is not None:
        hosts = {host: {binary: {"available": up and enabled, "active": enabled,
                                 "updated_at": _time(at)}
                        for binary, (enabled, up, at) in services.items()}
                 for host, services in z.hosts.items()}
    return {"zoneName": z.name, "zoneState": {"available": z.available}, "hosts": hosts}


def routes(d: Deps) -> list[Route]:
    s = d.s.hosts
    host_ip = s.p.config.host_ip

    async def zones(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.zones, ctx, False)
        return reply({"availabilityZoneInfo": [zone(z) for z in found]})

    async def zones_detail(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.zones, ctx, True)
        return reply({"availabilityZoneInfo": [zone(z) for z in found]})

    async def hypervisors(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.hypervisors, ctx)
        return reply({"hypervisors": [hypervisor_brief(v) for v in found]})

    async def hypervisors_detail(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.hypervisors, ctx)
        return reply({"hypervisors": [hypervisor(v, host_ip) for v in found]})

    async def hypervisor_show(request: Request) -> Response:
        ctx = await d.ctx(request)
        view = await call(s.hypervisor, ctx, request.path_params["hypervisor_id"])
        return reply({"hypervisor": hypervisor(view, host_ip)})

    async def hypervisor_uptime(request: Request) -> Response:
        ctx = await d.ctx(request)
        view, uptime = await call(s.uptime, ctx, request.path_params["hypervisor_id"])
        return reply({"hypervisor": {**hypervisor_brief(view), "uptime": uptime}})

    async def hypervisor_search(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.search, ctx, request.path_params["pattern"])
        return reply({"hypervisors": [hypervisor_brief(v) for v in found]})

    async def hypervisor_servers(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.servers_on, ctx, request.path_params["pattern"])
        out = []
        for view, servers in found:
            item = hypervisor_brief(view)
            if servers:
                item["servers"] = [{"uuid": sid, "name": name} for sid, name in servers]
            out.append(item)
        return reply({"hypervisors": out})

    async def statistics(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.hypervisors, ctx)
        details = [hypervisor(v, host_ip) for v in found]
        keys = ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "free_ram_mb",
                "local_gb", "local_gb_used", "free_disk_gb", "disk_available_least",
                "current_workload", "running_vms")
        stats = {k: sum(int(h[k]) for h in details) for k in keys}
        return reply({"hypervisor_statistics": {"count": len(details), **stats}})

    async def services(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.services, ctx, request.query_params.get("host"),
                           request.query_params.get("binary"))
        return reply({"services": [service(v, d.version(request)) for v in found]})

    async def set_service(request: Request) -> Response:
        ctx = await d.ctx(request)
        body = await json_object(request)
        host, binary = body.get("host"), body.get("binary")
        if not isinstance(host, str) or not isinstance(binary, str):
            raise ValidationError("'host' and 'binary' are required strings.")
        action = request.path_params["action"]
        if action == "force-down" and d.version(request) >= FORCE_DOWN_VERSION:
            forced = body.get("forced_down")
            if not isinstance(forced, bool):
                raise ValidationError("Invalid input for field/attribute forced_down: a "
                                      "boolean is required.")
            view = await call(s.force_down, ctx, host, binary, forced)
            return reply({"service": {"host": view.host, "binary": view.binary,
                                      "forced_down": view.forced_down}})
        if action not in ("enable", "disable"):
            raise ValidationError(f"Unknown service action {action!r}.")
        view = await call(s.set_enabled, ctx, host, binary, action == "enable")
        return reply({"service": {"host": view.host, "binary": view.binary,
                                  "status": "enabled" if view.enabled else "disabled"}})

    async def list_hosts(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.hosts, ctx, request.query_params.get("zone"))
        return reply({"hosts": [{"host_name": h, "service": kind, "zone": z}
                                for h, kind, z in found]})

    async def show_host(request: Request) -> Response:
        ctx = await d.ctx(request)
        rows = await call(s.host_detail, ctx, request.path_params["host"])
        host = request.path_params["host"]
        return reply({"host": [{"resource": {
            "host": host, "project": r.project, "cpu": r.cpu, "memory_mb": r.memory_mb,
            "disk_gb": r.disk_gb}} for r in rows]})

    async def update_host(request: Request) -> Response:
        ctx = await d.ctx(request)
        host = request.path_params["host"]
        body = await json_object(request)
        values: dict[str, bool] = {}
        for key in ("status", "maintenance_mode"):
            if key in body:
                raw = body[key]
                if not isinstance(raw, str) or raw.lower() not in ("enable", "disable"):
                    raise ValidationError(f"Invalid input for field/attribute {key}. "
                                          f"Value: {raw!r}.")
                values[key] = raw.lower() == "enable"
        if not values or set(body) - set(values):
            raise ValidationError("Exactly 'status' and/or 'maintenance_mode' are expected.")
        if "maintenance_mode" in values:
            await call(s.host_action, ctx, host, "maintenance_mode")
        view = await call(s.set_enabled, ctx, host, "nova-compute", values["status"])
        return reply({"host": host, "status": "enabled" if view.enabled else "disabled"})

    async def host_action(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(s.host_action, ctx, request.path_params["host"],
                   request.path_params["action"])
        raise AssertionError("host_action always refuses")   # pragma: no cover

    return [
        Route("/os-hosts", list_hosts, methods=["GET"]),
        Route("/os-hosts/{host}", show_host, methods=["GET"]),
        Route("/os-hosts/{host}", update_host, methods=["PUT"]),
        Route("/os-hosts/{host}/{action}", host_action, methods=["GET"]),
        Route("/os-availability-zone", zones, methods=["GET"]),
        Route("/os-availability-zone/detail", zones_detail, methods=["GET"]),
        Route("/os-hypervisors", hypervisors, methods=["GET"]),
        Route("/os-hypervisors/detail", hypervisors_detail, methods=["GET"]),
        Route("/os-hypervisors/statistics", statistics, methods=["GET"]),
        Route("/os-hypervisors/{pattern}/search", hypervisor_search, methods=["GET"]),
        Route("/os-hypervisors/{pattern}/servers", hypervisor_servers, methods=["GET"]),
        Route("/os-hypervisors/{hypervisor_id}/uptime", hypervisor_uptime, methods=["GET"]),
        Route("/os-hypervisors/{hypervisor_id}", hypervisor_show, methods=["GET"]),
        Route("/os-services", services, methods=["GET"]),
        Route("/os-services/{action}", set_service, methods=["PUT"]),
    ]
