"""Servers as Nova renders them at each microversion up to 2.26: exactly the keys
Tempest's schemas for that version allow."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from nuage.domain import policy
from nuage.domain.compute import InstanceAction, Server
from nuage.domain.context import RequestContext

Version = tuple[int, int]
V21: Version = (2, 1)


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def links(base: str, bookmark: str, kind: str, ident: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{base}/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{bookmark}/{kind}/{ident}"}]


class ServerViews:
    def __init__(self, base: str, bookmark: str, image_base: str) -> None:
        # base: http://h:p/compute/v2.1 ; bookmark: http://h:p/compute ; image_base for images
        self.base = base
        self.bookmark = bookmark
        self.image_base = image_base

    def brief(self, s: Server) -> dict[str, Any]:
        return {"id": s.id, "name": s.name, "links": links(self.base, self.bookmark, "servers",
                                                           s.id)}

    def detail(self, s: Server, ctx: RequestContext, version: Version = V21,
               host_status: str | None = None) -> dict[str, Any]:
        """`host_status` (2.16) is given for administrators only."""
        body: dict[str, Any] = {
            "id": s.id, "name": s.name, "status": s.status, "tenant_id": s.project_id,
            "user_id": s.user_id, "metadata": dict(s.metadata),
            "hostId": _host_id(s), "image": {"id": s.image_id, "links": [
                {"rel": "bookmark", "href": f"{self.bookmark}/images/{s.image_id}"}]},
            "flavor": {"id": s.flavor_id, "links": [
                {"rel": "bookmark", "href": f"{self.bookmark}/flavors/{s.flavor_id}"}]},
            "created": ts(s.created_at), "updated": ts(s.updated_at),
            "addresses": {}, "accessIPv4": s.access_ipv4, "accessIPv6": s.access_ipv6,
            "links": links(self.base, self.bookmark, "servers", s.id),
            "OS-DCF:diskConfig": "MANUAL", "progress": 0 if s.status != "ACTIVE" else 100,
            "OS-EXT-AZ:availability_zone": s.availability_zone or "nova",
            "config_drive": "True", "key_name": s.key_name,
            "OS-SRV-USG:launched_at": _usg(s.launched_at),
            "OS-SRV-USG:terminated_at": _usg(s.terminated_at),
            "OS-EXT-STS:task_state": s.task_state, "OS-EXT-STS:vm_state": s.vm_state,
            "OS-EXT-STS:power_state": s.power_state,
            "os-extended-volumes:volumes_attached": [],
            "security_groups": [{"name": "default"}],
        }
        if s.fault and s.vm_state == "error":
            body["fault"] = {"code": s.fault.get("code", 500),
                             "message": s.fault.get("message", ""),
                             "created": s.fault.get("created", ts(s.updated_at))}
            # As Nova: the host's own words (paths, tool output) only for administrators.
            if s.fault.get("details") and policy.is_cloud_admin(ctx):
                body["fault"]["details"] = s.fault["details"]
        if policy.is_cloud_admin(ctx):
            body["OS-EXT-SRV-ATTR:host"] = s.host
            body["OS-EXT-SRV-ATTR:hypervisor_hostname"] = s.host
            body["OS-EXT-SRV-ATTR:instance_name"] = s.instance_name
            if version >= (2, 3):
                body.update({
                    "OS-EXT-SRV-ATTR:reservation_id": s.reservation_id,
                    "OS-EXT-SRV-ATTR:launch_index": s.launch_index,
                    "OS-EXT-SRV-ATTR:hostname": s.hostname,
                    "OS-EXT-SRV-ATTR:kernel_id": s.kernel_id,
                    "OS-EXT-SRV-ATTR:ramdisk_id": s.ramdisk_id,
                    "OS-EXT-SRV-ATTR:root_device_name": s.root_device_name,
                    "OS-EXT-SRV-ATTR:user_data": s.user_data})
        if version >= (2, 16) and host_status is not None:
            body["host_status"] = host_status
        body.update(self._versioned(s, version))
        return body

    @staticmethod
    def _versioned(s: Server, version: Version) -> dict[str, Any]:
        """What later microversions add to both the detail and the update views."""
        out: dict[str, Any] = {}
        if version >= (2, 9):
            out["locked"] = s.locked
        if version >= (2, 19):
            out["description"] = s.description
        if version >= (2, 26):
            out["tags"] = list(s.tags)
        return out

    def updated(self, s: Server, ctx: RequestContext, version: Version = V21
                ) -> dict[str, Any]:
        """PUT /servers/{id} and rebuild answer with a smaller set (Tempest's update
        schema), plus `locked` (2.9), `description` (2.19) and `tags` (2.26)."""
        keep = ("OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "addresses", "created",
                "fault", "flavor", "hostId", "id", "image", "links", "metadata", "name",
                "progress", "status", "tenant_id", "updated", "user_id")
        full = self.detail(s, ctx)
        return {**{k: full[k] for k in keep if k in full}, **self._versioned(s, version)}

    def created(self, s: Server) -> dict[str, Any]:
        return {"id": s.id, "links": links(self.base, self.bookmark, "servers", s.id),
                "OS-DCF:diskConfig": "MANUAL", "security_groups": [{"name": "default"}]}

    def action(self, a: InstanceAction, with_events: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "action": a.action, "instance_uuid": a.server_id, "request_id": a.request_id,
            "user_id": a.user_id, "project_id": a.project_id, "start_time": _usg(a.start_time),
            "message": a.message}
        if with_events:
            body["events"] = [{"event": f"compute_{a.action}", "start_time": _usg(a.start_time),
                               "finish_time": _usg(a.finish_time),
                               "result": "Error" if a.message else (
                                   "Success" if a.finish_time else None),
                               "traceback": None}]
        return body


def _usg(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _host_id(s: Server) -> str:
    """Nova's hostId: a per-project hash of the host, so tenants see co-location only."""
    if not s.host:
        return ""
    return hashlib.sha224((s.project_id + s.host).encode()).hexdigest()
