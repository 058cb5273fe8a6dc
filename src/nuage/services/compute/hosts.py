"""Compute hosts: registration and heartbeats from the agents, and the operator's views of
them (availability zones, hypervisors, services).

A host is up while its agent's heartbeat is younger than `service_down_time`. The control
plane's own services (nova-scheduler, nova-conductor in Nova's vocabulary) run inside the
API process, so they are up whenever it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nuage.domain import policy
from nuage.domain.compute import (
    Allocation,
    ComputeHost,
    host_status,
    hypervisor_uuid,
    service_uuid,
)
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Forbidden, NotFound, ValidationError
from nuage.ports.compute import AgentChannel
from nuage.ports.compute_agent import AllocationRatios as AllocationRatios  # re-exported
from nuage.ports.hypervisor import HostCapabilities
from nuage.ports.repositories import UnitOfWork
from nuage.services.compute.base import ResourcePorts, ResourceUseCases

INTERNAL_ZONE = "internal"
# Service ids: the two control-plane services, then one nova-compute per host (by host id).
SCHEDULER_ID, CONDUCTOR_ID, COMPUTE_ID_BASE = 1, 2, 100


@dataclass(frozen=True)
class HostView:
    """A host with what is allocated on it and whether it is up."""

    host: ComputeHost
    up: bool
    vcpus_used: int
    memory_mb_used: int
    disk_gb_used: int
    running_vms: int

    @property
    def id(self) -> int:
        return int(self.host.id or 0)

    @property
    def uuid(self) -> str:
        return hypervisor_uuid(self.host.hostname)


@dataclass(frozen=True)
class ServiceView:
    id: int
    binary: str
    host: str
    zone: str
    enabled: bool
    up: bool
    updated_at: datetime | None
    forced_down: bool = False
    disabled_reason: str | None = None

    @property
    def uuid(self) -> str:
        return service_uuid(self.binary, self.host)


@dataclass(frozen=True)
class HostResource:
    """One row of Nova's os-hosts/{host}: "(total)", "(used_now)", "(used_max)" or a
    project's servers on the host."""

    project: str
    cpu: int
    memory_mb: int
    disk_gb: int


# os-hosts names a service by its binary without the "nova-" prefix.
HOST_SERVICES = {"nova-compute": "compute", "nova-scheduler": "scheduler",
                 "nova-conductor": "conductor"}
# Host actions Nova's API has but nuage does not offer (Nova's libvirt driver neither).
HOST_ACTIONS = ("startup", "shutdown", "reboot", "maintenance_mode")


@dataclass(frozen=True)
class ZoneView:
    name: str
    available: bool
    # host -> service binary -> (enabled, up, updated_at); only filled for the detail view.
    hosts: dict[str, dict[str, tuple[bool, bool, datetime | None]]] | None


