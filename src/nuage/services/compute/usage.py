"""os-simple-tenant-usage: what each project's servers used within a time window.

Computed from the servers' own lifetimes, as Nova does (`simple_tenant_usage.py`): a server
counts from `launched_at` (a server that never booted is not charged) until
`terminated_at`, or the end of the window while it lives, clipped to the window; its
flavor (as copied into the server at create) gives vCPUs, RAM and disk. Deleted servers
are kept as rows, so they count for the windows they lived in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from nuage.domain import policy
from nuage.domain.compute import Server
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.services.compute.base import ResourceUseCases

# Nova's accepted spellings of `start` and `end` (naive times are UTC).
TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class ServerUsage:
    server: Server
    hours: float
    # "terminated" once the server has ended, else its vm_state.
    state: str
    uptime: int


@dataclass
class TenantUsage:
    tenant_id: str
    start: datetime
    stop: datetime
    total_hours: float = 0.0
    total_vcpus_usage: float = 0.0
    total_memory_mb_usage: float = 0.0
    total_local_gb_usage: float = 0.0
    servers: list[ServerUsage] = field(default_factory=list)


def parse_time(raw: str | None, now: datetime) -> datetime:
    """A window bound: absent or empty is now; otherwise one of Nova's formats (400)."""
    if not raw:
        return now
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValidationError(ComputeFault.USAGE_TIME_INVALID)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def hours_for(server: Server, start: datetime, stop: datetime) -> float:
    """Hours the server ran within [start, stop] (Nova's `_hours_for`)."""
    launched, terminated = _aware(server.launched_at), _aware(server.terminated_at)
    if launched is None or launched > stop or (terminated is not None and terminated < start):
        return 0.0
    end = min(stop, terminated) if terminated is not None else stop
    return max((end - max(launched, start)).total_seconds(), 0.0) / 3600.0


def active_in(server: Server, start: datetime, stop: datetime) -> bool:
    """Nova's `get_active_by_window`: launched before the end, not ended before the start."""
    launched, terminated = _aware(server.launched_at), _aware(server.terminated_at)
    return (launched is not None and launched < stop
            and (terminated is None or terminated > start))


@dataclass(frozen=True)
class UsagePage:
    """2.40: the servers counted are a page (after the server `marker`, at most `limit`);
    the totals are those of the page, as Nova computes them."""

    marker: str | None = None
    limit: int | None = None

    def cut(self, servers: list[Server]) -> list[Server]:
        if self.marker is not None:
            ids = [s.id for s in servers]
            if self.marker not in ids:
                raise ValidationError(ComputeFault.USAGE_MARKER_NOT_FOUND, marker=self.marker)
            servers = servers[ids.index(self.marker) + 1:]
        return servers if self.limit is None else servers[:self.limit]


class UsageService(ResourceUseCases):
    def window(self, start: str | None, end: str | None) -> tuple[datetime, datetime]:
        """The window asked for; 400 unless start < end. An end in the future is cut to
        now: usage is not forecast."""
        now = self.p.clock.now()
        now = _aware(now) or now
        period_start, period_stop = parse_time(start, now), parse_time(end, now)
        # Neither given: Nova reads the clock twice and the window is a moment long.
        if period_start > period_stop or (period_start == period_stop and (start or end)):
            raise ValidationError(ComputeFault.USAGE_WINDOW_INVALID)
        return period_start, min(period_stop, now)

    def all_projects(self, ctx: RequestContext, start: str | None, end: str | None,
                     page: UsagePage | None = None) -> list[TenantUsage]:
        """Every project's usage (administrators only); `page` (2.40) counts servers."""
        self.require_user(ctx)
        policy.enforce(ctx, "compute:usage:list")
        return self._usages(*self.window(start, end), None, page)

    def show(self, ctx: RequestContext, tenant_id: str, start: str | None, end: str | None,
             page: UsagePage | None = None) -> TenantUsage | None:
        """One project's usage, for its members or administrators; None when it used
        nothing in the window (Nova answers `{}`)."""
        self.require_user(ctx)
        policy.enforce(ctx, "compute:usage:show", policy.Target(project_id=tenant_id))
        found = self._usages(*self.window(start, end), tenant_id, page)
        return found[0] if found else None

    def _usages(self, start: datetime, stop: datetime, tenant_id: str | None,
                page: UsagePage | None = None) -> list[TenantUsage]:
        now = _aware(self.p.clock.now())
        assert now is not None
        with self.p.uow() as uow:
            found = (uow.servers.find(project_id=tenant_id) if tenant_id is not None
                     else uow.servers.find())
        by_project: dict[str, TenantUsage] = {}
        counted = [s for s in sorted(found, key=lambda s: (s.created_at, s.id))
                   if active_in(s, start, stop)]
        if page is not None:
            counted = page.cut(counted)
        for server in counted:
            launched, terminated = _aware(server.launched_at), _aware(server.terminated_at)
            assert launched is not None
            hours = hours_for(server, start, stop)
            uptime = (terminated if terminated is not None else now) - launched
            usage = ServerUsage(server, hours,
                                "terminated" if terminated is not None else server.vm_state,
                                int(uptime.total_seconds()))
            total = by_project.setdefault(server.project_id,
                                          TenantUsage(server.project_id, start, stop))
            flavor = server.flavor
            total.total_hours += hours
            total.total_vcpus_usage += int(flavor.get("vcpus", 0)) * hours
            total.total_memory_mb_usage += int(flavor.get("ram", 0)) * hours
            total.total_local_gb_usage += local_gb(server) * hours
            total.servers.append(usage)
        return [by_project[p] for p in sorted(by_project)]


def local_gb(server: Server) -> int:
    """Root plus ephemeral disk, as Nova counts `local_gb`."""
    return int(server.flavor.get("disk", 0)) + int(server.flavor.get("ephemeral", 0) or 0)
