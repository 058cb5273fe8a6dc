"""The volume services' serialisation points (ports/volume.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nuage.drivers.sql.locks import named_lock


class SqlVolumeIndex:
    def __init__(self, session: Session) -> None:
        self._s = session

    def lock_project_quota(self, project_id: str) -> None:
        named_lock(self._s, f"volume.quota:{project_id}")
