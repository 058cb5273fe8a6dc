"""os-quota-sets (show, ?usage=true, defaults, the administrator's update and reset),
/limits, and the small documents clients read: /extensions, os-availability-zone,
os-services (administrators)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.block_storage import render
from nuage.api.openstack.block_storage.deps import Deps, caller
from nuage.api.openstack.block_storage.requests import body_member
from nuage.api.openstack.common.body import json_object, query_bool
from nuage.api.openstack.common.http import call, empty, reply
from nuage.domain import policy
from nuage.domain.errors import CommonFault, Forbidden, NotFound, ValidationError


def _target(request: Request) -> str:
    return str(request.path_params["target_project"])


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    project = _target(request)
    if query_bool(request.query_params.get("usage")):
        usage = await call(d.s.quotas.usage, ctx, project)
        return reply({"quota_set": {"id": project, **usage}})
    limits = await call(d.s.quotas.show, ctx, project)
    return reply({"quota_set": {"id": project, **limits}})


async def defaults(request: Request) -> Response:
    d, ctx = await caller(request)
    project = _target(request)
    limits = await call(d.s.quotas.default_of, ctx, project)
    return reply({"quota_set": {"id": project, **limits}})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "quota_set")
    v = {k: val for k, val in v.items() if k not in ("id", "tenant_id", "skip_validation")}
    limits: dict[str, int] = {}
    for key, value in v.items():
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Invalid input received: Quota value {value} for {key} "
                                  "is not valid.")
        limits[key] = value
    result = await call(d.s.quotas.update, ctx, _target(request), limits)
    return reply({"quota_set": result})


async def reset(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.quotas.reset, ctx, _target(request))
    return empty(200)


# Cinder's /limits keys: absolute limit name -> (quota key, "max" or "used").
LIMITS = {"maxTotalVolumes": ("volumes", "limit"), "totalVolumesUsed": ("volumes", "in_use"),
          "maxTotalSnapshots": ("snapshots", "limit"),
          "totalSnapshotsUsed": ("snapshots", "in_use"),
          "maxTotalVolumeGigabytes": ("gigabytes", "limit"),
          "totalGigabytesUsed": ("gigabytes", "in_use"),
          "maxTotalBackups": ("backups", "limit"), "totalBackupsUsed": ("backups", "in_use"),
          "maxTotalBackupGigabytes": ("backup_gigabytes", "limit"),
          "totalBackupGigabytesUsed": ("backup_gigabytes", "in_use")}


async def limits(request: Request) -> Response:
    d, ctx = await caller(request)
    if ctx.project_id is None:
        raise Forbidden(CommonFault.POLICY_DENIED, action="volume:quota:get")
    usage = await call(d.s.quotas.usage, ctx, ctx.project_id)
    return reply({"limits": {"rate": [], "absolute": {
        name: usage[key][kind] for name, (key, kind) in LIMITS.items()}}})


async def extensions(request: Request) -> Response:
    await caller(request)
    names = [("os-extended-snapshot-attributes", "ExtendedSnapshotAttributes"),
             ("os-vol-host-attr", "VolumeHostAttribute"),
             ("os-vol-tenant-attr", "VolumeTenantAttribute"),
             ("os-vol-image-meta", "VolumeImageMetadata"),
             ("os-volume-actions", "VolumeActions"),
             ("os-admin-actions", "AdminActions"),
             ("os-availability-zone", "AvailabilityZones"),
             ("os-quota-sets", "Quotas"), ("backups", "Backups"),
             ("os-types-manage", "TypesManage"), ("os-types-extra-specs", "TypesExtraSpecs"),
             ("os-services", "Services")]
    return reply({"extensions": [
        {"alias": alias, "name": name, "description": name, "links": [],
         "updated": "2012-12-12T00:00:00+00:00"} for alias, name in names]})


async def availability_zones(request: Request) -> Response:
    d, _ctx = await caller(request)
    zone = d.s.ports.config.availability_zone
    return reply({"availabilityZoneInfo": [{"zoneName": zone,
                                            "zoneState": {"available": True}}]})


def _service_rows(d: Deps) -> list[tuple[str, str]]:
    cfg = d.s.ports.config
    return [("cinder-scheduler", cfg.host), ("cinder-volume", f"{cfg.host}@qcow2"),
            ("cinder-backup", cfg.host)]


def _on_host(service_host: str, host: str) -> bool:
    """Cinder's host filter: the host itself or any of its backends (`host@backend`)."""
    return service_host == host or service_host.startswith(f"{host}@")


async def services(request: Request) -> Response:
    d, ctx = await caller(request)
    if not policy.may(ctx, "volume:service:list"):
        raise Forbidden(CommonFault.POLICY_DENIED, action="volume:service:list")
    cfg = d.s.ports.config
    now = render.ts(d.s.ports.clock.now())
    host, binary = request.query_params.get("host"), request.query_params.get("binary")
    rows = [(b, h) for b, h in _service_rows(d)
            if (binary is None or b == binary) and (host is None or _on_host(h, host))]
    return reply({"services": [
        {"binary": binary, "host": host, "zone": cfg.availability_zone,
         "status": "enabled", "state": "up", "updated_at": now, "disabled_reason": None}
        for binary, host in rows]})


async def service_action(request: Request) -> Response:
    """PUT /os-services/{enable,disable,disable-log-reason,freeze,thaw}: Cinder's refusals
    (unknown host or binary, no reason); nuage's services are never disabled or frozen,
    so a valid request is refused too."""
    d, ctx = await caller(request)
    if not policy.may(ctx, "volume:service:update"):
        raise Forbidden(CommonFault.POLICY_DENIED, action="volume:service:update")
    action = str(request.path_params["action"])
    body = await json_object(request)
    rows = _service_rows(d)
    host = body.get("host")
    if action in ("freeze", "thaw"):
        if not any(isinstance(host, str) and _on_host(h, host) for _b, h in rows):
            raise ValidationError(f"Invalid input received: Host {host} not found.")
    elif action in ("enable", "disable", "disable-log-reason"):
        binary = body.get("binary")
        if not any(b == binary and isinstance(host, str) and _on_host(h, host)
                   for b, h in rows):
            raise NotFound("service", f"{host}/{binary}")
        reason = body.get("disabled_reason")
        if action == "disable-log-reason" and (not isinstance(reason, str)
                                               or not reason.strip()):
            raise ValidationError("Invalid input received: Disabled reason contains invalid "
                                  "characters or is too long")
    else:
        raise NotFound("service action", action)
    raise ValidationError(f"Invalid input received: nuage's volume services cannot be "
                          f"asked to {action}.")


ROUTES: list[Route] = [
    Route("/os-quota-sets/{target_project}", show, methods=["GET"]),
    Route("/os-quota-sets/{target_project}", update, methods=["PUT"]),
    Route("/os-quota-sets/{target_project}", reset, methods=["DELETE"]),
    Route("/os-quota-sets/{target_project}/defaults", defaults, methods=["GET"]),
    Route("/limits", limits, methods=["GET"]),
    Route("/extensions", extensions, methods=["GET"]),
    Route("/os-availability-zone", availability_zones, methods=["GET"]),
    Route("/os-services", services, methods=["GET"]),
    Route("/os-services/{action}", service_action, methods=["PUT"]),
]
