"""SQL the compute services need beyond plain repositories."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuage.drivers.sql import compute_tables as t


class SqlComputeIndex:
    def __init__(self, session: Session) -> None:
        self._s = session

    def next_server_number(self) -> int:
        # Called inside the write transaction that inserts the server: serialised.
        current = self._s.scalar(select(func.max(t.servers.c.number)))
        return int(current or 0) + 1

    def lock_hosts(self) -> None:
        # SQLite has no row locks (and needs none: its writer holds the database lock).
        if self._s.get_bind().dialect.name != "sqlite":
            self._s.execute(select(t.compute_hosts.c.id).with_for_update()).all()
