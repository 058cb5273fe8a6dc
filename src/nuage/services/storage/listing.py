"""Listing: ListObjects v1/v2 and ListObjectVersions, with prefixes and delimiters.

Keys come from the index in UTF-8 byte order, a page at a time. A delimiter folds every
key under a common prefix into one entry, and the scan then jumps past that prefix instead
of reading its keys one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nuage.domain.context import RequestContext
from nuage.domain.storage import ObjectVersion
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.ports.repositories import UnitOfWork
from nuage.services.storage.base import StorageUseCases

BATCH = 1000
MAX_KEYS = 1000
# Greater than any key that starts with a given prefix (U+10FFFF encodes highest in UTF-8).
AFTER_ALL = "\U0010ffff"


@dataclass
class Listing:
    objects: list[ObjectVersion] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    # The last key or common prefix returned: S3's NextMarker / continuation point.
    last: str | None = None
    next_version_id: str | None = None


def _folded(key: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    i = key.find(delimiter, len(prefix))
    return key[: i + len(delimiter)] if i >= 0 else None


def check_max_keys(max_keys: int) -> int:
    if max_keys < 0:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.MAX_KEYS_NEGATIVE,
                           extra={"ArgumentName": "max-keys"}, max_keys=max_keys)
    return min(max_keys, MAX_KEYS)


class ListingService(StorageUseCases):
    def list_objects(self, ctx: RequestContext, bucket_name: str, prefix: str,
                     delimiter: str | None, after: str | None, max_keys: int) -> Listing:
        max_keys = check_max_keys(max_keys)
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            self.authorize(uow, ctx, bucket, "s3:ListBucket")
            return self._scan(uow, bucket_name, prefix, delimiter, after, max_keys)

    def _scan(self, uow: UnitOfWork, bucket: str, prefix: str, delimiter: str | None,
              after: str | None, max_keys: int) -> Listing:
        out = Listing()
        entries: list[ObjectVersion | str] = []
        cursor = after
        if cursor is not None and cursor < prefix:
            cursor = None
        exhausted = max_keys == 0
        while not exhausted and len(entries) <= max_keys:
            batch = uow.objects.list_latest(bucket, prefix, cursor, BATCH)
            exhausted = len(batch) < BATCH
            jumped = False
            for version in batch:
                folded = _folded(version.key, prefix, delimiter)
                if folded is not None:
                    if after is not None and folded <= after:
                        cursor = folded + AFTER_ALL
                        jumped = True
                        break
                    entries.append(folded)
                    cursor = folded + AFTER_ALL
                    jumped = True
                    break
                entries.append(version)
                cursor = version.key
                if len(entries) > max_keys:
                    break
            if jumped:
                exhausted = False
            elif not batch:
                exhausted = True
        out.truncated = len(entries) > max_keys
        for entry in entries[:max_keys]:
            if isinstance(entry, str):
                out.prefixes.append(entry)
                out.last = entry
            else:
                out.objects.append(entry)
                out.last = entry.key
        return out

    def list_versions(self, ctx: RequestContext, bucket_name: str, prefix: str,
                      delimiter: str | None, key_marker: str | None,
                      version_marker: str | None, max_keys: int) -> Listing:
        max_keys = check_max_keys(max_keys)
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            self.authorize(uow, ctx, bucket, "s3:ListBucketVersions")
            entries: list[ObjectVersion | str] = []
            if key_marker and version_marker:
                rest = uow.objects.versions_of(bucket_name, key_marker)
                ids = [v.version_id for v in rest]
                if version_marker in ids:
                    entries += rest[ids.index(version_marker) + 1:]
            cursor = key_marker
            while len(entries) <= max_keys and max_keys > 0:
                batch = uow.objects.list_versions(bucket_name, prefix, cursor, BATCH)
                if not batch:
                    break
                jumped = False
                for version in batch:
                    folded = _folded(version.key, prefix, delimiter)
                    if folded is not None:
                        if not (key_marker and folded <= key_marker):
                            entries.append(folded)
                        cursor = folded + AFTER_ALL
                        jumped = True
                        break
                    entries.append(version)
                    cursor = version.key
                if not jumped and len(batch) < BATCH:
                    break
                if not jumped and entries and isinstance(entries[-1], ObjectVersion):
                    # Finish the key in progress before the next page: its other
                    # versions would be skipped by the `key > cursor` of the next query.
                    last = entries[-1]
                    seen = {v.id for v in entries if isinstance(v, ObjectVersion)}
                    entries += [v for v in uow.objects.versions_of(bucket_name, last.key)
                                if v.id not in seen]
        out = Listing(truncated=len(entries) > max_keys)
        for entry in entries[:max_keys]:
            if isinstance(entry, str):
                out.prefixes.append(entry)
                out.last, out.next_version_id = entry, None
            else:
                out.objects.append(entry)
                out.last, out.next_version_id = entry.key, entry.version_id
        return out
