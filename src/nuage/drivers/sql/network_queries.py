"""SQL the network services need beyond plain repositories."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuage.drivers.sql import network_tables as t
from nuage.drivers.sql.locks import named_lock


class SqlNetworkIndex:
    def __init__(self, session: Session) -> None:
        self._s = session

    def lock_project_quota(self, project_id: str) -> None:
        named_lock(self._s, f"network.quota:{project_id}")

    def lock_segment_pool(self, network_type: str) -> None:
        named_lock(self._s, f"network.segments:{network_type}")

    def lock_default_subnetpool(self, ip_version: int) -> None:
        named_lock(self._s, f"network.subnetpool_default:{ip_version}")

    def segment_ids(self, network_type: str, physical_network: str) -> list[int]:
        c = t.network_segments.c
        stmt = select(c.segmentation_id).where(c.network_type == network_type,
                                               c.physical_network == physical_network)
        return [int(v) for v in self._s.scalars(stmt)]
