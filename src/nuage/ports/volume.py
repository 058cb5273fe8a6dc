"""What the volume services need from the database beyond plain repositories."""

from __future__ import annotations

from typing import Protocol


class VolumeIndex(Protocol):
    """Serialisation points of the volume use cases, held until the unit of work ends.

    Where SQLite's single write lock already serialises every writer, these do nothing;
    on PostgreSQL they queue the writers that would otherwise both count the same usage
    and both pass a quota that only one of them fits in."""

    def lock_project_quota(self, project_id: str) -> None:
        """Until commit, no other unit of work counts this project's volume usage."""
        ...
