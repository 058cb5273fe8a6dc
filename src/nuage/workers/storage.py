"""The storage worker: every few seconds, delete queued garbage and flush usage counters;
every `lifecycle_interval`, carry out lifecycle rules. Runs as a daemon thread in
`nuage up`; every step is idempotent, so a crash mid-way is finished by the next pass."""

from __future__ import annotations

import logging
import threading
import time

from nuage.services.storage.maintenance import MaintenanceService

log = logging.getLogger(__name__)


class StorageWorker:
    def __init__(self, maintenance: MaintenanceService, lifecycle_interval: float,
                 tick: float = 5.0) -> None:
        self._m = maintenance
        self._lifecycle_interval = lifecycle_interval
        self._tick = min(tick, lifecycle_interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storage-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._pass(lifecycle=False)

    def _pass(self, lifecycle: bool) -> None:
        try:
            self._m.collect_garbage()
            self._m.flush_usage()
            if lifecycle:
                changed = self._m.apply_lifecycle()
                if changed:
                    log.info("lifecycle rules changed %d objects or uploads", changed)
        except Exception:
            log.exception("storage worker pass failed; the next pass retries")

    def _run(self) -> None:
        next_lifecycle = time.monotonic() + self._lifecycle_interval
        while not self._stop.wait(self._tick):
            due = time.monotonic() >= next_lifecycle
            if due:
                next_lifecycle = time.monotonic() + self._lifecycle_interval
            self._pass(lifecycle=due)