class HostService(ResourceUseCases):
    def __init__(self, ports: ResourcePorts, agents: AgentChannel | None = None) -> None:
        """`agents` reaches the hosts' agents (the uptime); without it none is reachable."""
        super().__init__(ports)
        self.agents = agents

    # -- the agent's side --------------------------------------------------------------------
    def register(self, capabilities: HostCapabilities,
                 ratios: AllocationRatios | None = None,
                 availability_zone: str | None = None) -> ComputeHost:
        """Create or refresh the host's record; idempotent (an agent calls it at start)."""
        r = ratios or AllocationRatios()
        now = self.p.clock.now()
        with self.p.uow(write=True) as uow:
            host = uow.compute_hosts.first(hostname=capabilities.hostname)
            if host is None:
                host = ComputeHost(
                    hostname=capabilities.hostname, vcpus=capabilities.vcpus,
                    memory_mb=capabilities.memory_mb, disk_gb=capabilities.disk_gb,
                    accelerator=capabilities.accelerator,
                    hypervisor_type=capabilities.hypervisor_type,
                    cpu_allocation_ratio=r.cpu, ram_allocation_ratio=r.ram,
                    disk_allocation_ratio=r.disk,
                    availability_zone=availability_zone or "nova", enabled=True,
                    last_seen=now)
                uow.compute_hosts.add(host)
            else:
                host.vcpus = capabilities.vcpus
                host.memory_mb = capabilities.memory_mb
                host.disk_gb = capabilities.disk_gb
                host.accelerator = capabilities.accelerator
                host.hypervisor_type = capabilities.hypervisor_type
                host.cpu_allocation_ratio = r.cpu
                host.ram_allocation_ratio = r.ram
                host.disk_allocation_ratio = r.disk
                if availability_zone:
                    host.availability_zone = availability_zone
                host.last_seen = now
            uow.commit()
            return host

    def heartbeat(self, hostname: str) -> None:
        """The agent is alive; NotFound if the host never registered."""
        with self.p.uow(write=True) as uow:
            host = uow.compute_hosts.first(hostname=hostname)
            if host is None:
                raise NotFound("compute host", hostname)
            host.last_seen = self.p.clock.now()
            uow.commit()

    # -- reading -------------------------------------------------------------------------------
    def _up(self, host: ComputeHost, now: datetime) -> bool:
        return (not host.forced_down and host.last_seen is not None
                and (now - host.last_seen).total_seconds() <= self.p.config.service_down_time)

    def _views(self, uow: UnitOfWork) -> list[HostView]:
        now = self.p.clock.now()
        hosts = sorted(uow.compute_hosts.find(), key=lambda h: h.id or 0)
        by_host: dict[str, list[Allocation]] = {}
        for a in uow.allocations.find():
            by_host.setdefault(a.hostname, []).append(a)
        return [HostView(host=h, up=self._up(h, now),
                         vcpus_used=sum(a.vcpus for a in by_host.get(h.hostname, [])),
                         memory_mb_used=sum(a.memory_mb for a in by_host.get(h.hostname, [])),
                         disk_gb_used=sum(a.disk_gb for a in by_host.get(h.hostname, [])),
                         running_vms=len(by_host.get(h.hostname, [])))
                for h in hosts]

    @staticmethod
    def _admin_only(ctx: RequestContext, row: str) -> None:
        """The policy `row` decides; an unauthenticated caller gets the 403 Nova's
        operator APIs answer, before any row is asked."""
        if not ctx.authenticated:
            raise Forbidden(ComputeFault.HOST_AUTHENTICATION_REQUIRED)
        policy.enforce(ctx, row)

    def hypervisors(self, ctx: RequestContext) -> list[HostView]:
        self._admin_only(ctx, "compute:hypervisor:list")
        with self.p.uow() as uow:
            return self._views(uow)

    def hypervisor(self, ctx: RequestContext, hypervisor_id: str) -> HostView:
        self._admin_only(ctx, "compute:hypervisor:show")
        with self.p.uow() as uow:
            for view in self._views(uow):
                # By id below 2.53, by UUID from it: both name one host.
                if hypervisor_id in (str(view.id), view.uuid):
                    return view
        raise NotFound("hypervisor", hypervisor_id)

    def uptime(self, ctx: RequestContext, hypervisor_id: str) -> tuple[HostView, str]:
        """The host's `uptime` line, asked of its agent now (Nova's hypervisor uptime).
        400 when the host is down or its agent does not answer, as Nova refuses a compute
        service that is unavailable."""
        self._admin_only(ctx, "compute:hypervisor:uptime")
        view = self.hypervisor(ctx, hypervisor_id)
        unavailable = ValidationError(ComputeFault.HOST_UNAVAILABLE, host=view.host.hostname)
        if not view.up or self.agents is None:
            raise unavailable
        try:
            return view, self.agents.host_uptime(view.host.hostname)
        except LookupError as exc:
            raise unavailable from exc

    def search(self, ctx: RequestContext, pattern: str) -> list[HostView]:
        """Hypervisors whose name contains `pattern` (Nova's os-hypervisors/{p}/search)."""
        self._admin_only(ctx, "compute:hypervisor:search")
        with self.p.uow() as uow:
            found = [v for v in self._views(uow) if pattern in v.host.hostname]
        if not found:
            raise NotFound("hypervisor", pattern, ComputeFault.HYPERVISOR_NO_MATCH)
        return found

    def servers_on(self, ctx: RequestContext, pattern: str, empty_ok: bool = False
                   ) -> list[tuple[HostView, list[tuple[str, str]]]]:
        """Hypervisors matching `pattern`, each with its servers' (id, name); NotFound
        when none matches, unless `empty_ok` (2.53's with_servers lists all)."""
        self._admin_only(ctx, "compute:hypervisor:servers")
        with self.p.uow() as uow:
            found = [v for v in self._views(uow) if pattern in v.host.hostname]
            out = [(v, [(s.id, s.name) for s in uow.servers.find(host=v.host.hostname,
                                                                deleted=False)])
                   for v in found]
        if not out and not empty_ok:
            raise NotFound("hypervisor", pattern, ComputeFault.HYPERVISOR_NO_MATCH)
        return out

    def services(self, ctx: RequestContext, host: str | None = None,
                 binary: str | None = None) -> list[ServiceView]:
        self._admin_only(ctx, "compute:service:list")
        control = self.p.config.control_host
        now = self.p.clock.now()
        out = [ServiceView(SCHEDULER_ID, "nova-scheduler", control, INTERNAL_ZONE, True, True,
                           now),
               ServiceView(CONDUCTOR_ID, "nova-conductor", control, INTERNAL_ZONE, True, True,
                           now)]
        with self.p.uow() as uow:
            for h in sorted(uow.compute_hosts.find(), key=lambda h: h.id or 0):
                out.append(ServiceView(COMPUTE_ID_BASE + int(h.id or 0), "nova-compute",
                                       h.hostname, h.availability_zone, h.enabled,
                                       self._up(h, now), h.last_seen, h.forced_down,
                                       h.disabled_reason))
        return [s for s in out if (host is None or s.host == host)
                and (binary is None or s.binary == binary)]

    def service(self, ctx: RequestContext, service_uuid: str) -> ServiceView:
        """A service by its UUID (2.53)."""
        for found in self.services(ctx):
            if found.uuid == service_uuid:
                return found
        raise NotFound("service", service_uuid)

    def set_enabled(self, ctx: RequestContext, host: str, binary: str, enabled: bool,
                    reason: str | None = None) -> ServiceView:
        """Enable or disable a host's nova-compute: the scheduler skips disabled hosts.
        `reason` is kept while it is disabled (enabling clears it)."""
        if reason is not None and (enabled or not 0 < len(reason) <= 255):
            raise ValidationError(ComputeFault.COMPUTE_SERVICE_REASON_INVALID)
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:service:update", "compute.service.update",
                         "compute_host", host)
            if binary != "nova-compute":
                raise ValidationError(ComputeFault.COMPUTE_SERVICE_NOT_TOGGLEABLE, binary=binary)
            found = uow.compute_hosts.first(hostname=host)
            if found is None:
                raise NotFound("compute service", host, ComputeFault.COMPUTE_SERVICE_NOT_FOUND,
                               binary=binary)
            found.enabled = enabled
            found.disabled_reason = None if enabled else reason
            self.record(uow, ctx, "compute.service.enable" if enabled
                        else "compute.service.disable", "compute_host", host,
                        detail={"disabled_reason": reason} if reason else None)
            uow.commit()
            return ServiceView(COMPUTE_ID_BASE + int(found.id or 0), binary, host,
                               found.availability_zone, enabled,
                               self._up(found, self.p.clock.now()), found.last_seen,
                               found.forced_down, found.disabled_reason)

    def force_down(self, ctx: RequestContext, host: str, binary: str, forced_down: bool
                   ) -> ServiceView:
        """os-services force-down (2.11): the host's nova-compute counts as down (not
        scheduled onto, servers' host_status DOWN) until the operator lifts it."""
        with self.p.uow(write=True) as uow:
            self.enforce(uow, ctx, "compute:service:force_down", "compute.service.force_down",
                         "compute_host", host)
            if binary != "nova-compute":
                raise ValidationError(ComputeFault.COMPUTE_SERVICE_NOT_FORCEABLE, binary=binary)
            found = uow.compute_hosts.first(hostname=host)
            if found is None:
                raise NotFound("compute service", host, ComputeFault.COMPUTE_SERVICE_NOT_FOUND,
                               binary=binary)
            found.forced_down = forced_down
            self.record(uow, ctx, "compute.service.force_down", "compute_host", host,
                        detail={"forced_down": forced_down})
            uow.commit()
            return ServiceView(COMPUTE_ID_BASE + int(found.id or 0), binary, host,
                               found.availability_zone, found.enabled,
                               self._up(found, self.p.clock.now()), found.last_seen,
                               forced_down, found.disabled_reason)

    def host_statuses(self, ctx: RequestContext, hostnames: set[str]) -> dict[str, str]:
        """Nova's host_status (2.16, administrators only) of each named host; a name with
        no host record gets UNKNOWN."""
        self._admin_only(ctx, "compute:host:show_status")
        now = self.p.clock.now()
        with self.p.uow() as uow:
            found = {h.hostname: h for h in uow.compute_hosts.find(hostname=list(hostnames))}
        return {name: (host_status(found[name], self._up(found[name], now)) if name in found
                       else "UNKNOWN") for name in hostnames}

    # -- os-hosts (Nova's deprecated per-host view, served at 2.1) -------------------------
    def hosts(self, ctx: RequestContext, zone: str | None = None
              ) -> list[tuple[str, str, str]]:
        """(host name, service, zone) for every service; `zone` ("" = all) filters."""
        self._admin_only(ctx, "compute:host:list")
        return [(v.host, HOST_SERVICES.get(v.binary, v.binary), v.zone)
                for v in self.services(ctx) if not zone or v.zone == zone]

    def host_detail(self, ctx: RequestContext, hostname: str) -> list[HostResource]:
        """A compute host's capacity, what is allocated on it, and its use per project."""
        self._admin_only(ctx, "compute:host:show")
        with self.p.uow() as uow:
            view = next((v for v in self._views(uow) if v.host.hostname == hostname), None)
            if view is None:
                raise NotFound("compute host", hostname)
            servers = uow.servers.find(host=hostname, deleted=False)
        h = view.host
        rows = [HostResource("(total)", h.vcpus, h.memory_mb, h.disk_gb),
                HostResource("(used_now)", view.vcpus_used, view.memory_mb_used,
                             view.disk_gb_used)]
        per_project: dict[str, list[int]] = {}
        for server in servers:
            used = per_project.setdefault(server.project_id, [0, 0, 0])
            for i, key in enumerate(("vcpus", "ram", "disk")):
                used[i] += int(server.flavor.get(key, 0))
        rows.append(HostResource("(used_max)", *(sum(u[i] for u in per_project.values())
                                                 for i in range(3))))
        rows += [HostResource(project, *used) for project, used in sorted(per_project.items())]
        return rows

    def host_action(self, ctx: RequestContext, hostname: str, action: str) -> None:
        """Power actions and maintenance mode: refused (400) for an existing host, after
        the admin check (403) and the host lookup (404), as Nova orders them."""
        if not ctx.authenticated:
            raise Forbidden(ComputeFault.HOST_AUTHENTICATION_REQUIRED)
        if not policy.may(ctx, "compute:host:action"):
            # Nova's policy name quotes the action, whatever it is.
            raise Forbidden(ComputeFault.HOST_ACTION_DENIED, host_action=action)
        if action not in HOST_ACTIONS:
            raise ValidationError(ComputeFault.HOST_ACTION_UNKNOWN, host_action=action)
        with self.p.uow() as uow:
            if uow.compute_hosts.first(hostname=hostname) is None:
                raise NotFound("compute host", hostname)
        raise ValidationError(ComputeFault.HOST_ACTION_UNSUPPORTED, host_action=action)

    def zones(self, ctx: RequestContext, detail: bool = False) -> list[ZoneView]:
        """Zones that have hosts; the detail view (admins) lists hosts and services, and
        the control plane's `internal` zone."""
        self.require_user(ctx)
        if detail:
            self._admin_only(ctx, "compute:availability_zone:detail")
        now = self.p.clock.now()
        with self.p.uow() as uow:
            hosts = uow.compute_hosts.find()
        names = sorted({h.availability_zone for h in hosts})
        out: list[ZoneView] = []
        for name in names:
            members = [h for h in hosts if h.availability_zone == name]
            available = any(h.enabled and self._up(h, now) for h in members)
            if not detail:
                out.append(ZoneView(name, available, None))
                continue
            out.append(ZoneView(name, available, {
                h.hostname: {"nova-compute": (h.enabled, self._up(h, now), h.last_seen)}
                for h in members}))
        if detail:
            control = self.p.config.control_host
            out.append(ZoneView(INTERNAL_ZONE, True, {control: {
                "nova-scheduler": (True, True, now), "nova-conductor": (True, True, now)}}))
        return out
