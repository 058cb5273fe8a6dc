"""What the network services need from the database beyond plain repositories."""

from __future__ import annotations

from typing import Protocol


class NetworkIndex(Protocol):
    """Serialisation points of the network use cases, held until the unit of work ends.

    Where SQLite's single write lock already serialises every writer, these do nothing;
    on PostgreSQL they queue the writers that would otherwise both read the same free
    value (both count the same usage, both pick the same segment id)."""

    def lock_project_quota(self, project_id: str) -> None:
        """Until commit, no other unit of work counts this project's network usage."""
        ...

    def lock_segment_pool(self, network_type: str) -> None:
        """Until commit, no other unit of work allocates a segment id of this type."""
        ...

    def lock_default_subnetpool(self, ip_version: int) -> None:
        """Until commit, no other unit of work makes a pool the default of this version."""
        ...

    def segment_ids(self, network_type: str, physical_network: str) -> list[int]:
        """The segment ids of this type (and physical network) already allocated."""
        ...
