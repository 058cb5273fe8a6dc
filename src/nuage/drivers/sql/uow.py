"""The SQL unit of work and its repositories."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, get_args, get_origin, get_type_hints

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from nuage.domain import audit as audit_domain
from nuage.domain import identity as idm
from nuage.domain.audit import AuditChainHead, AuditEvent
from nuage.drivers.sql import identity_tables as tables
from nuage.drivers.sql.compute_queries import SqlComputeIndex
from nuage.drivers.sql.mapping import MAPPINGS, map_domain
from nuage.drivers.sql.network_queries import SqlNetworkIndex
from nuage.drivers.sql.storage_queries import SqlMeteringLog, SqlObjectIndex
from nuage.drivers.sql.volume_queries import SqlVolumeIndex
from nuage.ports.compute import ComputeIndex
from nuage.ports.network import NetworkIndex
from nuage.ports.repositories import (
    AuditLog,
    AuditQuery,
    Repository,
    RevocationLog,
    Transaction,
    UnitOfWork,
)
from nuage.ports.storage import MeteringLog, ObjectIndex
from nuage.ports.volume import VolumeIndex

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


# How each port the UnitOfWork protocol declares is served in SQL: every Repository[Entity]
# by the generic repository over the entity's mapped table (drivers/sql/mapping.py), the
# query objects by their own classes. The protocol is the one list of repositories.
_QUERY_OBJECTS: dict[object, Callable[[Session], object]] = {
    RevocationLog: SqlRevocationLog,
    AuditLog: SqlAuditLog,
    ObjectIndex: SqlObjectIndex,
    MeteringLog: SqlMeteringLog,
    ComputeIndex: SqlComputeIndex,
    NetworkIndex: SqlNetworkIndex,
    VolumeIndex: SqlVolumeIndex,
}


def repository_builders(declaration: type) -> dict[str, Callable[[Session], object]]:
    """One builder per attribute the declaration (the UnitOfWork protocol) annotates; an
    attribute that SQL cannot serve fails here, at import, rather than on first use."""
    mapped = {cls for cls, _ in MAPPINGS}
    builders: dict[str, Callable[[Session], object]] = {}
    for name, hint in get_type_hints(declaration).items():
        if get_origin(hint) is Repository:
            (entity,) = get_args(hint)
            if entity not in mapped:
                raise TypeError(f"UnitOfWork.{name}: {entity.__name__} is mapped to no "
                                "table (drivers/sql/mapping.py)")
            builders[name] = partial(SqlRepository, cls=entity)
        elif hint in _QUERY_OBJECTS:
            builders[name] = _QUERY_OBJECTS[hint]
        else:
            raise TypeError(f"UnitOfWork.{name}: no SQL implementation of {hint!r}")
    return builders


REPOSITORIES = repository_builders(UnitOfWork)


class SqlUnitOfWork(Transaction):
    """Serves every repository the UnitOfWork protocol declares, each built on first use in
    a unit of work, then kept as an instance attribute. mypy checks the methods against
    `Transaction` (the base) and services' uses against `UnitOfWork`, which `__getattr__`
    lets this class satisfy."""

    def __init__(self, engine: Engine, write: bool,
                 on_commit: Callable[[], None] | None = None, snapshot: bool = False) -> None:
        self._engine = engine
        self._write = write
        self._snapshot = snapshot
        self._on_commit = on_commit
        self._session: Session | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not yet set: the declared repositories, on first use.
        build = REPOSITORIES.get(name)
        session = self.__dict__.get("_session")
        if build is None or session is None:
            raise AttributeError(name)
        repository = build(session)
        setattr(self, name, repository)
        return repository

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
        self._connection.info["write"] = self._write
        if self._snapshot and self._engine.dialect.name != "sqlite":
            # SQLite's transactions read one snapshot already; PostgreSQL's read committed
            # gives each statement a newer one unless asked otherwise.
            self._connection.execution_options(isolation_level="REPEATABLE READ")
        self._session = Session(bind=self._connection, expire_on_commit=False, autoflush=True)
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
        for name in REPOSITORIES:          # a later `with` gets repositories on its session
            self.__dict__.pop(name, None)


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
