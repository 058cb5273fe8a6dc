"""Transaction-scoped named locks: PostgreSQL advisory locks, nothing on SQLite.

Used where a write transaction counts rows and then adds to them (quotas, sequence
numbers) and there is no single row to lock: most projects have no quota row (they follow
the defaults), and creating one only to lock it would pin today's defaults on them.
SQLite needs none of this: a write transaction holds the database's only write lock from
BEGIN IMMEDIATE on.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def lock_key(name: str) -> int:
    """The 64-bit advisory lock key of `name`: from a namespaced digest, so every process
    and server version derives the same key (unlike `hashtext`); a collision with another
    lock would only serialise more, never less."""
    digest = hashlib.blake2b(f"nuage.{name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def named_lock(session: Session, name: str) -> None:
    """Wait for, then hold until commit or rollback, the lock called `name` (PostgreSQL;
    taking it again in the same transaction is free). Does nothing on SQLite."""
    if is_postgres(session):
        session.execute(select(func.pg_advisory_xact_lock(lock_key(name))))
