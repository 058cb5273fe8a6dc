"""One loop for a process's periodic work: jobs that each run every `interval` seconds, in
one daemon thread, and that a caller can wake early (intent changed) or stop.

The storage worker (garbage, usage counters, lifecycle rules) runs on it; a host agent's
pass can too. It lives below the adapters (api, workers and agent are independent
layers) and holds no rule of its own: what a job does is the job's business. A job that
raises is logged and runs again at its next turn; the others still run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    # Seconds between two runs; the first run comes one interval after start().
    interval: float
    step: Callable[[], object]


class PeriodicLoop:
    def __init__(self, name: str, jobs: Sequence[Job],
                 on_stop: Sequence[Job] = ()) -> None:
        """`on_stop`: jobs run once more after the loop ended (e.g. flush what is queued)."""
        if not jobs or min(job.interval for job in jobs) <= 0:
            raise ValueError("a periodic loop needs jobs with positive intervals")
        self.name = name
        self._jobs = tuple(jobs)
        self._on_stop = tuple(on_stop)
        # The loop wakes this often: the shortest interval.
        self._tick = min(job.interval for job in jobs)
        self._due: dict[str, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        now = time.monotonic()
        self._due = {job.name: now + job.interval for job in self._jobs}
        self._thread.start()

    def wake(self) -> None:
        """Run every job now rather than at its next turn (non-blocking)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        for job in self._on_stop:
            self._run_job(job)

    def run_due(self, *, everything: bool = False) -> None:
        """One pass: each job whose turn came (every job when `everything`), in order."""
        for job in self._jobs:
            # A wait may return a hair early: a job due within 1% of the tick counts as due.
            if everything or time.monotonic() + self._tick / 100 >= self._due[job.name]:
                self._due[job.name] = time.monotonic() + job.interval
                self._run_job(job)

    def _run_job(self, job: Job) -> None:
        try:
            job.step()
        except Exception:
            log.exception("%s: %s failed; its next turn retries", self.name, job.name)

    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self._tick)
            self._wake.clear()
            if self._stop.is_set():
                break
            self.run_due(everything=woken)
