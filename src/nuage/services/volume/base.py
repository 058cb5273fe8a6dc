"""What the volume use cases share: ports, settings, who sees which volume, keys, paging,
the audit record and waking the host's volume agent."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from nuage.domain import policy
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Forbidden, NotFound, ValidationError
from nuage.domain.policy import Target
from nuage.domain.volume import (
    DEFAULT_TYPE_NAME,
    Backup,
    Snapshot,
    Volume,
    VolumeType,
)
from nuage.domain.volume_errors import VolumeFault
from nuage.ports.blobs import KeyStore
from nuage.ports.block_devices import VolumeConnection, VolumeKey
from nuage.ports.clock import Clock
from nuage.ports.compute import ImageSource
from nuage.ports.repositories import Repository, UnitOfWork, UnitOfWorkFactory
from nuage.services.audit import Auditor

log = logging.getLogger(__name__)

KEY_BYTES = 32
T = TypeVar("T")


@dataclass(frozen=True)
class VolumeQuotaDefaults:
    """Cinder's default quotas (quota_volumes, quota_snapshots, quota_gigabytes,
    quota_backups, quota_backup_gigabytes, per_volume_size_limit, quota_groups); -1: none.
    Per-type limits (volumes_<type>, ...) default to -1, as Cinder's."""

    volumes: int = 10
    gigabytes: int = 1000
    snapshots: int = 10
    backups: int = 10
    backup_gigabytes: int = 1000
    per_volume_gigabytes: int = -1
    groups: int = 10


@dataclass(frozen=True)
class VolumeConfig:
    # The host whose volume agent keeps new volumes (one host today: the agent's own
    # name, as compute places servers).
    host: str = "localhost"
    availability_zone: str = "nova"
    quotas: VolumeQuotaDefaults = VolumeQuotaDefaults()
    # Cinder's osapi_max_limit: a list never returns more than this at once.
    max_page: int = 1000
    # Where backups go in the project's object storage when the request names none.
    backup_container: str = "volumebackups"


def _no_wake(host: str) -> None:
    """No agent to wake (tests of the use cases alone)."""


class VolumeAgentBells:
    """Wakes the volume agents running in this process (a message bus between machines
    later): each agent registers its wake-up for its host; the use cases ring a host
    after a commit that gives its agent work. Thread-safe; ringing a host without an
    agent does nothing (its periodic pass, if one ever starts, catches up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakes: dict[str, Callable[[], None]] = {}

    def register(self, host: str, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakes[host] = wake

    def __call__(self, host: str) -> None:
        with self._lock:
            wake = self._wakes.get(host)
        if wake is not None:
            wake()


@dataclass(frozen=True)
class VolumePorts:
    uow: UnitOfWorkFactory
    clock: Clock
    auditor: Auditor
    keys: KeyStore
    config: VolumeConfig = VolumeConfig()
    # Glance, as the volume service reads it (imageRef): None where there is none.
    images: ImageSource | None = None
    # Wakes a host's volume agent after a commit that gives it work.
    wake: Callable[[str], None] = field(default=_no_wake)
    # How a guest on a host opens a volume (the host's BlockDevices.connection): the
    # compute agent's assignment carries it. None: assignments carry none.
    connect: Callable[[str, str], VolumeConnection] | None = None


def volume_target(volume: Volume | Snapshot | Backup) -> Target:
    return Target(project_id=volume.project_id)


@dataclass(frozen=True)
class ListQuery:
    """Cinder's list parameters, on domain attribute names (the adapter maps the wire's):
    equality filters, metadata to match, sorting, marker paging, all projects (admins)."""

    filters: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    # (attribute, ascending); created_at descending is Cinder's default, the id breaks ties.
    sorts: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    marker: str | None = None
    all_projects: bool = False
    project_id: str | None = None
    # Cinder's `offset`: items skipped after the marker.
    offset: int = 0


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool


def _sort_value(item: Any, key: str) -> tuple[int, Any]:
    value = getattr(item, key, None)
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | datetime):
        return (1, value)
    return (1, str(value))


def page(items: Sequence[T], q: ListQuery, max_page: int, kind: str) -> Page[T]:
    """Sort (stable: each key in turn, the id last) and cut after the marker; an unknown
    marker is Cinder's 404."""
    ordered = sorted(items, key=lambda i: str(getattr(i, "id", "")))
    for key, ascending in reversed(q.sorts or (("created_at", False),)):
        ordered.sort(key=lambda i, k=key: _sort_value(i, k),  # type: ignore[misc]
                     reverse=not ascending)
    if q.marker is not None:
        ids = [getattr(i, "id", None) for i in ordered]
        if q.marker not in ids:
            raise NotFound(kind, q.marker)
        ordered = ordered[ids.index(q.marker) + 1:]
    ordered = ordered[q.offset:]
    limit = min(q.limit if q.limit is not None else max_page, max_page)
    cut = ordered[:limit]
    # Cinder links a next page whenever the page is full, even when nothing follows
    # (Tempest's pagination test expects that empty last page).
    return Page(cut, has_next=bool(cut) and len(cut) == limit)


