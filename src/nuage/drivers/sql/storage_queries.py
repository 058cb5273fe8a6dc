"""SQL for the object index: listings in S3's key order, usage, blob references."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from nuage.domain.storage import MeteringEvent, ObjectVersion
from nuage.drivers.sql import storage_tables as t
from nuage.drivers.sql.locks import named_lock
from nuage.ports.storage import Usage

V = t.object_versions.c


def _prefix_bounds(prefix: str) -> tuple[str, str | None]:
    """[prefix, upper): keys starting with prefix, compared as UTF-8 bytes.

    The upper bound is the prefix with its last character incremented; a range scan uses
    the (bucket, is_latest, key) index where LIKE would not on every database.
    """
    if not prefix:
        return "", None
    last = prefix[-1]
    if ord(last) >= 0x10FFFF:
        return prefix, None
    return prefix, prefix[:-1] + chr(ord(last) + 1)


class SqlObjectIndex:
    def __init__(self, session: Session) -> None:
        self._s = session

    def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        stmt = select(ObjectVersion).where(V.bucket == bucket, V.key == key, V.is_latest)
        return self._s.scalars(stmt.limit(1)).first()

    def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        stmt = select(ObjectVersion).where(V.bucket == bucket, V.key == key,
                                           V.version_id == version_id)
        return self._s.scalars(stmt.limit(1)).first()

    def versions_of(self, bucket: str, key: str) -> list[ObjectVersion]:
        stmt = (select(ObjectVersion).where(V.bucket == bucket, V.key == key)
                .order_by(V.created_at.desc(), V.id.desc()))
        return list(self._s.scalars(stmt))

    def list_latest(self, bucket: str, prefix: str, after: str | None, limit: int
                    ) -> list[ObjectVersion]:
        low, high = _prefix_bounds(prefix)
        cond = [V.bucket == bucket, V.is_latest, V.delete_marker.is_(False), V.key >= low]
        if high is not None:
            cond.append(V.key < high)
        if after is not None:
            cond.append(V.key > after)
        stmt = select(ObjectVersion).where(and_(*cond)).order_by(V.key).limit(limit)
        return list(self._s.scalars(stmt))

    def list_versions(self, bucket: str, prefix: str, after_key: str | None, limit: int
                      ) -> list[ObjectVersion]:
        low, high = _prefix_bounds(prefix)
        cond = [V.bucket == bucket, V.key >= low]
        if high is not None:
            cond.append(V.key < high)
        if after_key is not None:
            cond.append(V.key > after_key)
        stmt = (select(ObjectVersion).where(and_(*cond))
                .order_by(V.key, V.created_at.desc(), V.id.desc()).limit(limit))
        return list(self._s.scalars(stmt))

    def any_in(self, bucket: str) -> bool:
        stmt = select(V.id).where(V.bucket == bucket).limit(1)
        return self._s.execute(stmt).first() is not None

    def usage(self, project_id: str) -> Usage:
        B = t.buckets.c
        names = select(B.name).where(B.project_id == project_id)
        buckets = self._s.scalar(select(func.count()).select_from(names.subquery())) or 0
        row = self._s.execute(
            select(func.count(), func.coalesce(func.sum(V.size), 0))
            .where(V.bucket.in_(names), V.delete_marker.is_(False))).one()
        return Usage(int(buckets), int(row[0]), int(row[1]))

    def lock_usage(self, project_id: str) -> None:
        named_lock(self._s, f"storage.usage:{project_id}")

    def all_blob_ids(self) -> set[str]:
        found = {r[0] for r in self._s.execute(select(t.upload_parts.c.blob_id))}
        for (segments,) in self._s.execute(select(V.segments).execution_options(yield_per=2000)):
            found.update(str(seg["blob_id"]) for seg in segments or [])
        return found


class SqlMeteringLog:
    def __init__(self, session: Session) -> None:
        self._s = session

    def append(self, event: MeteringEvent) -> None:
        self._s.add(event)

    def since(self, seq: int, limit: int) -> list[MeteringEvent]:
        M = t.metering_events.c
        stmt = select(MeteringEvent).where(M.seq > seq).order_by(M.seq).limit(limit)
        return list(self._s.scalars(stmt))
