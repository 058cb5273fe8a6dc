"""Servers: create (validate, check quota, schedule, record intent), read, update, delete.

The API records intent and returns; the host agent (agent/compute.py, deciding through
reconcile.py) drives each server to it. Nothing here waits for a guest.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from nuage.domain import policy
from nuage.domain.compute import (
    MAX_TAGS,
    TAGGABLE_STATES,
    Flavor,
    InstanceAction,
    Server,
    TaskState,
    VmState,
    new_reservation_id,
    new_server_id,
    server_hostname,
    tag_problem,
)
from nuage.domain.compute_errors import ComputeFault, OverLimit, TagNotFound
from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Conflict, Forbidden, NotFound, ValidationError
from nuage.ports.clock import Clock
from nuage.ports.compute import AgentChannel, ImageInfo, ImageSource
from nuage.ports.compute_network import NetworkRequest, ServerGroup, ServerNetworks, ServerNic
from nuage.ports.compute_volumes import ServerVolume, ServerVolumes, VolumeRequest
from nuage.ports.repositories import UnitOfWork, UnitOfWorkFactory
from nuage.services.audit import Auditor
from nuage.services.compute import boot_volumes, scheduler, server_filters
from nuage.services.compute.boot_images import boot_image

log = logging.getLogger(__name__)
MAX_USER_DATA = 65535
MAX_METADATA_ITEMS = 128
# The policy rows of os-migrations and of a server's migrations (ServerService.migrations).
MigrationRow = Literal["compute:migration:list", "compute:server:list_migrations",
                       "compute:server:get_migration"]


@dataclass(frozen=True)
class ComputePorts:
    uow: UnitOfWorkFactory
    clock: Clock
    auditor: Auditor
    images: ImageSource
    # check(uow, project_id, instances=, cores=, ram=) raising the facade's OverLimit.
    quota_check: Any
    agents: AgentChannel
    # The servers' NICs (Neutron ports); None: a deployment without networks (a create
    # that names one is refused as Nova refuses an unknown network).
    networks: ServerNetworks | None = None
    # The servers' volumes (Cinder attachments); None: a cloud without volumes (Nova
    # without Cinder: no attachments, a create with volume block devices refused).
    volumes: ServerVolumes | None = None


@dataclass(frozen=True)
class NewServer:
    name: str
    image_ref: str
    flavor_ref: str
    key_name: str | None = None
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    availability_zone: str | None = None
    networks: str | list[dict[str, Any]] | None = None
    access_ipv4: str = ""
    access_ipv6: str = ""
    description: str | None = None
    # Tags given at create (2.52), and the guest's hostname (2.90; else from the name).
    tags: tuple[str, ...] = ()
    hostname: str | None = None
    # The create's security groups (names or ids) for the ports compute makes; None: not
    # given (the project's default group).
    security_groups: tuple[str, ...] | None = None
    # Its block devices that are volumes (block_device_mapping_v2): boot_index 0 is the
    # boot volume (then `image_ref` may be "").
    volumes: tuple[VolumeRequest, ...] = ()
    # One create request's servers share a reservation id; each has its index in it.
    reservation_id: str | None = None
    launch_index: int = 0


@dataclass(frozen=True)
class ServerQuery:
    name: str | None = None
    status: str | None = None
    changes_since: datetime | None = None
    # 2.66: changed at or before this time (deleted servers included, as changes-since).
    changes_before: datetime | None = None
    image: str | None = None
    flavor: str | None = None
    all_projects: bool = False
    project_id: str | None = None
    marker: str | None = None
    limit: int | None = None
    # Tag filters (2.26): all of `tags`, any of `tags_any`, not all of `not_tags`, none of
    # `not_tags_any`.
    tags: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    not_tags: tuple[str, ...] = ()
    not_tags_any: tuple[str, ...] = ()
    # Exact-match filters (server_filters.FIELDS); `extended_filters` is 2.83 or later.
    exact: tuple[tuple[str, str], ...] = ()
    extended_filters: bool = False
    # Nova's `ip` and `ip6`: regular expressions matched at the start of a server's fixed
    # IPv4 (IPv6) addresses.
    ip: str | None = None
    ip6: str | None = None


def check_metadata(metadata: dict[str, str]) -> dict[str, str]:
    if len(metadata) > MAX_METADATA_ITEMS:
        # Nova counts metadata items as a quota: 403, not 400.
        raise OverLimit(ComputeFault.SERVER_METADATA_OVER_LIMIT, limit=MAX_METADATA_ITEMS)
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key or len(key) > 255 \
                or len(value) > 255:
            raise ValidationError(ComputeFault.SERVER_METADATA_INVALID)
    return metadata


class ServerUseCases:
    def __init__(self, ports: ComputePorts) -> None:
        self.p = ports

    def server(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
               include_deleted: bool = False, for_update: bool = False) -> Server:
        """A server the caller may see; 404 for another project's (not even its existence).

        `for_update`: its row stays locked until the unit of work ends, so that changes
        computed from what it holds (metadata, tags, the task state) cannot be lost to a
        concurrent one on PostgreSQL: the second waits, then reads the first's result."""
        found = (uow.servers.get_for_update(server_id) if for_update
                 else uow.servers.get(server_id))
        if found is None or (found.deleted and not include_deleted) or (
                found.project_id != ctx.project_id
                and not policy.may(ctx, "compute:server:get", _target(found))):
            raise NotFound("server", server_id)
        # Its own project's server: a caller without the row learns it exists (403).
        policy.enforce(ctx, "compute:server:get", _target(found))
        return found

    def action(self, uow: UnitOfWork, ctx: RequestContext, server: Server, name: str,
               finished: bool = False) -> None:
        """Records an instance action and its audit event. `finished`: the API did it all
        (lock, unlock, ...), so no agent will close the action."""
        now = self.p.clock.now()
        uow.instance_actions.add(InstanceAction(
            request_id=ctx.request_id, server_id=server.id, action=name,
            project_id=server.project_id, user_id=ctx.user_id or "",
            start_time=now, finish_time=now if finished else None))
        self.p.auditor.record(uow, ctx, f"compute.server.{name}", "server", server.id,
                              project_id=server.project_id)

    @staticmethod
    def enforce(ctx: RequestContext, action: str, server: Server) -> None:
        """The policy row `action` for this server (one the caller may see: 403)."""
        policy.enforce(ctx, action, _target(server))

    def wake_agents(self, hosts: Iterable[str | None]) -> None:
        """Tell the agents of `hosts` that intent changed there. Call after the commit
        (out of the unit of work), so that the pass it wakes reads the change; the
        service does it, not the adapter, so that every caller (HTTP, CLI, a bus) gets it.
        Losing a wake-up only delays the work until the agent's next pass: a failure to
        send one is logged, never turned into the failure of a change already made."""
        for host in sorted({h for h in hosts if h}):
            try:
                self.p.agents.notify(host)
            except Exception:
                log.exception("the agent of host %s was not woken; its next pass will act",
                              host)

    @staticmethod
    def require_unlocked(ctx: RequestContext, server: Server) -> None:
        """A locked server refuses changes from everyone but cloud administrators (Nova's
        check_instance_lock: 409)."""
        if server.locked and not policy.may(ctx, "compute:server:override_lock",
                                            _target(server)):
            raise Conflict(ComputeFault.SERVER_LOCKED, server_id=server.id)


