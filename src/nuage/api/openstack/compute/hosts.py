"""os-availability-zone, os-services, os-hosts: the operator's view of the hosts
(os-hypervisors is in hypervisors.py).

os-services: 2.11 `forced_down`; 2.53 services are named by UUID, changed by
PUT /os-services/{uuid} (`status`, `disabled_reason`, `forced_down`) and the older
PUT /os-services/{enable,disable,...} are gone (404). os-hosts is gone from 2.43 (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import caller, deps
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.compute.hosts import ServiceView, ZoneView

FORCE_DOWN_VERSION = (2, 11)
OS_HOSTS_GONE_VERSION = (2, 43)
UUID_VERSION = (2, 53)


def _time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def service(v: ServiceView, version: tuple[int, int] = (2, 1)) -> dict[str, Any]:
    body: dict[str, Any] = {"id": v.uuid if version >= UUID_VERSION else v.id,
                            "binary": v.binary, "host": v.host, "zone": v.zone,
                            "status": "enabled" if v.enabled else "disabled",
                            "state": "up" if v.up else "down",
                            "updated_at": _time(v.updated_at),
                            "disabled_reason": v.disabled_reason}
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


async def zones(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.hosts.zones, ctx, False)
    return reply({"availabilityZoneInfo": [zone(z) for z in found]})


async def zones_detail(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.hosts.zones, ctx, True)
    return reply({"availabilityZoneInfo": [zone(z) for z in found]})


async def services(request: Request) -> Response:
    d, ctx = await caller(request)
    found = await call(d.s.hosts.services, ctx, request.query_params.get("host"),
                       request.query_params.get("binary"))
    return reply({"services": [service(v, d.version(request)) for v in found]})


async def set_service(request: Request) -> Response:
    d = deps(request)
    s = d.s.hosts
    ctx = await d.ctx(request)
    if d.version(request) >= UUID_VERSION:
        return await update_service(request, ctx)
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
    if action == "disable-log-reason":
        reason = body.get("disabled_reason")
        if not isinstance(reason, str):
            raise ValidationError("Invalid input for field/attribute disabled_reason.")
        view = await call(s.set_enabled, ctx, host, binary, False, reason)
        return reply({"service": {"host": view.host, "binary": view.binary,
                                  "status": "disabled",
                                  "disabled_reason": view.disabled_reason}})
    if action not in ("enable", "disable"):
        raise ValidationError(f"Unknown service action {action!r}.")
    view = await call(s.set_enabled, ctx, host, binary, action == "enable")
    return reply({"service": {"host": view.host, "binary": view.binary,
                              "status": "enabled" if view.enabled else "disabled"}})


async def update_service(request: Request, ctx: RequestContext) -> Response:
    """PUT /os-services/{uuid} (2.53): `status` enabled/disabled (with an optional
    `disabled_reason`), `forced_down`; answers the whole service."""
    d = deps(request)
    s = d.s.hosts
    version = d.version(request)
    view = await call(s.service, ctx, request.path_params["action"])
    body = await json_object(request)
    unknown = set(body) - {"status", "disabled_reason", "forced_down"}
    if unknown or not body:
        raise ValidationError("Invalid input for field/attribute service: 'status', "
                              "'disabled_reason' or 'forced_down' is expected.")
    status = body.get("status")
    if "status" in body and status not in ("enabled", "disabled"):
        raise ValidationError(f"Invalid input for field/attribute status. Value: "
                              f"{status!r}.")
    if "disabled_reason" in body and status != "disabled":
        raise ValidationError("Specifying 'disabled_reason' with status 'enabled' is "
                              "invalid.")
    reason = body.get("disabled_reason")
    if reason is not None and not isinstance(reason, str):
        raise ValidationError("Invalid input for field/attribute disabled_reason.")
    if "forced_down" in body:
        if not isinstance(body["forced_down"], bool):
            raise ValidationError("Invalid input for field/attribute forced_down.")
        view = await call(s.force_down, ctx, view.host, view.binary, body["forced_down"])
    if status is not None:
        view = await call(s.set_enabled, ctx, view.host, view.binary,
                          status == "enabled", reason)
    return reply({"service": service(view, version)})


def no_os_hosts(request: Request) -> None:
    d = deps(request)
    if d.version(request) >= OS_HOSTS_GONE_VERSION:
        raise NotFound("resource", request.url.path)


async def list_hosts(request: Request) -> Response:
    d = deps(request)
    no_os_hosts(request)
    ctx = await d.ctx(request)
    found = await call(d.s.hosts.hosts, ctx, request.query_params.get("zone"))
    return reply({"hosts": [{"host_name": h, "service": kind, "zone": z}
                            for h, kind, z in found]})


async def show_host(request: Request) -> Response:
    d = deps(request)
    no_os_hosts(request)
    ctx = await d.ctx(request)
    rows = await call(d.s.hosts.host_detail, ctx, request.path_params["host"])
    host = request.path_params["host"]
    return reply({"host": [{"resource": {
        "host": host, "project": r.project, "cpu": r.cpu, "memory_mb": r.memory_mb,
        "disk_gb": r.disk_gb}} for r in rows]})


async def update_host(request: Request) -> Response:
    d = deps(request)
    no_os_hosts(request)
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
        await call(d.s.hosts.host_action, ctx, host, "maintenance_mode")
    view = await call(d.s.hosts.set_enabled, ctx, host, "nova-compute", values["status"])
    return reply({"host": host, "status": "enabled" if view.enabled else "disabled"})


async def host_action(request: Request) -> Response:
    d = deps(request)
    no_os_hosts(request)
    ctx = await d.ctx(request)
    await call(d.s.hosts.host_action, ctx, request.path_params["host"],
               request.path_params["action"])
    raise AssertionError("host_action always refuses")   # pragma: no cover


ROUTES: list[Route] = [
    Route("/os-hosts", list_hosts, methods=["GET"]),
    Route("/os-hosts/{host}", show_host, methods=["GET"]),
    Route("/os-hosts/{host}", update_host, methods=["PUT"]),
    Route("/os-hosts/{host}/{action}", host_action, methods=["GET"]),
    Route("/os-availability-zone", zones, methods=["GET"]),
    Route("/os-availability-zone/detail", zones_detail, methods=["GET"]),
    Route("/os-services", services, methods=["GET"]),
    Route("/os-services/{action}", set_service, methods=["PUT"]),
]
