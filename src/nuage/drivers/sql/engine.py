"""Engines for SQLite (embedded, one machine) and PostgreSQL (many machines)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

# Named here so that bootstrap (which holds the engine) and the CLI (which reports a
# database failure in one line) never import the ORM itself: only drivers do.
__all__ = ["DatabaseError", "Engine", "make_engine"]
DatabaseError = SQLAlchemyError


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if memory:
        kwargs["poolclass"] = StaticPool
    else:
        kwargs.update(pool_size=20, max_overflow=20)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if not memory:
            # WAL: readers (token validation) never wait for the one writer.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Writers of this process queue here before asking SQLite for its write lock: SQLite's
    # busy handler sleeps with back-off (up to 100 ms) instead of waking when the lock is
    # freed, so under contention in-process writers waited far longer than needed.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes SQLite's write lock at BEGIN: a deferred transaction that
        # reads and then writes can fail with "database is locked" when another writer
        # slipped in between, whatever the busy timeout.
        if conn.info.get("write"):
            # Bounded like SQLite's own busy timeout: a bug nesting two write transactions
            # in one thread fails as "database is locked" would, instead of hanging.
            if not writers.acquire(timeout=30):
                raise TimeoutError("timed out waiting for the database write lock")
            conn.info["holds_writer_lock"] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _release(conn)
                raise
        else:
            conn.exec_driver_sql("BEGIN DEFERRED")

    def _release(conn: Any) -> None:
        if conn.info.pop("holds_writer_lock", False):
            writers.release()

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _release(conn)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _release(conn)

    return engine