class ServerService(ServerUseCases):
    def create(self, ctx: RequestContext, new: NewServer) -> Server:
        return self.create_many(ctx, new, 1, 1)[0]

    def create_many(self, ctx: RequestContext, new: NewServer, min_count: int = 1,
                    max_count: int = 1) -> list[Server]:
        """One create request of `min_count` to `max_count` servers, all or nothing, as
        Nova does it: `max_count` if the quota allows, else as many as it allows if that
        is at least `min_count`, else OverLimit (403) and nothing is stored. Every server
        gets a host, or (not enough room for all of them) every one is stored in ERROR
        with "No valid host" and none keeps a claim. Several servers are named
        `name-1`, `name-2`, ... (Nova's default multi_instance_display_name_template) and
        share one reservation id."""
        project_id = ctx.project_id
        if project_id is None or not policy.may(ctx, "compute:server:create",
                                                policy.Target(project_id=project_id)):
            raise Forbidden(CommonFault.POLICY_DENIED, action="compute:server:create")
        if min_count < 1 or max_count < 1:
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="min_count")
        if min_count > max_count:
            raise ValidationError(ComputeFault.SERVER_COUNT_RANGE_INVALID,
                                  min_count=min_count, max_count=max_count)
        name = new.name.strip()
        if not name or len(name) > 255:
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="name")
        user_data = self.check_user_data(new.user_data)
        metadata = check_metadata(new.metadata)
        asked = network_requests(new.networks)
        if new.image_ref:
            # On a cloud without volumes such an image is refused (400) by root_image.
            new = self._image_defined_volumes(ctx, new)
        image_ref = boot_volumes.root_image(ctx, self.p.volumes, new.image_ref, new.volumes)
        volume_backed = boot_volumes.boot_volume(new.volumes) is not None
        # The image, its kernel and its ramdisk, as this project may see them (none for a
        # server booted from an existing volume).
        image = boot_image(self.p.images, ctx, image_ref) if image_ref else None
        check_description(new.description)
        check_tags(list(new.tags))
        now = self.p.clock.now()
        reservation = new.reservation_id or new_reservation_id()
        if new.networks == "auto" and self.p.networks is not None:
            # Before the create's transaction: the topology is made in its own.
            self.p.networks.prepare_auto(ctx)
        with self.p.uow(write=True) as uow:
            flavor = self._flavor(uow, ctx, new.flavor_ref)
            if image is not None:
                # A volume-backed server's root disk is its volume, not the flavor's.
                self._fits(flavor, image, disk=not volume_backed)
            if new.volumes and self.p.volumes is not None:
                self.p.volumes.check(uow, ctx, new.volumes, max_count)
            key_data = None
            if new.key_name is not None:
                key = uow.keypairs.first(user_id=ctx.user_id, name=new.key_name)
                if key is None:
                    raise ValidationError(ComputeFault.SERVER_KEYPAIR_INVALID,
                                          key_name=new.key_name)
                key_data = key.public_key
            requests = self._networks(uow, ctx, asked, max_count)
            groups = (self.p.networks.find_groups(uow, ctx, new.security_groups)
                      if self.p.networks is not None and new.security_groups is not None
                      else None)
            if new.availability_zone and not uow.compute_hosts.first(
                    availability_zone=new.availability_zone):
                raise ValidationError(ComputeFault.SERVER_ZONE_UNAVAILABLE,
                                      availability_zone=new.availability_zone)
            # Count-then-insert: on PostgreSQL, concurrent creates of one project wait
            # here for each other, so each counts the others' servers (SQLite's writer
            # lock does the same for every write).
            uow.compute.lock_project_quota(project_id)
            count = self._quota_fit(uow, project_id, flavor, min_count, max_count)
            servers: list[Server] = []
            for index in range(count):
                named = name if count == 1 else f"{name}-{index + 1}"
                server = Server(
                    id=new_server_id(), name=named, project_id=project_id,
                    user_id=ctx.user_id or "", image_id=image.id if image else "",
                    flavor_id=flavor.id,
                    flavor=_flavor_snapshot(flavor), vm_state=VmState.BUILDING.value,
                    task_state=TaskState.SCHEDULING.value, created_at=now, updated_at=now,
                    key_name=new.key_name, key_data=key_data, user_data=user_data,
                    metadata=metadata, availability_zone=new.availability_zone,
                    access_ipv4=new.access_ipv4, access_ipv6=new.access_ipv6,
                    number=self._next_number(uow), description=new.description,
                    reservation_id=reservation, launch_index=new.launch_index + index,
                    hostname=new.hostname or server_hostname(named),
                    tags=sorted(set(new.tags)),
                    kernel_id=image.properties.get("kernel_id", "") if image else "",
                    ramdisk_id=image.properties.get("ramdisk_id", "") if image else "")
                # Stored at once: the next number is counted from the stored ones.
                uow.servers.add(server)
                servers.append(server)
            # A volume-backed server's root disk is on the volume: no local disk claimed
            # (as Nova's placement claims none).
            disk_gb = 0 if volume_backed else flavor.disk_gb
            hosts = scheduler.claim_all(uow, [scheduler.Request(
                s.id, flavor.vcpus, flavor.ram_mb, disk_gb, new.availability_zone)
                for s in servers], now)
            for i, server in enumerate(servers):
                if hosts is None:
                    server.vm_state, server.task_state = VmState.ERROR.value, None
                    server.fault = {"code": 500, "message": "No valid host was found. There "
                                    "are not enough hosts available.", "created": _iso(now)}
                else:
                    server.host, server.task_state = hosts[i], TaskState.SPAWNING.value
                    if requests and self.p.networks is not None:
                        # In this transaction: a refused allocation stores nothing.
                        self.p.networks.allocate(uow, ctx, server.id, project_id,
                                                 hosts[i], requests, groups)
                    if new.volumes and self.p.volumes is not None:
                        # Made (or reserved) on its host in this transaction too.
                        self.p.volumes.prepare(uow, ctx, server.id, project_id, hosts[i],
                                               new.volumes)
                self.action(uow, ctx, server, "create")
            uow.commit()
        if requests and self.p.networks is not None:
            self.p.networks.wake(s.host for s in servers if s.host)
        self.wake_agents(s.host for s in servers)
        return servers

    def _networks(self, uow: UnitOfWork, ctx: RequestContext,
                  asked: tuple[NetworkRequest, ...] | None, count: int
                  ) -> tuple[NetworkRequest, ...]:
        """The NICs each server gets: `asked` checked, or for "auto" (None) the project's
        one usable network if it has exactly one (else none: see compute.md)."""
        if self.p.networks is None:
            for request in asked or ():
                if request.port_id is not None:
                    raise ValidationError(ComputeFault.SERVER_PORT_NOT_FOUND,
                                          port_id=request.port_id)
                raise ValidationError(ComputeFault.SERVER_NETWORK_NOT_FOUND,
                                      network_id=request.network_id)
            return ()
        if asked is None:
            return self.p.networks.auto(uow, ctx)
        self.p.networks.check(uow, ctx, asked, count)
        return asked

    def _quota_fit(self, uow: UnitOfWork, project_id: str, flavor: Flavor, min_count: int,
                   max_count: int) -> int:
        """How many servers of the flavor the project may add: `max_count` if they fit,
        else the most that fit when that is at least `min_count` (Nova's
        _check_num_instances_quota); OverLimit when not even `min_count` fit."""
        def refusal(n: int) -> OverLimit | None:
            try:
                self.p.quota_check(uow, project_id, instances=n, cores=n * flavor.vcpus,
                                   ram=n * flavor.ram_mb)
            except OverLimit as exc:
                return exc
            return None

        if refusal(max_count) is None:
            return max_count
        refused = refusal(min_count)
        if refused is not None:
            raise refused
        # min_count fits and max_count does not: the most that fit lies in between.
        low, high = min_count, max_count - 1
        while low < high:
            middle = (low + high + 1) // 2
            if refusal(middle) is None:
                low = middle
            else:
                high = middle - 1
        return low

    @staticmethod
    def check_user_data(user_data: str | None) -> str | None:
        if user_data is None:
            return None
        if len(user_data) > MAX_USER_DATA:
            raise ValidationError(ComputeFault.SERVER_USER_DATA_TOO_LARGE, limit=MAX_USER_DATA)
        try:
            base64.b64decode(user_data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(ComputeFault.SERVER_USER_DATA_NOT_BASE64) from exc
        return user_data

    def _flavor(self, uow: UnitOfWork, ctx: RequestContext, ref: str) -> Flavor:
        flavor_id = ref.rstrip("/").rsplit("/", 1)[-1]
        flavor = uow.flavors.get(flavor_id)
        if flavor is None or (
                not flavor.is_public
                and not policy.may(ctx, "compute:server:use_any_flavor",
                                   policy.Target(project_id=ctx.project_id))
                and uow.flavor_access.first(flavor_id=flavor.id, project_id=ctx.project_id)
                is None):
            raise ValidationError(ComputeFault.SERVER_FLAVOR_NOT_FOUND, flavor_id=flavor_id)
        if flavor.disabled:
            raise ValidationError(ComputeFault.SERVER_FLAVOR_DISABLED, flavor_id=flavor_id)
        return flavor

    def _image_defined_volumes(self, ctx: RequestContext, new: NewServer) -> NewServer:
        """An image naming block devices (a volume-backed server's snapshot): the create
        makes them as Nova does, the request's own mappings first. An unknown image is
        left to boot_image's refusal."""
        try:
            image = self.p.images.describe(ctx, new.image_ref)
        except NotFound:
            return new
        defined = boot_volumes.image_volumes(image)
        if not defined:
            return new
        return replace(new, volumes=boot_volumes.merge(defined, new.volumes))

    @staticmethod
    def _fits(flavor: Flavor, image: ImageInfo, disk: bool = True) -> None:
        ids = {"flavor_id": flavor.id, "image_id": image.id}
        if flavor.ram_mb < image.min_ram:
            raise ValidationError(ComputeFault.SERVER_FLAVOR_RAM_TOO_SMALL, **ids)
        if not disk:
            return
        if flavor.disk_gb and flavor.disk_gb < image.min_disk:
            raise ValidationError(ComputeFault.SERVER_FLAVOR_DISK_TOO_SMALL, **ids)
        if flavor.disk_gb and image.size and image.size > flavor.disk_gb * 1024**3:
            raise ValidationError(ComputeFault.SERVER_FLAVOR_DISK_TOO_SMALL, **ids)

    @staticmethod
    def _next_number(uow: UnitOfWork) -> int:
        return uow.compute.next_server_number()

    # -- reading ---------------------------------------------------------------------------
    def get(self, ctx: RequestContext, server_id: str, include_deleted: bool = False
            ) -> Server:
        with self.p.uow() as uow:
            return self.server(uow, ctx, server_id, include_deleted)

    def migrations(self, ctx: RequestContext, action: MigrationRow,
                   server_id: str | None = None) -> list[dict[str, Any]]:
        """os-migrations, or one server's: nuage neither resizes nor migrates, so there are
        none. `action` is the policy row asked (a listing, or one server's list or one
        migration: each refusal is worded after its own); a server must exist."""
        policy.enforce(ctx, action)
        if server_id is not None:
            self.get(ctx, server_id)
        return []

    def find(self, ctx: RequestContext, q: ServerQuery) -> list[Server]:
        if ctx.project_id is None:
            # A list is of a project, or of all of them from one (no system-scoped lists).
            raise Forbidden(CommonFault.POLICY_DENIED, action="compute:server:list")
        with self.p.uow() as uow:
            filters: dict[str, Any] = {}
            if q.changes_since is None and q.changes_before is None:
                filters["deleted"] = False
            if q.all_projects and policy.may(ctx, "compute:server:list_all_projects"):
                if q.project_id:
                    filters["project_id"] = q.project_id
            else:
                policy.enforce(ctx, "compute:server:list",
                               policy.Target(project_id=ctx.project_id))
                filters["project_id"] = ctx.project_id
            found = uow.servers.find(**filters)
        out = []
        pattern = _regex(q.name) if q.name else None
        exact = server_filters.allowed(ctx, dict(q.exact), q.extended_filters)
        for s in sorted(found, key=lambda s: (s.created_at, s.id), reverse=True):
            if exact and not server_filters.matches(s, exact):
                continue
            if pattern is not None and not pattern.search(s.name):
                continue
            if q.status and s.status != q.status.upper():
                continue
            if q.changes_since and s.updated_at < q.changes_since:
                continue
            if q.changes_before and s.updated_at > q.changes_before:
                continue
            if q.image and s.image_id != q.image:
                continue
            if q.flavor and s.flavor_id != q.flavor:
                continue
            if not _tags_match(set(s.tags), q):
                continue
            out.append(s)
        if (q.ip or q.ip6) and out:
            out = self._with_ips(out, q.ip, q.ip6)
        if q.marker is not None:
            ids = [s.id for s in out]
            if q.marker not in ids:
                raise ValidationError(ComputeFault.SERVER_MARKER_NOT_FOUND, marker=q.marker)
            out = out[ids.index(q.marker) + 1:]
        if q.limit is not None:
            out = out[: q.limit]
        return out

    def _with_ips(self, servers: list[Server], ip: str | None, ip6: str | None
                  ) -> list[Server]:
        """The servers with a fixed address the `ip` (IPv4) or `ip6` (IPv6) pattern matches
        from its start, as Nova's filter does; none without a network service."""
        if self.p.networks is None:
            return []
        with self.p.uow() as uow:
            nics = self.p.networks.describe(uow, [s.id for s in servers])
        patterns = {4: _regex(ip) if ip else None, 6: _regex(ip6) if ip6 else None}

        def matches(server: Server) -> bool:
            for nic in nics.get(server.id, []):
                for address in nic.addresses:
                    pattern = patterns.get(address.version)
                    if pattern is not None and pattern.match(address.address):
                        return True
            return False
        return [s for s in servers if matches(s)]

    # -- changing --------------------------------------------------------------------------
    def update(self, ctx: RequestContext, server_id: str, changes: dict[str, Any]) -> Server:
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, "compute:server:update", server)
            if "description" in changes:
                check_description(changes["description"])
            for key in ("name", "access_ipv4", "access_ipv6", "description", "hostname"):
                if key in changes:
                    setattr(server, key, changes[key])
            server.updated_at = self.p.clock.now()
            self.p.auditor.record(uow, ctx, "compute.server.update", "server", server.id,
                                  project_id=server.project_id)
            uow.commit()
            return server

    def delete(self, ctx: RequestContext, server_id: str) -> None:
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, "compute:server:delete", server)
            self.require_unlocked(ctx, server)
            if server.host is None:
                # Never scheduled: nothing on any host to clean up.
                server.deleted, server.vm_state = True, VmState.DELETED.value
                server.terminated_at = self.p.clock.now()
                scheduler.release(uow, server.id)
                if self.p.networks is not None:
                    self.p.networks.release(uow, server.id)
                if self.p.volumes is not None:
                    self.p.volumes.release(uow, server.id)
            else:
                server.task_state = TaskState.DELETING.value
            server.updated_at = self.p.clock.now()
            self.action(uow, ctx, server, "delete")
            host = server.host
            uow.commit()
        self.wake_agents([host])

    def set_metadata(self, ctx: RequestContext, server_id: str, metadata: dict[str, str],
                     replace: bool) -> dict[str, str]:
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, "compute:server:set_metadata", server)
            self.require_unlocked(ctx, server)
            merged = dict(metadata) if replace else {**server.metadata, **metadata}
            server.metadata = check_metadata(merged)
            server.updated_at = self.p.clock.now()
            self.p.auditor.record(uow, ctx, "compute.server.metadata", "server", server.id,
                                  project_id=server.project_id)
            uow.commit()
            return dict(server.metadata)

    def delete_metadata(self, ctx: RequestContext, server_id: str, key: str) -> None:
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id, for_update=True)
            self.enforce(ctx, "compute:server:delete_metadata", server)
            self.require_unlocked(ctx, server)
            if key not in server.metadata:
                raise NotFound("metadata item", key)
            server.metadata = {k: v for k, v in server.metadata.items() if k != key}
            server.updated_at = self.p.clock.now()
            self.p.auditor.record(uow, ctx, "compute.server.metadata", "server", server.id,
                                  project_id=server.project_id, detail={"deleted": key})
            uow.commit()

    # -- tags (2.26) --------------------------------------------------------------------------
    def tags(self, ctx: RequestContext, server_id: str) -> list[str]:
        with self.p.uow() as uow:
            return list(self.server(uow, ctx, server_id).tags)

    def has_tag(self, ctx: RequestContext, server_id: str, tag: str) -> None:
        """NotFound unless the server has the tag."""
        if tag not in self.tags(ctx, server_id):
            raise TagNotFound(ComputeFault.SERVER_TAG_ABSENT, server_id, tag)

    def _taggable(self, uow: UnitOfWork, ctx: RequestContext, server_id: str,
                  what: str) -> Server:
        server = self.server(uow, ctx, server_id, for_update=True)
        self.enforce(ctx, "compute:server:update_tags", server)
        if server.vm_state not in TAGGABLE_STATES:
            raise Conflict(ComputeFault.SERVER_VM_STATE_CONFLICT, action=what,
                           server_id=server.id, vm_state=server.vm_state)
        return server

    def _store_tags(self, uow: UnitOfWork, ctx: RequestContext, server: Server,
                    tags: list[str], detail: dict[str, Any]) -> list[str]:
        # Sorted, as Nova lists them (its tags table's primary key order).
        server.tags = sorted(set(tags))
        server.updated_at = self.p.clock.now()
        self.p.auditor.record(uow, ctx, "compute.server.tags", "server", server.id,
                              project_id=server.project_id, detail=detail)
        uow.commit()
        return list(server.tags)

    def add_tag(self, ctx: RequestContext, server_id: str, tag: str) -> bool:
        """Adds one tag; False if the server had it already (nothing changes)."""
        with self.p.uow(write=True) as uow:
            server = self._taggable(uow, ctx, server_id, "update tag")
            problem = tag_problem(tag)
            if problem is not None:
                raise ValidationError(ComputeFault.SERVER_TAG_INVALID, tag=tag,
                                      problem=problem)
            # Nova counts before it looks: a server at the limit refuses even a tag it has.
            if len(server.tags) >= MAX_TAGS:
                raise ValidationError(ComputeFault.SERVER_TAG_LIMIT_REACHED, limit=MAX_TAGS)
            if tag in server.tags:
                return False
            self._store_tags(uow, ctx, server, [*server.tags, tag], {"added": [tag]})
            return True

    def replace_tags(self, ctx: RequestContext, server_id: str, tags: list[str]
                     ) -> list[str]:
        check_tags(tags)
        with self.p.uow(write=True) as uow:
            server = self._taggable(uow, ctx, server_id, "update tags")
            return self._store_tags(uow, ctx, server, tags, {"tags": sorted(set(tags))})

    def delete_tag(self, ctx: RequestContext, server_id: str, tag: str) -> None:
        with self.p.uow(write=True) as uow:
            server = self._taggable(uow, ctx, server_id, "delete tag")
            if tag not in server.tags:
                raise TagNotFound(ComputeFault.SERVER_TAG_NOT_FOUND, server.id, tag)
            self._store_tags(uow, ctx, server, [t for t in server.tags if t != tag],
                             {"removed": [tag]})

    def delete_tags(self, ctx: RequestContext, server_id: str) -> None:
        with self.p.uow(write=True) as uow:
            server = self._taggable(uow, ctx, server_id, "delete tags")
            self._store_tags(uow, ctx, server, [], {"tags": []})

    def image_properties(self, ctx: RequestContext, image_ids: set[str]
                         ) -> dict[str, dict[str, Any]]:
        """The properties of the servers' images the caller can see (2.98 shows them;
        Nova keeps a copy taken at boot, nuage reads the image: an image gone or no
        longer visible shows none)."""
        found: dict[str, dict[str, Any]] = {}
        for image_id in sorted(image_ids):
            try:
                found[image_id] = dict(self.p.images.describe(ctx, image_id).properties)
            except NotFound:
                continue
        return found

    def nics(self, servers: Iterable[Server]) -> dict[str, list[ServerNic]]:
        """The NICs of servers the caller was shown (for `addresses` in their views)."""
        if self.p.networks is None:
            return {}
        with self.p.uow() as uow:
            return self.p.networks.describe(uow, [s.id for s in servers])

    def volumes(self, servers: Iterable[Server]) -> dict[str, list[ServerVolume]]:
        """The volumes of servers the caller was shown (`volumes_attached` in views)."""
        ids = [s.id for s in servers]
        if self.p.volumes is None or not ids:
            return {}
        with self.p.uow() as uow:
            return self.p.volumes.describe(uow, ids)

    def security_groups(self, ctx: RequestContext, servers: Iterable[Server]
                        ) -> dict[str, list[ServerGroup]]:
        """The security groups on the ports of servers the caller was shown (views)."""
        if self.p.networks is None:
            return {}
        with self.p.uow() as uow:
            return self.p.networks.groups(uow, ctx, [s.id for s in servers])

    def server_security_groups(self, ctx: RequestContext, server_id: str
                               ) -> list[ServerGroup]:
        """GET /servers/{id}/os-security-groups."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, "compute:server:security_groups:list", server)
            if self.p.networks is None:
                return []
            return self.p.networks.groups(uow, ctx, [server.id]).get(server.id, [])

    def add_security_group(self, ctx: RequestContext, server_id: str, name: str) -> None:
        """Nova's addSecurityGroup: onto every port of the server (network service)."""
        self._change_groups(ctx, server_id, name, add=True)

    def remove_security_group(self, ctx: RequestContext, server_id: str, name: str) -> None:
        self._change_groups(ctx, server_id, name, add=False)

    def _change_groups(self, ctx: RequestContext, server_id: str, name: str,
                       add: bool) -> None:
        with self.p.uow(write=True) as uow:
            server = self.server(uow, ctx, server_id)
            self.enforce(ctx, "compute:server:security_groups:update", server)
            if self.p.networks is None:
                # No ports at all: Nova's answer for a server without any.
                raise NotFound("server", server.id, ComputeFault.SERVER_WITHOUT_PORTS)
            change = self.p.networks.add_group if add else self.p.networks.remove_group
            hosts = change(uow, ctx, server.id, name)
            uow.commit()
        # The hosts' network agents apply the changed groups to the ports' filters.
        self.p.networks.wake(hosts)

    def console_output(self, ctx: RequestContext, server_id: str, length: int | None) -> str:
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
        # Nova's os_compute_api:os-console-output is PROJECT_MEMBER_OR_ADMIN: the console
        # may show secrets the guest prints (keys, passwords), so readers do not get it.
        self.enforce(ctx, "compute:server:console_output", server)
        if server.host is None or server.vm_state in (VmState.BUILDING.value,
                                                      VmState.ERROR.value):
            raise Conflict(ComputeFault.SERVER_NO_CONSOLE, server_id=server.id)
        try:
            return self.p.agents.console_output(server.host, server.id, length)
        except LookupError as exc:
            raise Conflict(ComputeFault.SERVER_HOST_UNREACHABLE, server_id=server.id) from exc

    def actions(self, ctx: RequestContext, server_id: str, include_deleted: bool = False
                ) -> list[InstanceAction]:
        """`include_deleted` (2.21): a deleted server's actions are still shown."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id, include_deleted)
            found = uow.instance_actions.find(server_id=server.id)
            return sorted(found, key=lambda a: a.start_time, reverse=True)


def network_requests(networks: str | list[dict[str, Any]] | None
                     ) -> tuple[NetworkRequest, ...] | None:
    """A create's `networks`: None for "auto" (or none given, as Nova before 2.37 picks
    the one network there is), () for "none", else one request per entry ({"uuid"},
    {"port"}, {"uuid", "fixed_ip"}; Nova's schema, with a device `tag` the adapter let
    through at its microversion, kept on the port and shown by os-interface)."""
    if networks is None or networks == "auto":
        return None
    if networks == "none":
        return ()
    if not isinstance(networks, list):
        raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="networks")
    out = []
    for entry in networks:
        if not isinstance(entry, dict) or set(entry) - {"uuid", "port", "fixed_ip", "tag"}:
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="networks")
        port, net, fixed = entry.get("port"), entry.get("uuid"), entry.get("fixed_ip")
        tag = entry.get("tag")
        for value in (port, net, fixed, tag):
            if value is not None and not isinstance(value, str):
                raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="networks")
        if port:
            # Nova: a port brings its own network and addresses; the rest is ignored.
            out.append(NetworkRequest(port_id=port, tag=tag))
        elif net:
            if fixed is not None:
                try:
                    fixed = str(ipaddress.ip_address(fixed))
                except ValueError as exc:
                    raise ValidationError(ComputeFault.SERVER_FIELD_INVALID,
                                          field="fixed_ip") from exc
            out.append(NetworkRequest(network_id=net, fixed_ip=fixed, tag=tag))
        else:
            raise ValidationError(ComputeFault.SERVER_FIELD_INVALID, field="networks")
    return tuple(out)


def check_description(description: str | None) -> None:
    """Nova's server description (2.19): null, or at most 255 printable characters."""
    if description is None:
        return
    if not isinstance(description, str) or len(description) > 255 or not all(
            c.isprintable() for c in description):
        raise ValidationError(ComputeFault.SERVER_DESCRIPTION_INVALID, description=description)


