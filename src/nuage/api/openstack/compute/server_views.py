"""Servers as Nova renders them at each microversion up to 2.100: exactly the keys
Tempest's schemas for that version allow."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from nuage.domain import policy
from nuage.domain.compute import InstanceAction, Server
from nuage.domain.context import RequestContext
from nuage.ports.compute_network import ServerGroup, ServerNic
from nuage.ports.compute_volumes import ServerVolume

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
               host_status: str | None = None, image_properties: dict[str, Any] | None = None,
               single: bool = True, nics: list[ServerNic] | None = None,
               groups: list[ServerGroup] | None = None,
               volumes: list[ServerVolume] | None = None) -> dict[str, Any]:
        """`volumes`: its attachments (`os-extended-volumes:volumes_attached`);
        `host_status` (2.16) is given for administrators only; `image_properties` (2.98)
        are the server's image's properties, None when the image is gone; `single` is
        False in list views (Nova shows `server_groups` only for one server); `nics`: the
        server's ports (its `addresses`); `groups`: the security groups on them (Nova
        shows `security_groups` only when there are some)."""
        body: dict[str, Any] = {
            "id": s.id, "name": s.name, "status": s.status, "tenant_id": s.project_id,
            "user_id": s.user_id, "metadata": dict(s.metadata),
            "hostId": _host_id(s), "image": {"id": s.image_id, "links": [
                {"rel": "bookmark", "href": f"{self.bookmark}/images/{s.image_id}"}]},
            "flavor": {"id": s.flavor_id, "links": [
                {"rel": "bookmark", "href": f"{self.bookmark}/flavors/{s.flavor_id}"}]},
            "created": ts(s.created_at), "updated": ts(s.updated_at),
            "addresses": addresses(nics or [], extended=True),
            "accessIPv4": s.access_ipv4, "accessIPv6": s.access_ipv6,
            "links": links(self.base, self.bookmark, "servers", s.id),
            "OS-DCF:diskConfig": "MANUAL",
            "OS-EXT-AZ:availability_zone": s.availability_zone or "nova",
            "config_drive": "True", "key_name": s.key_name,
            "OS-SRV-USG:launched_at": _usg(s.launched_at),
            "OS-SRV-USG:terminated_at": _usg(s.terminated_at),
            "OS-EXT-STS:task_state": s.task_state, "OS-EXT-STS:vm_state": s.vm_state,
            "OS-EXT-STS:power_state": s.power_state,
            "os-extended-volumes:volumes_attached": volumes_attached(volumes or [], version),
        }
        if not s.image_id or any(v.boot_index == 0 for v in volumes or ()):
            # A server booted from a volume has no image: Nova shows "" (the image its
            # boot volume was made from is kept for its guest, not shown).
            body["image"] = ""
        if groups:
            # Each name once, though several ports (or groups) carry it.
            body["security_groups"] = [{"name": n} for n in dict.fromkeys(
                g.name for g in groups)]
        # Nova's view builder shows progress only where a driver reports it.
        if s.status in PROGRESS_STATUSES:
            body["progress"] = 100 if s.status == "ACTIVE" else 0
        if version >= (2, 47):
            body["flavor"] = _embedded_flavor(s.flavor)
        if version >= (2, 98) and body["image"]:
            body["image"]["properties"] = _image_properties(image_properties)
        if s.fault and s.vm_state == "error":
            body["fault"] = {"code": s.fault.get("code", 500),
                             "message": s.fault.get("message", ""),
                             "created": s.fault.get("created", ts(s.updated_at))}
            # As Nova: the host's own words (paths, tool output) only for administrators.
            if s.fault.get("details") and policy.may(ctx, "compute:server:show_fault_details",
                                                      _target(s)):
                body["fault"]["details"] = s.fault["details"]
        if policy.may(ctx, "compute:server:show_host", _target(s)):
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
        if version >= (2, 90):
            # 2.90: everyone sees (and may set) the hostname.
            body["OS-EXT-SRV-ATTR:hostname"] = s.hostname
        if version >= (2, 16) and host_status is not None:
            body["host_status"] = host_status
        body.update(self._versioned(s, version))
        if version >= (2, 63):
            # nuage does not verify image signatures, so no server has trusted certificates.
            body["trusted_image_certificates"] = None
        if version >= (2, 71) and single:
            # No server groups in nuage (yet): no server belongs to one.
            body["server_groups"] = []
        if version >= (2, 73):
            body["locked_reason"] = s.locked_reason
        if version >= (2, 96):
            body["pinned_availability_zone"] = s.availability_zone
        if version >= (2, 100):
            body["scheduler_hints"] = {}
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

    def updated(self, s: Server, ctx: RequestContext, version: Version = V21,
                host_status: str | None = None, image_properties: dict[str, Any] | None = None,
                rebuild: bool = False, nics: list[ServerNic] | None = None,
                groups: list[ServerGroup] | None = None,
                volumes: list[ServerVolume] | None = None) -> dict[str, Any]:
        """PUT /servers/{id} and rebuild answer with a smaller set (Tempest's update
        schema, addresses without their type and MAC), plus `locked` (2.9), `description`
        (2.19) and `tags` (2.26); from 2.75
        with the whole server, as GET shows it (a rebuild says `user_data` instead of
        the administrators' OS-EXT-SRV-ATTR:user_data)."""
        full = self.detail(s, ctx, version, host_status, image_properties, nics=nics,
                           groups=groups, volumes=volumes)
        if version >= (2, 75):
            if rebuild:
                full.pop("OS-EXT-SRV-ATTR:user_data", None)
                full["user_data"] = s.user_data
            return full
        keep = ("OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "addresses", "created",
                "fault", "flavor", "hostId", "id", "image", "links", "metadata", "name",
                "progress", "status", "tenant_id", "updated", "user_id",
                # 2.63, 2.71, 2.73 (from 2.75 the whole view is given anyway)
                "trusted_image_certificates", "server_groups", "locked_reason")
        out = {**{k: full[k] for k in keep if k in full}, **self._versioned(s, version)}
        # Nova builds this view with extend_address=False: bare {version, addr} entries.
        out["addresses"] = addresses(nics or [], extended=False)
        if rebuild and version >= (2, 54):
            out["key_name"] = s.key_name
        if rebuild and version >= (2, 57):
            out["user_data"] = s.user_data
        return out

    def created(self, s: Server, groups: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The create's answer names the groups as asked (Nova echoes the request's
        names, or "default" when none were given)."""
        return {"id": s.id, "links": links(self.base, self.bookmark, "servers", s.id),
                "OS-DCF:diskConfig": "MANUAL",
                "security_groups": [{"name": n} for n in groups or ("default",)]}

    def action(self, a: InstanceAction, with_events: bool, version: Version = V21,
               ctx: RequestContext | None = None, server: Server | None = None
               ) -> dict[str, Any]:
        """An instance action; `with_events` for the show view. Events are for
        administrators below 2.51 and for everyone from it, their traceback and host
        (2.62) for administrators only, as Nova's os-instance-actions:events policy says;
        2.62 adds the per-project hostId, 2.58 `updated_at`."""
        admin = ctx is not None and policy.may(ctx, "compute:server:show_action_events",
                                               policy.Target(project_id=a.project_id))
        body: dict[str, Any] = {
            "action": a.action, "instance_uuid": a.server_id, "request_id": a.request_id,
            "user_id": a.user_id, "project_id": a.project_id, "start_time": _usg(a.start_time),
            "message": a.message}
        if version >= (2, 58):
            body["updated_at"] = _usg(action_updated(a))
        if with_events and (admin or ctx is None or version >= (2, 51)):
            event: dict[str, Any] = {
                "event": f"compute_{a.action}", "start_time": _usg(a.start_time),
                "finish_time": _usg(a.finish_time),
                "result": "Error" if a.message else ("Success" if a.finish_time else None)}
            if admin or ctx is None:
                event["traceback"] = None
            if version >= (2, 84):
                # 2.84: what went wrong, in the tenant's terms (the action's message).
                event["details"] = a.message
            if version >= (2, 62) and server is not None:
                event["hostId"] = _host_id(server)
                if admin:
                    event["host"] = server.host or ""
            body["events"] = [event]
        return body


# Nova's view builder: the statuses in which a server shows `progress`.
PROGRESS_STATUSES = frozenset({"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE",
                               "MIGRATING"})


def _target(s: Server) -> policy.Target:
    return policy.Target(project_id=s.project_id, user_id=s.user_id)


def _embedded_flavor(flavor: dict[str, Any]) -> dict[str, Any]:
    """2.47: the flavor the server was booted with, as Nova embeds it (no id, no links;
    the description is left out, as Nova does from 2.55)."""
    return {"original_name": flavor.get("name", ""), "vcpus": flavor.get("vcpus", 0),
            "ram": flavor.get("ram", 0), "disk": flavor.get("disk", 0),
            "ephemeral": flavor.get("ephemeral", 0), "swap": flavor.get("swap", 0),
            "extra_specs": dict(flavor.get("extra_specs") or {})}


def addresses(nics: list[ServerNic], extended: bool) -> dict[str, list[dict[str, Any]]]:
    """Nova's `addresses`: each network's fixed IPs by network name (the label), with the
    port's MAC and the address type in server views (`extended`), bare in /ips; each
    floating IP follows its fixed IP on the same network (type "floating", IPv4), as
    Nova's network info cache lists them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for nic in nics:
        entries = out.setdefault(nic.network_name or nic.network_id, [])
        for address in nic.addresses:
            kinds = [("fixed", address.address, address.version)] + [
                ("floating", f, 4) for f in address.floating_ips]
            for kind, addr, version in kinds:
                entry: dict[str, Any] = {"version": version, "addr": addr}
                if extended:
                    entry["OS-EXT-IPS:type"] = kind
                    entry["OS-EXT-IPS-MAC:mac_addr"] = nic.mac
                entries.append(entry)
    return out


def _image_properties(found: dict[str, Any] | None) -> dict[str, str | None]:
    """2.98: the image's properties that Nova's schema allows (string or null values,
    names of letters, digits and `_:. `)."""
    out: dict[str, str | None] = {}
    for key, value in (found or {}).items():
        if not (isinstance(key, str) and 0 < len(key) <= 255 and all(
                c.isascii() and (c.isalnum() or c in "_:. ") for c in key)):
            continue
        if value is None or (isinstance(value, str) and len(value) <= 255):
            out[key] = value
    return out


def action_updated(a: InstanceAction) -> datetime:
    """When an instance action last changed: its end, or its start while it runs."""
    return a.finish_time or a.start_time


def _usg(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _host_id(s: Server) -> str:
    """Nova's hostId: a per-project hash of the host, so tenants see co-location only."""
    if not s.host:
        return ""
    return hashlib.sha224((s.project_id + s.host).encode()).hexdigest()


def volumes_attached(volumes: list[ServerVolume], version: Version) -> list[dict[str, Any]]:
    """Nova's os-extended-volumes: each attached volume's id, and from 2.3 whether it goes
    with the server."""
    if version >= (2, 3):
        return [{"id": v.volume_id, "delete_on_termination": v.delete_on_termination}
                for v in volumes]
    return [{"id": v.volume_id} for v in volumes]
