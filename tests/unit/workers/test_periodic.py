"""The periodic loop the storage worker runs on: each job at its own interval, a failing
job does not starve the others, wake() runs every job at once, stop() runs the final jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import cast

import pytest

from nuage.services.periodic import Job, PeriodicLoop
from nuage.services.storage.maintenance import MaintenanceService
from nuage.workers.storage import StorageWorker


def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_each_job_runs_at_its_interval_and_a_failure_does_not_stop_the_others() -> None:
    runs = {"fast": 0, "slow": 0, "broken": 0}

    def count(name: str) -> None:
        runs[name] += 1

    def broken() -> None:
        runs["broken"] += 1
        raise RuntimeError("boom")

    loop = PeriodicLoop("test", [Job("broken", 0.02, broken),
                                 Job("fast", 0.02, lambda: count("fast")),
                                 Job("slow", 0.3, lambda: count("slow"))])
    loop.start()
    try:
        _wait_for(lambda: runs["slow"] >= 2)
    finally:
        loop.stop()
    # The fast jobs ran many times per slow run; the broken one kept its turns.
    assert runs["fast"] >= 10 and runs["broken"] >= 10
    assert runs["fast"] > 4 * runs["slow"]


def test_wake_runs_every_job_at_once_and_stop_runs_the_final_jobs() -> None:
    ran = threading.Event()
    final: list[str] = []
    loop = PeriodicLoop("test", [Job("hourly", 3600, ran.set)],
                        on_stop=[Job("flush", 3600, lambda: final.append("flush"))])
    loop.start()
    assert not ran.wait(0.1)
    loop.wake()
    assert ran.wait(5)
    loop.stop()
    assert final == ["flush"]


def test_a_loop_needs_positive_intervals() -> None:
    with pytest.raises(ValueError):
        PeriodicLoop("test", [Job("never", 0, lambda: None)])
    with pytest.raises(ValueError):
        PeriodicLoop("test", [])


class Maintenance:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def collect_garbage(self) -> int:
        self.calls.append("garbage")
        return 0

    def flush_usage(self) -> None:
        self.calls.append("usage")

    def apply_lifecycle(self) -> int:
        self.calls.append("lifecycle")
        return 0


def test_the_storage_worker_collects_often_applies_lifecycle_rarely_and_flushes_on_stop(
        ) -> None:
    m = Maintenance()
    worker = StorageWorker(cast(MaintenanceService, m), lifecycle_interval=0.25, tick=0.02)
    worker.start()
    _wait_for(lambda: "lifecycle" in m.calls)
    worker.stop()
    # Garbage and usage before each lifecycle pass (housekeeping comes first), and once
    # more on the way out.
    assert m.calls[:2] == ["garbage", "usage"]
    assert m.calls.count("garbage") > 3 * m.calls.count("lifecycle")
    assert m.calls[-2:] == ["garbage", "usage"]
