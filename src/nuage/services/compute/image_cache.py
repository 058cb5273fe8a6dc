"""The host's plaintext image cache: decrypted copies of the images guests boot from.

QEMU needs a plain file as the backing file of each overlay (and for -kernel, -initrd), so
the agent keeps one per image in `directory/<image id>` (0600, in a 0700 directory). A
copy is removed once no guest on this host reads it and either its image is gone from the
image service or it has not been used for `max_idle` seconds. See
docs/architecture/compute.md, "The host's image cache".

Locking: `.lock` in the directory is flocked shared by everything that hands a cached file
to a guest (`pinned`: the spawn reads it before the guest's record names it) and exclusive
by the pruning, which alone removes files. A fetch writes a temporary `.<id>.<pid>.part`
and renames it; a crash mid-fetch leaves only that, removed by `clean` when the agent
starts (exclusive lock, so never under a fetch of another agent on the same directory).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound
from nuage.ports.compute import ImageSource

log = logging.getLogger(__name__)
# Asks whether an image still exists: a system reader sees every image.
_SYSTEM = RequestContext(request_id="agent", user_id="nuage-compute", system=True,
                         roles=frozenset({"reader"}))
_SNAPSHOT_PREFIX = "snapshot-"


class ImageCache:
    def __init__(self, directory: Path, images: ImageSource, max_idle: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self._images = images
        self._max_idle = max_idle
        self._clock = clock
        # One fetch at a time: servers of one pass boot in parallel, often from one image.
        self._fetch_lock = threading.Lock()

    def _ensure_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.directory.stat().st_mode & 0o077:
            self.directory.chmod(0o700)

    @contextlib.contextmanager
    def _flock(self, kind: int) -> Iterator[None]:
        self._ensure_directory()
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, kind)
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Hold while fetching images and handing them to a guest (a spawn, a rebuild) or
        writing a snapshot here: nothing is pruned or cleaned meanwhile."""
        with self._flock(fcntl.LOCK_SH):
            yield

    def path(self, image_id: str) -> Path:
        """The image's bytes in the cache, fetched once, atomically. Call while pinned."""
        path = self.directory / image_id
        with self._fetch_lock:
            if not path.exists():
                self._ensure_directory()
                tmp = self.directory / f".{image_id}.{os.getpid()}.part"
                try:
                    self._images.fetch(image_id, tmp)
                    tmp.chmod(0o600)
                    tmp.rename(path)
                finally:
                    tmp.unlink(missing_ok=True)
            now = self._clock()
            os.utime(path, (now, now))          # used now: the idle clock restarts
        return path

    def snapshot_path(self, image_id: str) -> Path:
        """Where a server snapshot is written before its upload. Call while pinned."""
        self._ensure_directory()
        return self.directory / f"{_SNAPSHOT_PREFIX}{image_id}.qcow2"

    def clean(self) -> None:
        """At the agent's start: remove what a crash left (partial fetches, snapshot files)
        and make the directory and the cached files private."""
        with self._flock(fcntl.LOCK_EX):
            for entry in self.directory.iterdir():
                name = entry.name
                if name == ".lock" or not entry.is_file():
                    continue
                if name.startswith(".") or name.startswith(_SNAPSHOT_PREFIX):
                    log.info("image cache: removing %s, left by a crash", name)
                    entry.unlink(missing_ok=True)
                elif entry.stat().st_mode & 0o077:
                    entry.chmod(0o600)

    def prune(self, in_use: Callable[[], set[Path]]) -> list[str]:
        """Remove the cached images no guest reads (`in_use`: resolved paths, asked under
        the lock) whose image is deleted or which were not used for `max_idle` seconds.
        Returns the image ids removed. Skips the pass (returns []) while a spawn, fetch or
        snapshot holds the cache: the next pass prunes."""
        if not self.directory.is_dir():
            return []
        removed: list[str] = []
        try:
            with self._flock(fcntl.LOCK_EX | fcntl.LOCK_NB):
                used = in_use()
                now = self._clock()
                for entry in sorted(self.directory.iterdir()):
                    name = entry.name
                    if name.startswith(".") or name.startswith(_SNAPSHOT_PREFIX):
                        continue
                    if not entry.is_file():
                        continue
                    if entry.resolve() in used:
                        # The idle clock counts from the last time a guest used it.
                        os.utime(entry, (now, now))
                        continue
                    idle = now - entry.stat().st_mtime
                    if idle > self._max_idle or self._deleted(name):
                        entry.unlink(missing_ok=True)
                        removed.append(name)
        except BlockingIOError:
            return []
        for image_id in removed:
            log.info("image cache: removed the plaintext copy of image %s", image_id)
        return removed

    def _deleted(self, image_id: str) -> bool:
        try:
            self._images.describe(_SYSTEM, image_id)
        except NotFound:
            return True
        return False