def matches(item: Any, q: ListQuery) -> bool:
    for key, wanted in q.filters.items():
        if getattr(item, key, None) != wanted:
            return False
    meta: dict[str, str] = getattr(item, "metadata", {}) or {}
    return all(meta.get(k) == v for k, v in q.metadata.items())


class VolumeUseCases:
    def __init__(self, ports: VolumePorts) -> None:
        self.p = ports

    @staticmethod
    def listable(ctx: RequestContext, q: ListQuery, rows: Repository[T]) -> list[T]:
        """The rows a list starts from: every project's (or `q.project_id`'s) for a
        caller who asks `all_tenants` and may, else the caller's project's (none without
        a project). Each list then filters by its query and its own `get` row."""
        if q.all_projects and policy.may(ctx, "volume:volume:get_all_projects"):
            return rows.find(project_id=q.project_id) if q.project_id else rows.find()
        if ctx.project_id is None:
            return []
        return rows.find(project_id=ctx.project_id)

    @staticmethod
    def require_user(ctx: RequestContext) -> None:
        if not ctx.authenticated:
            raise Forbidden(CommonFault.AUTHENTICATION_REQUIRED)

    @staticmethod
    def project_of(ctx: RequestContext) -> str:
        if ctx.project_id is None:
            raise Forbidden(CommonFault.POLICY_DENIED, action="volume:volume:create")
        return ctx.project_id

    def enforce(self, uow: UnitOfWork, ctx: RequestContext, action: str, target: Target,
                target_type: str, target_id: str | None) -> None:
        """`policy.enforce`, with the refusal on the audit trail (committed before the
        403, as the other areas do)."""
        if policy.may(ctx, action, target):
            return
        self.p.auditor.record(uow, ctx, action.replace(":", "."), target_type, target_id,
                              project_id=target.project_id, outcome=Outcome.DENIED)
        uow.commit()
        raise Forbidden(CommonFault.POLICY_DENIED, action=action)

    @staticmethod
    def find_volume(uow: UnitOfWork, ctx: RequestContext, volume_id: str,
                    for_update: bool = False) -> Volume:
        """The volume, or 404 when absent or another project's."""
        volume = (uow.volumes.get_for_update(volume_id) if for_update
                  else uow.volumes.get(volume_id))
        if volume is None or not policy.may(ctx, "volume:volume:get", volume_target(volume)):
            raise NotFound("volume", volume_id)
        return volume

    @staticmethod
    def find_snapshot(uow: UnitOfWork, ctx: RequestContext, snapshot_id: str,
                      for_update: bool = False) -> Snapshot:
        snap = (uow.volume_snapshots.get_for_update(snapshot_id) if for_update
                else uow.volume_snapshots.get(snapshot_id))
        if snap is None or not policy.may(ctx, "volume:snapshot:get", volume_target(snap)):
            raise NotFound("snapshot", snapshot_id)
        return snap

    @staticmethod
    def find_backup(uow: UnitOfWork, ctx: RequestContext, backup_id: str,
                    for_update: bool = False) -> Backup:
        backup = (uow.volume_backups.get_for_update(backup_id) if for_update
                  else uow.volume_backups.get(backup_id))
        if backup is None or not policy.may(ctx, "volume:backup:get", volume_target(backup)):
            raise NotFound("backup", backup_id)
        return backup

    @staticmethod
    def find_type(uow: UnitOfWork, type_ref: str) -> VolumeType:
        """A type by id or by name (Cinder takes either)."""
        vtype = uow.volume_types.get(type_ref) or uow.volume_types.first(name=type_ref)
        if vtype is None:
            raise NotFound("volume_type", type_ref)
        return vtype

    @staticmethod
    def default_type(uow: UnitOfWork) -> VolumeType:
        vtype = uow.volume_types.first(name=DEFAULT_TYPE_NAME)
        if vtype is None:
            # Migration 0014 seeds it and nothing deletes it: only a hand-edited database.
            raise NotFound("volume_type", DEFAULT_TYPE_NAME)
        return vtype

    def new_key(self, project_id: str) -> str:
        """A fresh random data key for a volume or a backup chain, wrapped by the
        project's key: its plaintext leaves this call only inside the wrapping."""
        return self.p.keys.wrap(project_id, secrets.token_bytes(KEY_BYTES))

    def key_of(self, project_id: str, wrapped: str) -> VolumeKey:
        return self.p.keys.unwrap(project_id, wrapped)

    def wake(self, hosts: Iterable[str | None]) -> None:
        """Tell the volume agents of `hosts` that intent changed. Call after the commit;
        a failure to send is logged (the agent's periodic pass catches up), never the
        failure of a change already made."""
        for host in sorted({h for h in hosts if h}):
            try:
                self.p.wake(host)
            except Exception:
                log.exception("the volume agent of host %s was not woken; its next pass "
                              "will act", host)

    def audit(self, uow: UnitOfWork, ctx: RequestContext, action: str, target_type: str,
               target_id: str, project_id: str, detail: dict[str, Any] | None = None) -> None:
        self.p.auditor.record(uow, ctx, f"volume.{action}", target_type, target_id,
                              project_id=project_id, detail=detail)


def check_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValidationError(VolumeFault.SIZE_INVALID, size=size)
    return size
