"""SQL the compute services need beyond plain repositories."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuage.drivers.sql import compute_tables as t


def lock_key(name: str) -> int:
    """The 64-bit advisory lock key of `name` on PostgreSQL: from a namespaced digest, so
    every process and server version derives the same key (a collision with another lock
    would only serialise more, never less)."""
    digest = hashlib.blake2b(f"nuage.compute.{name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class SqlComputeIndex:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _postgres(self) -> bool:
        # SQLite has no row locks and needs none: a write transaction holds the database's
        # only write lock from BEGIN IMMEDIATE on.
        return self._s.get_bind().dialect.name == "postgresql"

    def next_server_number(self) -> int:
        # Called inside the write transaction that inserts the server. On PostgreSQL,
        # creates (of any project) queue here until the previous one ends, so none reads
        # the same maximum (the unique constraint would refuse the second insert).
        self._advisory_lock("server-number")
        current = self._s.scalar(select(func.max(t.servers.c.number)))
        return int(current or 0) + 1

    def lock_hosts(self) -> None:
        if self._postgres():
            # In key order, so that two claimers never hold each other's next row.
            self._s.execute(select(t.compute_hosts.c.id).order_by(t.compute_hosts.c.id)
                            .with_for_update()).all()

    def lock_project_quota(self, project_id: str) -> None:
        # An advisory lock, not a row lock: most projects have no compute_quotas row
        # (they follow the defaults), and creating one only to lock it would pin
        # today's defaults on them.
        self._advisory_lock(f"quota:{project_id}")

    def _advisory_lock(self, name: str) -> None:
        if self._postgres():
            # Held until commit or rollback; taking it again in the same transaction is
            # free.
            self._s.execute(select(func.pg_advisory_xact_lock(lock_key(name))))
