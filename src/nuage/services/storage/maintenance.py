"""Keeping storage tidy: crash leftovers at start, queued garbage, usage counters,
lifecycle rules. Called by `workers/storage.py` and at start-up; never per request."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from nuage.domain.context import RequestContext
from nuage.domain.storage import MeteringEvent, ObjectVersion
from nuage.services.storage.base import StoragePorts, StorageUseCases
from nuage.services.storage.deletion import DeletionService
from nuage.services.storage.multipart import MultipartService


class MaintenanceService(StorageUseCases):
    def __init__(self, ports: StoragePorts) -> None:
        super().__init__(ports)
        self._lock = threading.Lock()
        self._requests: dict[str, int] = defaultdict(int)
        self._bytes_out: dict[str, int] = defaultdict(int)

    # -- usage that is too frequent to write per request -----------------------------------
    def count(self, project_id: str | None, bytes_out: int = 0) -> None:
        """Count one request (and bytes sent) for a project; flushed in batches."""
        if project_id is None:
            return
        with self._lock:
            self._requests[project_id] += 1
            self._bytes_out[project_id] += bytes_out

    def flush_usage(self) -> int:
        with self._lock:
            requests, self._requests = self._requests, defaultdict(int)
            bytes_out, self._bytes_out = self._bytes_out, defaultdict(int)
        if not requests:
            return 0
        now = self.p.clock.now()
        with self.p.uow(write=True) as uow:
            for project, count in requests.items():
                uow.metering.append(MeteringEvent(uuid.uuid4().hex, now, project,
                                                  "storage.requests", count))
                if bytes_out.get(project):
                    uow.metering.append(MeteringEvent(uuid.uuid4().hex, now, project,
                                                      "storage.bytes.out", bytes_out[project]))
            uow.commit()
        return len(requests)

    # -- crash recovery --------------------------------------------------------------------
    def recover(self) -> tuple[int, int]:
        """At start, before serving: remove partial writes and blobs no metadata names.

        A crash can leave (a) a temporary file of an unfinished write and (b) a committed
        blob whose metadata transaction never committed. Neither is visible to clients;
        both are removed here. Returns (partials, orphans).
        """
        partials = self.p.blobs.cleanup_partial()
        with self.p.uow() as uow:
            referenced = uow.objects.all_blob_ids()
        orphans = 0
        for blob_id in list(self.p.blobs.ids()):
            if blob_id not in referenced:
                self.p.blobs.delete(blob_id)
                orphans += 1
        self.collect_garbage()
        return partials, orphans

    # -- lifecycle -------------------------------------------------------------------------
    def apply_lifecycle(self) -> int:
        """Carry out every bucket's enabled lifecycle rules; returns how many things changed."""
        now = self.p.clock.now()
        day = self.p.config.day_seconds
        changed = 0
        with self.p.uow() as uow:
            buckets = [b for b in uow.buckets.find() if b.lifecycle]
        deleter = DeletionService(self.p)
        for bucket in buckets:
            for rule in bucket.lifecycle or []:
                if rule.get("Status") != "Enabled":
                    continue
                prefix = str(rule.get("Prefix") or "")
                expiration = rule.get("Expiration") or {}
                noncurrent = rule.get("NoncurrentVersionExpiration") or {}
                abort = rule.get("AbortIncompleteMultipartUpload") or {}
                with self.p.uow() as uow:
                    current = uow.objects.list_latest(bucket.name, prefix, None, 100_000)
                    versions = uow.objects.list_versions(bucket.name, prefix, None, 100_000)
                    uploads = [u for u in uow.uploads.find(bucket=bucket.name)
                               if u.key.startswith(prefix)]
                if expiration.get("Days"):
                    cutoff = now - timedelta(seconds=int(expiration["Days"]) * day)
                    for v in current:
                        if v.created_at <= cutoff and not v.retain_until and not v.legal_hold:
                            deleter.delete(self._owner(bucket.project_id), bucket.name, v.key,
                                           None)
                            changed += 1
                if noncurrent.get("NoncurrentDays"):
                    cutoff = now - timedelta(seconds=int(noncurrent["NoncurrentDays"]) * day)
                    for v, since in noncurrent_since(versions):
                        # S3 counts from the moment a version stopped being current: when
                        # its successor (the next newer version of its key) was written.
                        if (since <= cutoff and not v.legal_hold
                                and (v.retain_until is None or v.retain_until <= now)):
                            deleter.delete(self._owner(bucket.project_id), bucket.name, v.key,
                                           v.version_id)
                            changed += 1
                if abort.get("DaysAfterInitiation"):
                    cutoff = now - timedelta(seconds=int(abort["DaysAfterInitiation"]) * day)
                    aborter = MultipartService(self.p)
                    for u in uploads:
                        if u.initiated_at <= cutoff:
                            aborter.abort(self._owner(bucket.project_id), bucket.name, u.key,
                                          u.upload_id)
                            changed += 1
        if changed:
            self.collect_garbage()
        return changed

    @staticmethod
    def _owner(project_id: str) -> RequestContext:
        """Lifecycle acts with the bucket owner's authority (its rules are the owner's)."""
        return RequestContext(request_id=f"lifecycle-{uuid.uuid4().hex[:8]}",
                              project_id=project_id, roles=frozenset({"member", "reader"}),
                              user_id="lifecycle")


def noncurrent_since(versions: list[ObjectVersion]) -> list[tuple[ObjectVersion, datetime]]:
    """Each noncurrent version with the time it became noncurrent (its successor's
    creation). `versions` come by key, newest first, as the object index lists them."""
    out: list[tuple[ObjectVersion, datetime]] = []
    newer: ObjectVersion | None = None
    for v in versions:
        if newer is not None and newer.key == v.key and not v.is_latest:
            out.append((v, newer.created_at))
        newer = v
    return out
