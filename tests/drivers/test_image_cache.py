"""The host's plaintext image cache (services/compute/image_cache.py) on real files, and
against the QEMU driver's view of what its guests read: a real guest booted from it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound
from nuage.drivers.guest_image import build_guest_image
from nuage.drivers.image_format import OsloImageInspector
from nuage.drivers.qemu import QemuHypervisor
from nuage.ports.compute import ImageInfo
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec, PowerState
from nuage.services.compute.image_cache import ImageCache, RefusedImage

DAY = 86400.0
CTX = RequestContext(request_id="t", user_id="u1", project_id="p1", roles=frozenset({"reader"}))
GUEST = "3b0f7e1a-9c55-4d2e-8a61-0c7f2d9e4b11"
needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or shutil.which("qemu-img") is None,
    reason="QEMU is not installed",
)


class FileImages:
    """An ImageSource serving local files (raw unless `formats` says otherwise); `deleted`
    images are NotFound, and `private` ones to any project but theirs."""

    def __init__(self, files: dict[str, Path], formats: dict[str, str] | None = None
                 ) -> None:
        self.files = files
        self.formats = formats or {}
        self.deleted: set[str] = set()
        self.private: dict[str, str] = {}
        self.fetches: list[str] = []

    def describe(self, ctx: RequestContext, image_id: str) -> ImageInfo:
        if image_id in self.deleted or image_id not in self.files:
            raise NotFound("image", image_id)
        owner = self.private.get(image_id)
        if owner is not None and not ctx.system and ctx.project_id != owner:
            raise NotFound("image", image_id)
        return ImageInfo(image_id, image_id, "active", self.formats.get(image_id, "raw"),
                         0, 0, None)

    def fetch(self, image_id: str, dest: Path) -> None:
        self.fetches.append(image_id)
        shutil.copyfile(self.files[image_id], dest)

    def reserve_snapshot(self, ctx: RequestContext, name: str, properties: dict[str, str]
                         ) -> str:
        raise NotImplementedError

    def register_volume_snapshot(self, ctx: RequestContext, name: str,
                                 properties: dict[str, str]) -> str:
        raise NotImplementedError

    def upload_snapshot(self, image_id: str, source: Path, disk_format: str) -> None:
        raise NotImplementedError

    def upload_image(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        raise NotImplementedError

    def discard_snapshot(self, image_id: str, reason: str) -> None:
        raise NotImplementedError

    def rotate_backups(self, project_id: str, instance_uuid: str, backup_type: str,
                       rotation: int) -> list[str]:
        raise NotImplementedError


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def _cache(tmp_path: Path, images: FileImages, clock: Clock) -> ImageCache:
    return ImageCache(tmp_path / "image-cache", images, DAY, OsloImageInspector(), clock)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- real files, a stated set of files in use ---------------------------------------------

def test_unused_images_go_when_idle_or_deleted_and_used_ones_stay(tmp_path: Path) -> None:
    sources = {}
    for name in ("used", "idle", "fresh", "gone"):
        sources[name] = tmp_path / f"{name}.src"
        sources[name].write_bytes(name.encode())
    images, clock = FileImages(sources), Clock()
    cache = _cache(tmp_path, images, clock)
    with cache.pinned():
        paths = {name: cache.path(CTX, name).path for name in sources}
    assert cache.path(CTX, "used").path == paths["used"] and images.fetches.count("used") == 1
    assert _mode(cache.directory) == 0o700
    assert all(_mode(p) == 0o600 for p in paths.values())
    in_use = {paths["used"].resolve()}

    images.deleted.add("gone")                          # deleted in Glance: goes at once
    assert cache.prune(lambda: in_use) == ["gone"]

    clock.now += DAY - 60
    assert cache.prune(lambda: in_use) == []
    with cache.pinned():
        cache.path(CTX, "fresh")                             # used again: its clock restarts
    clock.now += 120                                    # "idle" and "used": a day old
    assert cache.prune(lambda: in_use) == ["idle"]
    clock.now += DAY + 1                                # "used" in use all along
    assert cache.prune(lambda: in_use) == ["fresh"]
    images.deleted.add("used")
    assert cache.prune(lambda: in_use) == []
    assert cache.prune(set) == ["used"]                 # its last guest went
    assert sorted(p.name for p in cache.directory.iterdir()) == [".lock"]


def test_nothing_is_pruned_while_a_spawn_holds_the_cache(tmp_path: Path) -> None:
    src = tmp_path / "a.src"
    src.write_bytes(b"a")
    images = FileImages({"a": src})
    cache = _cache(tmp_path, images, Clock())
    with cache.pinned():
        path = cache.path(CTX, "a").path
        images.deleted.add("a")
        result: list[list[str]] = []
        # Another thread, as the agent's pass would be (flock is per open file).
        worker = threading.Thread(target=lambda: result.append(cache.prune(set)))
        worker.start()
        worker.join()
        assert result == [[]] and path.exists()
    assert cache.prune(set) == ["a"]


def test_clean_removes_what_a_crash_left(tmp_path: Path) -> None:
    cache = _cache(tmp_path, FileImages({}), Clock())
    cache.directory.mkdir(mode=0o755)
    os.chmod(cache.directory, 0o755)
    (cache.directory / ".img.123.part").write_bytes(b"half")            # a fetch
    (cache.directory / ".snapshot-s.qcow2.partial").write_bytes(b"half")  # a snapshot
    (cache.directory / "snapshot-s.qcow2").write_bytes(b"whole")           # its upload
    kept = cache.directory / "img"
    kept.write_bytes(b"whole")
    kept.chmod(0o644)
    cache.clean()
    assert sorted(p.name for p in cache.directory.iterdir()) == [".lock", "img"]
    assert _mode(cache.directory) == 0o700 and _mode(kept) == 0o600


def test_a_failed_fetch_leaves_nothing(tmp_path: Path) -> None:
    cache = _cache(tmp_path, FileImages({"missing": tmp_path / "nowhere"}), Clock())
    with cache.pinned(), pytest.raises(FileNotFoundError):
        cache.path(CTX, "missing")
    assert sorted(p.name for p in cache.directory.iterdir()) == [".lock"]


def test_a_hostile_cached_copy_is_refused(tmp_path: Path) -> None:
    """Copies fetched before nuage inspected uploads (or changed since) are proven at
    every hand-out: a qcow2 naming a host file as backing, qcow2 bytes declared raw."""
    backed = tmp_path / "backed.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "/etc/hostname",
                    "-F", "raw", str(backed), "1M"], check=True)
    plain = tmp_path / "plain.raw"
    plain.write_bytes(b"\0" * 70_000)
    images = FileImages({"backed": backed, "as-raw": backed, "plain": plain},
                        {"backed": "qcow2", "as-raw": "raw", "plain": "raw"})
    cache = _cache(tmp_path, images, Clock())
    cache.directory.mkdir(mode=0o700)
    shutil.copyfile(backed, cache.directory / "backed")        # cached before the fix
    with cache.pinned():
        with pytest.raises(RefusedImage, match="backing file"):
            cache.path(CTX, "backed")
        assert images.fetches == []
        with pytest.raises(RefusedImage, match="qcow2"):
            cache.path(CTX, "as-raw")
        assert cache.path(CTX, "plain").virtual_size == 70_000
        # Proven once: a copy changed on disk afterwards is proven again.
        shutil.copyfile(backed, cache.directory / "plain.new")
        os.replace(cache.directory / "plain.new", cache.directory / "plain")
        with pytest.raises(RefusedImage):
            cache.path(CTX, "plain")


def test_an_image_the_project_cannot_see_is_never_handed_out(tmp_path: Path) -> None:
    """Another project's private ramdisk named by an image's ramdisk_id: not fetched, not
    decrypted, and not handed out even when another server's fetch cached it."""
    ramdisk = tmp_path / "ramdisk"
    ramdisk.write_bytes(b"other project's secret ramdisk" * 100)
    images = FileImages({"ramdisk": ramdisk}, {"ramdisk": "ari"})
    images.private["ramdisk"] = "p2"
    cache = _cache(tmp_path, images, Clock())
    with cache.pinned():
        with pytest.raises(NotFound):
            cache.path(CTX, "ramdisk")
        assert images.fetches == []
        owner = RequestContext(request_id="t", user_id="u2", project_id="p2",
                               roles=frozenset({"reader"}))
        assert cache.path(owner, "ramdisk").path.exists()      # its owner's guest
        with pytest.raises(NotFound):
            cache.path(CTX, "ramdisk")


