"""SQL the compute services need beyond plain repositories."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuage.drivers.sql import compute_tables as t
from nuage.drivers.sql.locks import is_postgres, named_lock


class SqlComputeIndex:
    def __init__(self, session: Session) -> None:
        self._s = session

    def next_server_number(self) -> int:
        # Called inside the write transaction that inserts the server. On PostgreSQL,
        # creates (of any project) queue here until the previous one ends, so none reads
        # the same maximum (the unique constraint would refuse the second insert).
        named_lock(self._s, "compute.server-number")
        current = self._s.scalar(select(func.max(t.servers.c.number)))
        return int(current or 0) + 1

    def lock_hosts(self) -> None:
        if is_postgres(self._s):
            # In key order, so that two claimers never hold each other's next row.
            self._s.execute(select(t.compute_hosts.c.id).order_by(t.compute_hosts.c.id)
                            .with_for_update()).all()

    def lock_project_quota(self, project_id: str) -> None:
        named_lock(self._s, f"compute.quota:{project_id}")

    def lock_user_key_pairs(self, user_id: str) -> None:
        named_lock(self._s, f"compute.key-pairs:{user_id}")
