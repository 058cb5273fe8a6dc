"""Queries object storage needs beyond plain repositories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nuage.domain.storage import MeteringEvent, ObjectVersion


@dataclass(frozen=True)
class Usage:
    buckets: int
    objects: int
    bytes: int


class ObjectIndex(Protocol):
    def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        """The current version of a key (possibly a delete marker), or None."""
        ...

    def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None: ...

    def versions_of(self, bucket: str, key: str) -> list[ObjectVersion]:
        """Every version of one key, newest first."""
        ...

    def list_latest(self, bucket: str, prefix: str, after: str | None, limit: int
                    ) -> list[ObjectVersion]:
        """Current, non-delete-marker versions with keys starting with `prefix` and greater
        than `after`, in key (UTF-8 byte) order."""
        ...

    def list_versions(self, bucket: str, prefix: str, after_key: str | None, limit: int
                      ) -> list[ObjectVersion]:
        """All versions (delete markers too) of keys > after_key, by key then newest first."""
        ...

    def any_in(self, bucket: str) -> bool:
        """True if the bucket holds any version or delete marker."""
        ...

    def usage(self, project_id: str) -> Usage: ...

    def lock_usage(self, project_id: str) -> None:
        """Serialise, until this transaction ends, the transactions that add to a project's
        usage (buckets, objects, bytes), so a quota check then `usage` and the write it
        allows are exact. Call it in a write unit of work, before reading what the check
        depends on. Blocks while another transaction holds it; a no-op where the write
        unit of work already holds the database's only write lock (SQLite)."""
        ...

    def all_blob_ids(self) -> set[str]:
        """Every blob id some version or uploaded part points at (orphan collection)."""
        ...


class MeteringLog(Protocol):
    def append(self, event: MeteringEvent) -> None: ...

    def since(self, seq: int, limit: int) -> list[MeteringEvent]: ...