def check_tags(tags: list[str]) -> None:
    for tag in tags:
        problem = tag_problem(tag)
        if problem is not None:
            raise ValidationError(ComputeFault.SERVER_TAGS_INVALID, tags=tags, problem=problem)
    if len(tags) > MAX_TAGS:
        raise ValidationError(ComputeFault.SERVER_TAGS_TOO_MANY, tags=tags, limit=MAX_TAGS)


def _target(server: Server) -> policy.Target:
    """What a server's policy rows compare with the caller's scope."""
    return policy.Target(project_id=server.project_id, user_id=server.user_id)


def _tags_match(tags: set[str], q: ServerQuery) -> bool:
    if q.tags and not tags.issuperset(q.tags):
        return False
    if q.tags_any and not tags.intersection(q.tags_any):
        return False
    if q.not_tags and tags.issuperset(q.not_tags):
        return False
    return not (q.not_tags_any and tags.intersection(q.not_tags_any))


def _flavor_snapshot(flavor: Flavor) -> dict[str, Any]:
    return {"id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus, "ram": flavor.ram_mb,
            "disk": flavor.disk_gb, "ephemeral": flavor.ephemeral_gb, "swap": flavor.swap_mb,
            "extra_specs": dict(flavor.extra_specs)}


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error:
        return re.compile(re.escape(pattern))


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")

