"""The BlockDevices port's contract, run against the in-memory twin the volume agent's
unit tests use (tests/support/fake_block_devices.py) and the real driver (encrypted qcow2
through qemu-img): what one does, the other does, so the fake cannot drift.

Volumes are a few MiB. The real driver's tests read and write a volume's plaintext with
qemu-img and qemu-io given the key through a pipe, as the driver does; they also check
that no key and no plaintext reach the disk, and that no qemu-img outlives a call.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.qcow2_volumes import Qcow2Volumes, driver, qemu_img
from nuage.drivers.qcow2_volumes.qemu_img import Secret
from nuage.ports.block_devices import (
    BlockDeviceError,
    BlockDevices,
    CopyOf,
    ImageFile,
    VolumeBusy,
    VolumeMissing,
)
from tests.support.fake_block_devices import FakeBlockDevices
from tests.support.qemu import needs_qemu, processes_under

MIB = 1 << 20
SIZE = 4 * MIB
# Not a byte pattern anything else writes: found in a file, it is our plaintext.
PATTERN = b"nuage-plaintext-" + uuid.uuid4().hex.encode()

needs_qemu_img = pytest.mark.skipif(
    shutil.which("qemu-img") is None or shutil.which("qemu-io") is None,
    reason="qemu-img and qemu-io are not installed")


def new_key() -> bytes:
    return os.urandom(32)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Contract:
    devices: BlockDevices
    # A plaintext image of `size` bytes with `content` at offset 0.
    image: Callable[[int, bytes], ImageFile]
    # Plaintext at (offset, length) of a volume, and writing some, with its key.
    read: Callable[[str, bytes, int, int], bytes]
    write: Callable[[str, bytes, int, bytes], None]
    # What a crash half way through a create leaves.
    leave_part: Callable[[str], None]
    # A running guest holding the volume, while in the context.
    hold: Callable[[str, bytes], contextlib.AbstractContextManager[None]]


def _fake(tmp_path: Path) -> Contract:
    fake = FakeBlockDevices(tmp_path / "volumes")

    def image(size: int, content: bytes) -> ImageFile:
        return fake.add_image(tmp_path / f"{uuid.uuid4()}.raw", size, {0: content})

    @contextlib.contextmanager
    def hold(volume_id: str, key: bytes) -> Iterator[None]:
        fake.in_use.add(volume_id)
        try:
            yield
        finally:
            fake.in_use.discard(volume_id)

    return Contract(fake, image, fake.read, fake.write, fake.leave_part, hold)


def _real(tmp_path: Path) -> Contract:
    devices = Qcow2Volumes(tmp_path / "volumes", copy_timeout=60)
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def image(size: int, content: bytes) -> ImageFile:
        path = scratch / f"{uuid.uuid4()}.raw"
        with path.open("wb") as f:
            f.write(content)
            f.truncate(size)
        return ImageFile(path, "raw")

    def read(volume_id: str, key: bytes, offset: int, length: int) -> bytes:
        out = scratch / f"{uuid.uuid4()}.raw"
        qemu_img.run(["convert", "-O", "raw", "--image-opts",
                      qemu_img.image_opts(devices.path(volume_id), "key"), str(out)],
                     [Secret("key", key)], "test read")
        try:
            with out.open("rb") as f:
                f.seek(offset)
                return f.read(length)
        finally:
            out.unlink()

    def write(volume_id: str, key: bytes, offset: int, data: bytes) -> None:
        pattern = scratch / f"{uuid.uuid4()}.bin"
        pattern.write_bytes(data)
        try:
            with _qemu_io(devices.path(volume_id), key,
                          ["-c", f"write -q -s {pattern} {offset} {len(data)}"]) as proc:
                _, err = proc.communicate(timeout=60)
                assert proc.returncode == 0, err
        finally:
            pattern.unlink()

    def leave_part(volume_id: str) -> None:
        (devices.directory / f"{volume_id}.qcow2.part").write_bytes(b"QFI\xfb half")

    @contextlib.contextmanager
    def hold(volume_id: str, key: bytes) -> Iterator[None]:
        # An interactive qemu-io opens the volume read-write, as a guest's QEMU does, and
        # holds its locks until its input ends.
        with _qemu_io(devices.path(volume_id), key, []) as proc:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(b"help\n")   # answered once the image is open
            proc.stdin.flush()
            proc.stdout.readline()
            try:
                yield
            finally:
                proc.communicate(b"quit\n", timeout=30)

    return Contract(devices, image, read, write, leave_part, hold)


@contextlib.contextmanager
def _qemu_io(path: Path, key: bytes, args: list[str]
             ) -> Iterator[subprocess.Popen[bytes]]:
    read_end, write_end = os.pipe()
    os.write(write_end, qemu_img.passphrase(key))
    os.close(write_end)
    try:
        proc = subprocess.Popen(
            ["qemu-io", "--object", f"secret,id=key,file=/dev/fd/{read_end}",
             "--image-opts", qemu_img.image_opts(path, "key"), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=[read_end])
    finally:
        os.close(read_end)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture(params=["fake", pytest.param("qcow2", marks=needs_qemu_img)])
def contract(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Contract]:
    if request.param == "fake":
        yield _fake(tmp_path)
        return
    yield _real(tmp_path)
    # No qemu-img (or qemu-io) outlives a call.
    assert processes_under(tmp_path) == []


# -- create ----------------------------------------------------------------------------------
def test_create_blank_reads_as_zeros(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    conn = contract.devices.create(vid, SIZE, key)
    assert conn.format == "qcow2" and conn.encryption == "luks"
    assert conn == contract.devices.connection(vid)
    stored = contract.devices.stored()[vid]
    assert (stored.size, stored.snapshots, stored.complete) == (SIZE, frozenset(), True)
    assert contract.read(vid, key, SIZE - 4096, 4096) == bytes(4096)


def test_create_from_an_image_grows_it_to_the_size(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    image = contract.image(MIB, PATTERN)
    contract.devices.create(vid, SIZE, key, image)
    assert contract.devices.stored()[vid].size == SIZE
    assert contract.read(vid, key, 0, len(PATTERN)) == PATTERN
    assert contract.read(vid, key, 2 * MIB, 16) == bytes(16)


def test_an_image_larger_than_the_volume_is_refused(contract: Contract) -> None:
    vid = new_id()
    with pytest.raises(BlockDeviceError):
        contract.devices.create(vid, MIB, new_key(), contract.image(2 * MIB, PATTERN))
    assert vid not in contract.devices.stored()


def test_create_is_idempotent_and_leaves_a_complete_volume_alone(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    contract.devices.create(vid, SIZE, key)
    contract.write(vid, key, 0, PATTERN)
    contract.devices.create(vid, SIZE, key, contract.image(MIB, b"other"))
    assert contract.read(vid, key, 0, len(PATTERN)) == PATTERN


def test_a_crashed_create_is_incomplete_and_the_next_create_finishes_it(
        contract: Contract) -> None:
    vid, key = new_id(), new_key()
    contract.leave_part(vid)
    assert contract.devices.stored()[vid].complete is False
    with pytest.raises(VolumeMissing):
        contract.devices.connection(vid)
    contract.devices.create(vid, SIZE, key, contract.image(MIB, PATTERN))
    stored = contract.devices.stored()[vid]
    assert (stored.complete, stored.size) == (True, SIZE)
    assert contract.read(vid, key, 0, len(PATTERN)) == PATTERN


def test_copy_of_a_volume_is_re_encrypted_with_the_new_key(contract: Contract) -> None:
    src, src_key = new_id(), new_key()
    contract.devices.create(src, SIZE, src_key, contract.image(MIB, PATTERN))
    copy, copy_key = new_id(), new_key()
    contract.devices.create(copy, 2 * SIZE, copy_key, CopyOf(src, src_key))
    assert contract.devices.stored()[copy].size == 2 * SIZE
    assert contract.read(copy, copy_key, 0, len(PATTERN)) == PATTERN
    # The copy stands alone: the source (and its key) may go.
    contract.devices.delete(src)
    assert contract.read(copy, copy_key, 0, len(PATTERN)) == PATTERN
    with pytest.raises(BlockDeviceError):
        contract.read(copy, src_key, 0, 16)


def test_copy_of_a_snapshot_has_the_snapshots_content(contract: Contract) -> None:
    src, key = new_id(), new_key()
    contract.devices.create(src, SIZE, key, contract.image(MIB, PATTERN))
    contract.devices.snapshot(src, "snap-1", key)
    contract.write(src, key, 0, b"changed after the snapshot")
    copy, copy_key = new_id(), new_key()
    contract.devices.create(copy, SIZE, copy_key, CopyOf(src, key, "snap-1"))
    assert contract.read(copy, copy_key, 0, len(PATTERN)) == PATTERN
    assert contract.read(src, key, 0, 7) == b"changed"


def test_copy_of_a_snapshot_taken_before_an_extend(contract: Contract) -> None:
    src, key = new_id(), new_key()
    contract.devices.create(src, SIZE, key, contract.image(MIB, PATTERN))
    contract.devices.snapshot(src, "small", key)
    contract.devices.extend(src, 2 * SIZE, key)
    copy, copy_key = new_id(), new_key()
    contract.devices.create(copy, SIZE, copy_key, CopyOf(src, key, "small"))
    assert contract.read(copy, copy_key, 0, len(PATTERN)) == PATTERN
    # The real driver refuses a snapshot with data past the new volume's end (only
    # zeros there: it fits); the fake refuses by size alone.
    contract.write(src, key, SIZE + MIB, PATTERN)
    contract.devices.snapshot(src, "large", key)
    with pytest.raises(BlockDeviceError):
        contract.devices.create(new_id(), SIZE, new_key(), CopyOf(src, key, "large"))


def test_copy_with_the_wrong_source_key_fails_and_leaves_nothing(contract: Contract) -> None:
    src, key = new_id(), new_key()
    contract.devices.create(src, SIZE, key)
    copy = new_id()
    with pytest.raises(BlockDeviceError):
        contract.devices.create(copy, SIZE, new_key(), CopyOf(src, new_key()))
    assert copy not in contract.devices.stored()


def test_copy_of_a_missing_volume_or_snapshot(contract: Contract) -> None:
    src, key = new_id(), new_key()
    with pytest.raises(VolumeMissing):
        contract.devices.create(new_id(), SIZE, new_key(), CopyOf(src, key))
    contract.devices.create(src, SIZE, key)
    with pytest.raises(VolumeMissing):
        contract.devices.create(new_id(), SIZE, new_key(), CopyOf(src, key, "nope"))


# -- changes ---------------------------------------------------------------------------------
def test_extend_grows_and_never_shrinks(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    contract.devices.create(vid, SIZE, key, contract.image(MIB, PATTERN))
    contract.devices.extend(vid, 2 * SIZE, key)
    assert contract.devices.stored()[vid].size == 2 * SIZE
    contract.devices.extend(vid, SIZE, key)
    assert contract.devices.stored()[vid].size == 2 * SIZE
    assert contract.read(vid, key, 0, len(PATTERN)) == PATTERN
    with pytest.raises(VolumeMissing):
        contract.devices.extend(new_id(), SIZE, key)


def test_extend_with_the_wrong_key_fails(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    contract.devices.create(vid, SIZE, key)
    with pytest.raises(BlockDeviceError):
        contract.devices.extend(vid, 2 * SIZE, new_key())
    assert contract.devices.stored()[vid].size == SIZE


def test_snapshots_are_listed_idempotent_and_deleted(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    contract.devices.create(vid, SIZE, key)
    contract.devices.snapshot(vid, "a", key)
    contract.devices.snapshot(vid, "a", key)
    contract.devices.snapshot(vid, "b", key)
    assert contract.devices.stored()[vid].snapshots == {"a", "b"}
    contract.devices.delete_snapshot(vid, "a", key)
    contract.devices.delete_snapshot(vid, "a", key)
    contract.devices.delete_snapshot(new_id(), "a", key)
    assert contract.devices.stored()[vid].snapshots == {"b"}
    with pytest.raises(VolumeMissing):
        contract.devices.snapshot(new_id(), "a", key)


def test_a_volume_in_use_is_busy(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    contract.devices.create(vid, SIZE, key)
    contract.devices.snapshot(vid, "s", key)
    with contract.hold(vid, key):
        assert contract.devices.stored()[vid].size == SIZE
        with pytest.raises(VolumeBusy):
            contract.devices.extend(vid, 2 * SIZE, key)
        with pytest.raises(VolumeBusy):
            contract.devices.snapshot(vid, "t", key)
        with pytest.raises(VolumeBusy):
            contract.devices.delete(vid)
        with pytest.raises(VolumeBusy):
            contract.devices.create(new_id(), SIZE, new_key(), CopyOf(vid, key))
        # A snapshot reads while the guest writes (its clusters are copy on write).
        copy, copy_key = new_id(), new_key()
        contract.devices.create(copy, SIZE, copy_key, CopyOf(vid, key, "s"))
    assert contract.devices.stored()[vid].snapshots == {"s"}
    contract.devices.delete(vid)


def test_delete_removes_everything_and_is_idempotent(contract: Contract) -> None:
    vid, key = new_id(), new_key()
    contract.devices.create(vid, SIZE, key)
    contract.devices.snapshot(vid, "s", key)
    contract.devices.delete(vid)
    contract.devices.delete(vid)
    part = new_id()
    contract.leave_part(part)
    contract.devices.delete(part)
    assert contract.devices.stored() == {}
    with pytest.raises(VolumeMissing):
        contract.devices.connection(vid)
    with pytest.raises(VolumeMissing):
        contract.devices.reader(vid, key)
    with pytest.raises(VolumeMissing):
        contract.devices.writer(vid, key)


# -- the real driver only --------------------------------------------------------------------
@needs_qemu_img
def test_no_key_and_no_plaintext_reach_a_file_or_a_command_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = _real(tmp_path)
    assert isinstance(c.devices, Qcow2Volumes)
    started: list[tuple[list[str], dict[str, str]]] = []
    popen = subprocess.Popen

    def recording(argv: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        started.append((list(argv), dict(kw.get("env") or {})))
        return popen(argv, **kw)

    monkeypatch.setattr(subprocess, "Popen", recording)
    src, key = new_id(), new_key()
    c.devices.create(src, SIZE, key, c.image(MIB, PATTERN * 64))
    c.write(src, key, 2 * MIB, PATTERN)
    c.devices.snapshot(src, "s", key)
    c.devices.extend(src, 2 * SIZE, key)
    copy, copy_key = new_id(), new_key()
    c.devices.create(copy, SIZE, copy_key, CopyOf(src, key, "s"))
    assert c.read(copy, copy_key, 2 * MIB, len(PATTERN)) == PATTERN

    secrets = [k for k in (key, copy_key) for k in (k, qemu_img.passphrase(k))]
    assert len(started) >= 6
    for argv, env in started:
        text = "\0".join([*argv, *env.values()]).encode()
        assert not any(s in text for s in secrets), argv
    volumes = list(c.devices.directory.iterdir())
    assert {p.name for p in volumes} == {f"{src}.qcow2", f"{copy}.qcow2"}
    for path in volumes:
        data = path.read_bytes()
        assert PATTERN not in data, path
        assert not any(s in data for s in secrets), path
    assert oct(c.devices.directory.stat().st_mode & 0o777) == oct(0o700)


@needs_qemu_img
def test_a_qemu_img_past_its_deadline_is_killed(tmp_path: Path) -> None:
    # `qemu-img bench` runs for as long as it is asked: the deadline must end it.
    target = tmp_path / "bench.qcow2"
    qemu_img.run(["create", "-q", "-f", "qcow2", str(target), "1M"])
    with pytest.raises(BlockDeviceError, match="did not finish"):
        qemu_img.run(["bench", "-c", "100000000", "-f", "qcow2", str(target)],
                     timeout=0.5)
    assert processes_under(tmp_path) == []


@needs_qemu_img
def test_a_volume_id_is_never_a_path(tmp_path: Path) -> None:
    devices = Qcow2Volumes(tmp_path / "volumes")
    for bad in ("../x", "a/b", "", "a,b"):
        with pytest.raises(BlockDeviceError):
            devices.create(bad, SIZE, new_key())
    assert list(devices.directory.iterdir()) == []


@needs_qemu_img
def test_stored_runs_qemu_img_only_for_changed_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every file counts as settled at once (the cache waits 2 s otherwise).
    monkeypatch.setattr(driver, "_SETTLED_NS", -1 << 62)
    devices = Qcow2Volumes(tmp_path / "volumes")
    vid, key = new_id(), new_key()
    devices.create(vid, SIZE, key)
    started: list[list[str]] = []
    popen = subprocess.Popen

    def recording(argv: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        started.append(list(argv))
        return popen(argv, **kw)

    monkeypatch.setattr(subprocess, "Popen", recording)
    assert devices.stored()[vid].size == SIZE
    assert len(started) == 1
    assert devices.stored()[vid].size == SIZE
    assert len(started) == 1
    devices.extend(vid, 2 * SIZE, key)
    devices.snapshot(vid, "s", key)
    stored = devices.stored()[vid]
    assert (stored.size, stored.snapshots) == (2 * SIZE, frozenset({"s"}))
    devices.delete(vid)
    assert devices.stored() == {}


@needs_qemu_img
def test_no_running_qemu_img_shows_the_key_in_proc(tmp_path: Path) -> None:
    """What another user of the host sees: every process's cmdline and environ while a
    create (seconds of PBKDF2 benchmark) runs."""
    devices = Qcow2Volumes(tmp_path / "volumes")
    key = new_key()
    secrets = (key, qemu_img.passphrase(key))
    seen: list[str] = []
    done = threading.Event()

    def create() -> None:
        try:
            devices.create(new_id(), SIZE, key)
        finally:
            done.set()

    worker = threading.Thread(target=create)
    worker.start()
    while not done.is_set():
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if b"qemu-img" in cmdline:
                seen.append(cmdline.decode(errors="replace"))
                assert not any(s in cmdline or s in environ for s in secrets)
        time.sleep(0.05)
    worker.join()
    assert seen, "no qemu-img was running while the volume was created"


@needs_qemu_img
def test_a_large_volume_from_a_small_image_is_thin(tmp_path: Path) -> None:
    devices = Qcow2Volumes(tmp_path / "volumes")
    image = tmp_path / "small.raw"
    image.write_bytes(PATTERN * 1024)
    vid = new_id()
    devices.create(vid, 10 << 30, new_key(), ImageFile(image, "raw"))
    assert devices.stored()[vid].size == 10 << 30
    # The LUKS header (about 2 MiB), the image's data and qcow2's tables: not 10 GiB.
    assert devices.path(vid).stat().st_blocks * 512 < 8 * MIB


def test_qemu_imgs_benchmark_flake_is_retried(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    devices = Qcow2Volumes(tmp_path / "volumes")
    calls: list[list[str]] = []

    def flaky(args: list[str], *rest: object, **kw: object) -> str:
        calls.append(list(args))
        if len(calls) < 3:
            raise BlockDeviceError("qemu-img: x: Unable to get accurate CPU usage")
        Path(args[-2]).write_bytes(b"created")
        return ""

    monkeypatch.setattr(qemu_img, "run", flaky)
    devices.create(new_id(), SIZE, new_key())
    assert [c[0] for c in calls] == ["create"] * 3


@needs_qemu_img
def test_a_damaged_file_is_reported_and_deleted(tmp_path: Path) -> None:
    devices = Qcow2Volumes(tmp_path / "volumes")
    vid = new_id()
    devices.path(vid).write_bytes(b"not a qcow2 at all")
    stored = devices.stored()[vid]
    assert (stored.size, stored.complete) == (0, False)
    devices.delete(vid)
    assert devices.stored() == {}


@needs_qemu_img
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux setpriv is absent")
def test_a_qemu_img_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    """`nuage up` killed (SIGKILL) in the middle of a call leaves no qemu-img behind."""
    target = tmp_path / "bench.qcow2"
    qemu_img.run(["create", "-q", "-f", "qcow2", str(target), "1M"])
    code = ("from nuage.drivers.qcow2_volumes import qemu_img\n"
            f"qemu_img.run(['bench', '-c', '100000000', '-f', 'qcow2', {str(target)!r}])")
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 30
        while not _qemu_imgs(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _qemu_imgs(tmp_path), "qemu-img did not start"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while _qemu_imgs(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _qemu_imgs(tmp_path)
    for pid in left:   # a failure leaves nothing running either
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == []


def _qemu_imgs(root: Path) -> list[int]:
    found = []
    for pid in processes_under(root):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "qemu-img":
                found.append(pid)
    return found


@needs_qemu
def test_a_guests_qemu_makes_the_volume_busy(tmp_path: Path) -> None:
    """A real (paused) guest with the volume as its virtio disk, opened as the
    hypervisor opens it (`connection()`): the driver refuses to change it, and still
    copies a snapshot of it."""
    devices = Qcow2Volumes(tmp_path / "volumes")
    vid, key = new_id(), new_key()
    conn = devices.create(vid, SIZE, key)
    devices.snapshot(vid, "s", key)
    read_end, write_end = os.pipe()
    os.write(write_end, qemu_img.passphrase(key))
    os.close(write_end)
    disk = (f"driver={conn.format},node-name=d0,file.driver=file,"
            f"file.filename={conn.path},encrypt.format={conn.encryption},"
            "encrypt.key-secret=sec0")
    try:
        guest = subprocess.Popen(
            ["qemu-system-x86_64", "-S", "-nodefaults", "-display", "none", "-machine",
             "q35", "-accel", "tcg", "-m", "64",
             "-object", f"secret,id=sec0,file=/dev/fd/{read_end}",
             "-blockdev", disk, "-device", "virtio-blk-pci,drive=d0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=[read_end])
    finally:
        os.close(read_end)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                qemu_img.check_unused(conn.path, "probe")
            except VolumeBusy:
                break
            assert guest.poll() is None, guest.communicate()[1]
            assert time.monotonic() < deadline, "the guest never locked its disk"
            time.sleep(0.1)
        with pytest.raises(VolumeBusy):
            devices.extend(vid, 2 * SIZE, key)
        with pytest.raises(VolumeBusy):
            devices.snapshot(vid, "t", key)
        with pytest.raises(VolumeBusy):
            devices.delete(vid)
        copy = new_id()
        devices.create(copy, SIZE, new_key(), CopyOf(vid, key, "s"))
        assert devices.stored()[vid].snapshots == {"s"}
    finally:
        guest.kill()
        guest.communicate()
    devices.delete(vid)
    assert processes_under(tmp_path) == []


@needs_qemu_img
def test_a_source_extended_during_a_copy_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    devices = Qcow2Volumes(tmp_path / "volumes")
    src, key = new_id(), new_key()
    devices.create(src, SIZE, key)
    devices.snapshot(src, "s", key)
    real_run = qemu_img.run
    converts: list[int] = []

    def extended_meanwhile(args: list[str], *rest: Any, **kw: Any) -> str:
        if args[0] == "convert" and not converts:
            converts.append(1)
            # As if the source grew between reading its size and copying it.
            devices.extend(src, 2 * SIZE, key)
            raise BlockDeviceError("qemu-img: output file is smaller than input file")
        return real_run(args, *rest, **kw)

    monkeypatch.setattr(qemu_img, "run", extended_meanwhile)
    copy, copy_key = new_id(), new_key()
    devices.create(copy, SIZE, copy_key, CopyOf(src, key, "s"))
    assert devices.stored()[copy].size == SIZE
    assert sorted(p.name for p in devices.directory.iterdir()) == sorted(
        [f"{src}.qcow2", f"{copy}.qcow2"])