# --- a real guest --------------------------------------------------------------------------

@pytest.fixture()
def state_dir(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "compute"
    try:
        yield root
    finally:
        # Whatever happened: no QEMU or console keeper of ours outlives the test (they
        # run in the guest's directory).
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if entry.name.isdigit() and os.readlink(entry / "cwd").startswith(str(root)):
                    os.kill(int(entry.name), signal.SIGKILL)


@pytest.mark.slow
@needs_qemu
def test_a_stopped_guest_keeps_its_images_and_a_deleted_one_goes_with_its_guest(
    tmp_path: Path, state_dir: Path
) -> None:
    built = build_guest_image(Path(os.environ.get(
        "NUAGE_TEST_CACHE", Path.home() / ".cache" / "nuage-tests")) / "guest-image")
    spare = tmp_path / "spare.raw"
    spare.write_bytes(b"\0" * 4096)
    images = FileImages({"disk": built.disk, "kernel": built.kernel,
                         "initrd": built.initrd, "spare": spare},
                        {"disk": "qcow2", "kernel": "aki", "initrd": "ari"})
    clock = Clock()
    cache = _cache(tmp_path, images, clock)
    hv = QemuHypervisor(state_dir, "host-1")
    with cache.pinned():
        boot = BootImage(path=cache.path(CTX, "disk").path, disk_format="qcow2",
                         kernel=cache.path(CTX, "kernel").path,
                         initrd=cache.path(CTX, "initrd").path, cmdline=built.cmdline)
        cache.path(CTX, "spare")
        hv.spawn(GuestSpec(guest_id=GUEST, name="vm", vcpus=1, memory_mb=256, disk_gb=1,
                           image=boot, config_drive=ConfigDrive(meta_data={"uuid": GUEST})))
    try:
        # QEMU (dropped to the guest user when we are root) reads the 0600 copies it
        # opened before dropping privileges: the kernel boots.
        started = time.monotonic()
        while "Linux version" not in hv.console_output(GUEST):
            assert time.monotonic() - started < 120, hv.console_output(GUEST, 20)
            time.sleep(0.1)
        assert hv.image_files_in_use() == {
            p.resolve() for p in (boot.path, boot.kernel, boot.initrd) if p is not None}
        hv.stop(GUEST, timeout=1.0)
        assert hv.state(GUEST) == PowerState.SHUTDOWN

        images.deleted.update({"disk", "spare"})
        clock.now += 2 * DAY
        assert cache.prune(hv.image_files_in_use) == ["spare"]   # the stopped guest's stay
        assert {p.name for p in cache.directory.iterdir()} == {
            ".lock", "disk", "kernel", "initrd"}
        hv.start(GUEST)                                   # and still boot it
        assert hv.state(GUEST) in (PowerState.RUNNING, PowerState.NOSTATE)
    finally:
        hv.destroy(GUEST)
    # Its guest gone: the deleted disk image goes at once; kernel and initrd, still in
    # Glance, once idle for a day since the prune saw them in use.
    assert cache.prune(hv.image_files_in_use) == ["disk"]
    clock.now += DAY + 1
    assert cache.prune(hv.image_files_in_use) == ["initrd", "kernel"]
