"""The SQL unit of work and its repositories."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from nuage.domain import audit as audit_domain
from nuage.domain import compute as cp
from nuage.domain import identity as idm
from nuage.domain import image as img
from nuage.domain import storage as st
from nuage.domain.audit import AuditChainHead, AuditEvent
from nuage.drivers.sql import tables
from nuage.drivers.sql.compute_queries import SqlComputeIndex
from nuage.drivers.sql.mapping import map_domain
from nuage.drivers.sql.storage_queries import SqlMeteringLog, SqlObjectIndex
from nuage.ports.compute import ComputeIndex
from nuage.ports.repositories import (
    AuditLog,
    AuditQuery,
    Repository,
    RevocationLog,
    UnitOfWork,
)
from nuage.ports.storage import MeteringLog, ObjectIndex

T = TypeVar("T")
CHAIN_ROW = 1


class SqlRepository(Generic[T]):
    def __init__(self, session: Session, cls: type[T]) -> None:
        self._session = session
        self._cls = cls

    def _where(self, stmt: Any, equals: dict[str, Any]) -> Any:
        for name, value in equals.items():
            column = getattr(self._cls, name)
            if isinstance(value, list | tuple | set | frozenset):
                stmt = stmt.where(column.in_(list(value)))
            elif value is None:
                stmt = stmt.where(column.is_(None))
            else:
                stmt = stmt.where(column == value)
        return stmt

    def get(self, ident: Any) -> T | None:
        return self._session.get(self._cls, ident)

    def get_for_update(self, ident: Any) -> T | None:
        # SELECT ... FOR UPDATE (SQLite's dialect leaves the clause out); populate_existing
        # replaces what this session may have read before the lock was granted.
        return self._session.get(self._cls, ident, with_for_update=True,
                                 populate_existing=True)

    def add(self, entity: T) -> None:
        self._session.add(entity)
        self._session.flush()

    def delete(self, entity: T) -> None:
        self._session.delete(entity)
        self._session.flush()

    def find(self, **equals: Any) -> list[T]:
        stmt = self._where(select(self._cls), equals)
        return list(self._session.scalars(stmt))

    def first(self, **equals: Any) -> T | None:
        stmt = self._where(select(self._cls), equals).limit(1)
        return self._session.scalars(stmt).first()

    def delete_where(self, **equals: Any) -> int:
        stmt = self._where(delete(self._cls), equals)
        result = self._session.execute(stmt.execution_options(synchronize_session="fetch"))
        return int(getattr(result, "rowcount", 0) or 0)


class SqlRevocationLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, event: idm.RevocationEvent) -> None:
        self._session.add(event)
        self._session.flush()

    def issued_after(self, issued_at: datetime) -> list[idm.RevocationEvent]:
        stmt = select(idm.RevocationEvent).where(
            tables.revocation_events.c.issued_before >= issued_at)
        return list(self._session.scalars(stmt))

    def latest_change(self) -> int:
        return int(self._session.scalar(select(func.max(tables.revocation_events.c.id))) or 0)

    def prune(self, before: datetime) -> int:
        stmt = delete(idm.RevocationEvent).where(
            tables.revocation_events.c.issued_before < before)
        return int(getattr(self._session.execute(stmt), "rowcount", 0) or 0)


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _locked_head(self) -> AuditChainHead:
        stmt = select(AuditChainHead).where(
            tables.audit_chain.c.id == CHAIN_ROW).with_for_update()
        head = self._session.scalars(stmt).first()
        if head is None:
            # A fresh trail: concurrent first writers all find no row to lock, so the row is
            # created idempotently (the losers wait for the winner), then locked as usual.
            dialect = self._session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            self._session.execute(insert(tables.audit_chain).values(
                id=CHAIN_ROW, seq=0, hash=audit_domain.GENESIS_HASH).on_conflict_do_nothing())
            head = self._session.scalars(stmt).one()
        return head

    def append(self, event: AuditEvent) -> None:
        head = self._locked_head()
        audit_domain.seal(event, head)
        self._session.add(event)
        self._session.flush()

    def query(self, q: AuditQuery) -> list[AuditEvent]:
        stmt = select(AuditEvent)
        col = tables.audit_events.c
        if q.project_id is not None:
            stmt = stmt.where(col.project_id == q.project_id)
        if q.action is not None:
            stmt = stmt.where(col.action == q.action)
        if q.target_type is not None:
            stmt = stmt.where(col.target_type == q.target_type)
        if q.target_id is not None:
            stmt = stmt.where(col.target_id == q.target_id)
        if q.since is not None:
            stmt = stmt.where(col.at >= q.since)
        if q.until is not None:
            stmt = stmt.where(col.at <= q.until)
        if q.after_seq is not None:
            stmt = stmt.where(col.seq > q.after_seq)
        stmt = stmt.order_by(col.seq).limit(q.limit)
        return list(self._session.scalars(stmt))

    def walk(self) -> Iterator[AuditEvent]:
        stmt = select(AuditEvent).order_by(tables.audit_events.c.seq).execution_options(
            yield_per=500)
        for event in self._session.scalars(stmt):
            yield event
            self._session.expunge(event)

    def head(self) -> AuditChainHead | None:
        return self._session.get(AuditChainHead, CHAIN_ROW)


class SqlUnitOfWork:
    domains: Repository[idm.Domain]
    projects: Repository[idm.Project]
    users: Repository[idm.User]
    groups: Repository[idm.Group]
    memberships: Repository[idm.GroupMembership]
    roles: Repository[idm.Role]
    implied_roles: Repository[idm.ImpliedRole]
    assignments: Repository[idm.Assignment]
    regions: Repository[idm.Region]
    services: Repository[idm.Service]
    endpoints: Repository[idm.Endpoint]
    app_creds: Repository[idm.ApplicationCredential]
    credentials: Repository[idm.Credential]
    revocations: RevocationLog
    audit: AuditLog
    buckets: Repository[st.Bucket]
    objects: ObjectIndex
    object_versions: Repository[st.ObjectVersion]
    uploads: Repository[st.MultipartUpload]
    parts: Repository[st.Part]
    quotas: Repository[st.StorageQuota]
    garbage: Repository[st.GarbageBlob]
    metering: MeteringLog
    images: Repository[img.Image]
    image_members: Repository[img.ImageMember]
    flavors: Repository[cp.Flavor]
    flavor_access: Repository[cp.FlavorAccess]
    keypairs: Repository[cp.Keypair]
    servers: Repository[cp.Server]
    instance_actions: Repository[cp.InstanceAction]
    compute_hosts: Repository[cp.ComputeHost]
    allocations: Repository[cp.Allocation]
    compute_quotas: Repository[cp.ComputeQuota]
    quota_classes: Repository[cp.QuotaClass]
    aggregates: Repository[cp.Aggregate]
    compute: ComputeIndex

    def __init__(self, engine: Engine, write: bool,
                 on_commit: Callable[[], None] | None = None, snapshot: bool = False) -> None:
        self._engine = engine
        self._write = write
        self._snapshot = snapshot
        self._on_commit = on_commit
        self._session: Session | None = None

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
        self._connection.info["write"] = self._write
        if self._snapshot and self._engine.dialect.name != "sqlite":
            # SQLite's transactions read one snapshot already; PostgreSQL's read committed
            # gives each statement a newer one unless asked otherwise.
            self._connection.execution_options(isolation_level="REPEATABLE READ")
        self._session = Session(bind=self._connection, expire_on_commit=False, autoflush=True)
        s = self._session
        self.domains = SqlRepository(s, idm.Domain)
        self.projects = SqlRepository(s, idm.Project)
        self.users = SqlRepository(s, idm.User)
        self.groups = SqlRepository(s, idm.Group)
        self.memberships = SqlRepository(s, idm.GroupMembership)
        self.roles = SqlRepository(s, idm.Role)
        self.implied_roles = SqlRepository(s, idm.ImpliedRole)
        self.assignments = SqlRepository(s, idm.Assignment)
        self.regions = SqlRepository(s, idm.Region)
        self.services = SqlRepository(s, idm.Service)
        self.endpoints = SqlRepository(s, idm.Endpoint)
        self.app_creds = SqlRepository(s, idm.ApplicationCredential)
        self.credentials = SqlRepository(s, idm.Credential)
        self.revocations = SqlRevocationLog(s)
        self.audit = SqlAuditLog(s)
        self.buckets = SqlRepository(s, st.Bucket)
        self.objects = SqlObjectIndex(s)
        self.object_versions = SqlRepository(s, st.ObjectVersion)
        self.uploads = SqlRepository(s, st.MultipartUpload)
        self.parts = SqlRepository(s, st.Part)
        self.quotas = SqlRepository(s, st.StorageQuota)
        self.garbage = SqlRepository(s, st.GarbageBlob)
        self.metering = SqlMeteringLog(s)
        self.images = SqlRepository(s, img.Image)
        self.image_members = SqlRepository(s, img.ImageMember)
        self.flavors = SqlRepository(s, cp.Flavor)
        self.flavor_access = SqlRepository(s, cp.FlavorAccess)
        self.keypairs = SqlRepository(s, cp.Keypair)
        self.servers = SqlRepository(s, cp.Server)
        self.instance_actions = SqlRepository(s, cp.InstanceAction)
        self.compute_hosts = SqlRepository(s, cp.ComputeHost)
        self.allocations = SqlRepository(s, cp.Allocation)
        self.compute_quotas = SqlRepository(s, cp.ComputeQuota)
        self.quota_classes = SqlRepository(s, cp.QuotaClass)
        self.aggregates = SqlRepository(s, cp.Aggregate)
        self.compute = SqlComputeIndex(s)
        return self

    def commit(self) -> None:
        assert self._session is not None
        self._session.commit()
        if self._on_commit is not None:
            self._on_commit()

    def rollback(self) -> None:
        assert self._session is not None
        self._session.rollback()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._session is not None
        # Detach first: entities handed to callers keep their loaded state instead of
        # being expired by the rollback below.
        self._session.expunge_all()
        self._session.rollback()
        self._session.close()
        self._connection.close()
        self._session = None


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        map_domain()
        self.engine = engine
        # An embedded SQLite file has one writer process (this one), so counting this
        # process's commits tells exactly when state changed.
        self._single_writer = engine.dialect.name == "sqlite"
        self._revision = 0
        self._lock = threading.Lock()

    def _committed(self) -> None:
        with self._lock:
            self._revision += 1

    def __call__(self, write: bool = False, snapshot: bool = False) -> UnitOfWork:
        return SqlUnitOfWork(self.engine, write, self._committed if write else None,
                             snapshot=snapshot)

    def local_revision(self) -> int | None:
        return self._revision if self._single_writer else None
