"""The host's plaintext image cache: decrypted copies of the images guests boot from.

QEMU needs a plain file as the backing file of each overlay (and for -kernel, -initrd), so
the agent keeps one per image in `directory/<image id>` (0600, in a 0700 directory). A
copy is removed once no guest on this host reads it and either its image is gone from the
image service or it has not been used for `max_idle` seconds. See
docs/architecture/compute.md, "The host's image cache".

Every hand-out is checked, fetched or not: the image must be visible to the project of the
server that will read it (another project's private kernel or ramdisk is never decrypted
for a guest), and the plaintext must be proven self-contained and of its declared format
by the ImageInspector (an image uploaded before nuage inspected uploads, or a file changed
on disk, is refused). A copy proven once is not read again while this process runs.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound
from nuage.domain.image_format import UnsafeImage, Verdict
from nuage.ports.block_devices import ImageFile
from nuage.ports.compute import ImageInfo, ImageSource
from nuage.ports.image_format import ImageInspector
from nuage.ports.volume_agent import ImageUnavailable

log = logging.getLogger(__name__)
# Asks whether an image still exists: a system reader sees every image.
_SYSTEM = RequestContext(request_id="agent", user_id="nuage-compute", system=True,
                         roles=frozenset({"reader"}))
_SNAPSHOT_PREFIX = "snapshot-"
_PIECE = 1 << 16


class RefusedImage(Exception):
    """A cached image failed its inspection: it must not reach a guest."""

    def __init__(self, image_id: str, reason: str) -> None:
        super().__init__(f"image {image_id} refused: {reason}")
        self.image_id = image_id
        self.reason = reason


@dataclass(frozen=True)
class CachedImage:
    path: Path
    info: ImageInfo
    virtual_size: int | None


class ImageCache:
    def __init__(self, directory: Path, images: ImageSource, max_idle: float,
                 inspector: ImageInspector, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self._images = images
        self._inspector = inspector
        # image id -> (inode, size, verdict) of the copy proven in this process.
        self._proven: dict[str, tuple[int, int, Verdict]] = {}
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

    def path(self, ctx: RequestContext, image_id: str) -> CachedImage:
        """The image's bytes in the cache for a guest of `ctx`'s project, fetched once,
        atomically, and proven. Call while pinned. NotFound when the project may not see
        the image; RefusedImage when its bytes are not what it was declared as."""
        info = self._images.describe(ctx, image_id)
        path = self.directory / image_id
        with self._fetch_lock:
            if not path.exists():
                self._ensure_directory()
                # Per thread too: the volume agent's cache shares the directory.
                tmp = self.directory / f".{image_id}.{os.getpid()}.{threading.get_ident()}.part"
                try:
                    self._images.fetch(image_id, tmp)
                    tmp.chmod(0o600)
                    tmp.rename(path)
                finally:
                    tmp.unlink(missing_ok=True)
            verdict = self._prove(image_id, path, info.disk_format or "raw")
            now = self._clock()
            os.utime(path, (now, now))          # used now: the idle clock restarts
        return CachedImage(path, info, verdict.virtual_size)

    def _prove(self, image_id: str, path: Path, declared: str) -> Verdict:
        with path.open("rb") as f:
            stat = os.fstat(f.fileno())
            known = self._proven.get(image_id)
            if known is not None and known[:2] == (stat.st_ino, stat.st_size):
                return known[2]
            inspection = self._inspector.start(declared)
            try:
                while not inspection.settled and (piece := f.read(_PIECE)):
                    inspection.feed(piece)
                verdict = inspection.finish(stat.st_size)
            except UnsafeImage as exc:
                log.warning("image cache: image %s (%s) refused: %s", image_id, declared, exc)
                raise RefusedImage(image_id, str(exc)) from exc
        self._proven[image_id] = (stat.st_ino, stat.st_size, verdict)
        return verdict

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


class CachedVolumeImages:
    """The VolumeImages port (ports/volume_agent.py) over the host's image cache: a volume
    made from an image is copied from the same proven plaintext copy guests boot from."""

    def __init__(self, cache: ImageCache, images: ImageSource | None = None) -> None:
        self.cache = cache
        # Where volumes are uploaded to (os-volume_upload_image): Glance, as compute sees it.
        self.images = images

    def local(self, image_id: str, project_id: str) -> ImageFile:
        owner = RequestContext(request_id="volume-agent", user_id="nuage-volume",
                               project_id=project_id, roles=frozenset({"reader"}))
        try:
            with self.cache.pinned():
                cached = self.cache.path(owner, image_id)
        except (NotFound, RefusedImage) as exc:
            raise ImageUnavailable(f"image {image_id}: {exc}") from exc
        disk_format = cached.info.disk_format or "raw"
        if disk_format not in ("qcow2", "raw"):
            # The volume driver copies qcow2 and raw; an ISO or VMDK is not a disk to copy.
            raise ImageUnavailable(f"image {image_id}: disk format {disk_format}")
        return ImageFile(cached.path, "qcow2" if disk_format == "qcow2" else "raw")

    def upload(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        if self.images is None:
            raise ImageUnavailable("no image service to upload to")
        self.images.upload_image(image_id, chunks, size)

