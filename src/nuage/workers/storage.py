"""The storage worker: every few seconds, delete queued garbage and flush usage counters;
every `lifecycle_interval`, carry out lifecycle rules. Runs as a daemon thread in
`nuage up` (the shared periodic loop); every step is idempotent, so a crash mid-way is
finished by the next pass."""

from __future__ import annotations

import logging

from nuage.services.periodic import Job, PeriodicLoop
from nuage.services.storage.maintenance import MaintenanceService

log = logging.getLogger(__name__)


class StorageWorker:
    def __init__(self, maintenance: MaintenanceService, lifecycle_interval: float,
                 tick: float = 5.0) -> None:
        self._m = maintenance
        housekeeping = Job("garbage and usage", min(tick, lifecycle_interval),
                           self._housekeeping)
        self._loop = PeriodicLoop(
            "storage-worker",
            [housekeeping, Job("lifecycle", lifecycle_interval, self._lifecycle)],
            # On the way out: what was deleted or counted meanwhile is not left queued.
            on_stop=[housekeeping])

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop(timeout=30)

    def _housekeeping(self) -> None:
        self._m.collect_garbage()
        self._m.flush_usage()

    def _lifecycle(self) -> None:
        changed = self._m.apply_lifecycle()
        if changed:
            log.info("lifecycle rules changed %d objects or uploads", changed)
