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
