"""Reading and writing encrypted qcow2 volumes in place (drivers/qcow2_volumes/nbd.py), on
tiny real volumes made with qemu-img and checked with qemu-io: the plaintext travels only
over the NBD socket, never to a file, and no qemu-nbd outlives its context."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.blobs_fs import FsBlobStore
from nuage.drivers.qcow2_volumes import nbd, nbd_client
from nuage.drivers.qcow2_volumes.nbd import open_reader, open_writer
from nuage.ports.block_devices import BlockDeviceError, VolumeBusy, VolumeMissing, luks_passphrase
from nuage.services.volume.backup_engine import BackupEngine

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("qemu-img", "qemu-io", "qemu-nbd")),
    reason="QEMU's tools are not installed",
)

MIB = 1 << 20
KEY = bytes(range(32))
# A pattern that appears nowhere by chance: if it is found in a file, plaintext leaked.
PATTERN = b"nuage-plaintext-canary-7f3a9c1e!"


@pytest.fixture(autouse=True)
def socket_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Every private socket directory the driver makes; all must be gone after a test."""
    made: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        path: str = real_mkdtemp(*args, **kwargs)
        made.append(Path(path))
        assert Path(path).stat().st_mode & 0o777 == 0o700
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    yield made
    assert [path for path in made if path.exists()] == []


def _secret(key: bytes) -> str:
    # On the command line: fine in a test (the driver itself passes keys through pipes).
    return f"secret,id=s,data={luks_passphrase(key).decode()}"


def _image_opts(path: Path) -> str:
    return f"driver=qcow2,file.filename={path},encrypt.key-secret=s"


def make_volume(path: Path, size: int = 4 * MIB, key: bytes = KEY) -> Path:
    for _ in range(5):
        done = subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "--object", _secret(key),
             "-o", "encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10",
             str(path), str(size)],
            capture_output=True, text=True, check=False,
        )
        # QEMU 7.2 times its LUKS key derivation with the thread's CPU clock, which ticks
        # coarsely here: a run that measures 0 ms fails ("Unable to get accurate CPU
        # usage") and a retry succeeds.
        if done.returncode == 0:
            return path
        assert "accurate CPU usage" in done.stderr, done.stderr
    raise AssertionError("qemu-img create kept failing to time its key derivation")


@pytest.fixture(scope="module")
def blank_volume(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One blank volume made once: creating one costs seconds (QEMU times its LUKS key
    derivation), copying it costs nothing."""
    return make_volume(tmp_path_factory.mktemp("template") / "blank.qcow2")


@pytest.fixture
def volume(blank_volume: Path, tmp_path: Path) -> Path:
    path = tmp_path / "v.qcow2"
    shutil.copyfile(blank_volume, path)
    return path


def qemu_io(path: Path, *commands: str, key: bytes = KEY) -> str:
    argv = ["qemu-io", "--object", _secret(key), "--image-opts", _image_opts(path)]
    for command in commands:
        argv += ["-c", command]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    assert "fail" not in done.stdout.lower(), done.stdout
    return done.stdout


def take_snapshot(path: Path, name: str) -> None:
    subprocess.run(
        ["qemu-img", "snapshot", "--object", _secret(KEY), "--image-opts",
         _image_opts(path), "-c", name],
        check=True,
    )


def servers_on(path: Path) -> list[int]:
    """The pids of processes whose command line names `path` (a qemu-nbd left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if os.fsencode(path) in cmdline:
            found.append(int(entry.name))
    return found


def assert_no_plaintext(root: Path, pattern: bytes = PATTERN) -> None:
    for file in root.rglob("*"):
        if file.is_file():
            assert pattern not in file.read_bytes(), f"plaintext in {file}"


def test_reads_what_qemu_io_wrote(volume: Path) -> None:
    qemu_io(volume, "write -P 0xab 0 64k", f"write -P 0xcd {MIB} 64k")
    with open_reader(volume, KEY) as reader:
        assert reader.size == 4 * MIB
        assert reader.read(0, 65536) == b"\xab" * 65536
        assert reader.read(MIB - 4, 8) == b"\0" * 4 + b"\xcd" * 4
        extents = list(reader.allocated())
    assert extents[0] == (0, 65536, True)
    assert (MIB, 65536, True) in extents
    # The extents cover the volume, in order, with nothing missing.
    assert sum(length for _, length, _ in extents) == 4 * MIB
    starts = [start for start, _, _ in extents]
    assert starts == sorted(starts)
    assert servers_on(volume) == []


def test_writes_that_qemu_io_reads_back(volume: Path, tmp_path: Path) -> None:
    qemu_io(volume, "write -P 0x55 2M 128k")
    data = PATTERN * (3 * 65536 // len(PATTERN))
    with open_writer(volume, KEY) as writer:
        assert writer.size == 4 * MIB
        writer.write(MIB + 512, data)
        writer.zero(2 * MIB, 131072)
        writer.flush()
    qemu_io(volume, "read -P 0x00 2M 128k")
    out = qemu_io(volume, f"read -v {MIB + 512} {len(PATTERN)}")
    assert " ".join(f"{byte:02x}" for byte in PATTERN[:16]) in out
    with open_reader(volume, KEY) as reader:
        assert reader.read(MIB + 512, len(data)) == data
    assert_no_plaintext(tmp_path)
    assert servers_on(volume) == []


def test_a_snapshot_reads_its_own_content(volume: Path) -> None:
    qemu_io(volume, "write -P 0x11 0 64k")
    take_snapshot(volume, "snap-1")
    qemu_io(volume, "write -P 0x22 0 64k")
    with open_reader(volume, KEY, "snap-1") as reader:
        assert reader.read(0, 16) == b"\x11" * 16
        assert list(reader.allocated()) == [(0, 4 * MIB, True)]
    with open_reader(volume, KEY) as reader:
        assert reader.read(0, 16) == b"\x22" * 16
    with pytest.raises(VolumeMissing), open_reader(volume, KEY, "no-such-snapshot"):
        pass
    assert servers_on(volume) == []


def test_a_wrong_key_fails_cleanly(volume: Path) -> None:
    with pytest.raises(BlockDeviceError, match="password"), open_reader(volume, b"\x01" * 32):
        pass
    with pytest.raises(BlockDeviceError), open_writer(volume, b"\x01" * 32):
        pass
    assert servers_on(volume) == []


def test_a_missing_volume(tmp_path: Path) -> None:
    with pytest.raises(VolumeMissing), open_reader(tmp_path / "absent.qcow2", KEY):
        pass


def test_an_error_inside_the_context_stops_the_server(volume: Path) -> None:
    with pytest.raises(RuntimeError), open_writer(volume, KEY) as writer:
        writer.write(0, PATTERN)
        assert servers_on(volume) != []
        raise RuntimeError("the caller failed")
    assert servers_on(volume) == []


def test_a_hung_server_times_out_and_is_killed(volume: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nbd, "IO_TIMEOUT", 1.0)
    monkeypatch.setattr(nbd, "_STOP_GRACE", 0.5)
    with pytest.raises(BlockDeviceError, match="timed out"), open_reader(volume, KEY) as reader:
        for pid in servers_on(volume):
            os.kill(pid, signal.SIGSTOP)
        reader.read(0, 4096)
    assert servers_on(volume) == []


def test_a_backup_through_nbd_restores_into_another_volume(
        volume: Path, blank_volume: Path, tmp_path: Path) -> None:
    """The whole data path on real volumes: read in place, chunk into the encrypted blob
    store, restore in place into a second volume; no plaintext anywhere on disk."""
    qemu_io(volume, "write -P 0x3c 0 64k")
    with open_writer(volume, KEY) as writer:
        writer.write(2 * MIB + 4096, PATTERN * 64)
        writer.flush()
    engine = BackupEngine(FsBlobStore(tmp_path / "blobs"), chunk_size=MIB)
    backup_key = b"b" * 32
    with open_reader(volume, KEY) as reader:
        manifest = engine.backup(reader, "bk-1", backup_key, None)
    assert [chunk is not None for chunk in manifest.chunks] == [True, False, True, False]
    target = tmp_path / "target.qcow2"
    shutil.copyfile(blank_volume, target)
    with open_writer(target, KEY) as writer:
        engine.restore(manifest, writer, backup_key)
    with open_reader(volume, KEY) as source, open_reader(target, KEY) as copy:
        assert copy.read(0, copy.size) == source.read(0, source.size)
    assert_no_plaintext(tmp_path)
    assert servers_on(volume) == [] and servers_on(target) == []


def test_stale_socket_directories_are_removed_live_ones_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(tempfile.mkdtemp(prefix="nbd-root-"))
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(root))
        stale = root / "nuage-nbd-stale"
        stale.mkdir()
        (stale / "nbd.sock").touch()             # its server is gone
        live = root / "nuage-nbd-live"
        live.mkdir()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(str(live / "nbd.sock"))
            server.listen(1)
            assert nbd.remove_stale_sockets() == 1
        assert not stale.exists() and live.exists()
    finally:
        shutil.rmtree(root)


def test_a_volume_open_for_writing_is_busy_for_another_writer(volume: Path) -> None:
    with open_writer(volume, KEY):
        with pytest.raises(VolumeBusy), open_writer(volume, KEY):
            pass
        with pytest.raises(VolumeBusy), open_reader(volume, KEY):
            pass
    assert servers_on(volume) == []


def test_a_shared_reader_reads_beside_the_holder(volume: Path) -> None:
    # A forced backup of an attached volume: the guest's QEMU holds the file's lock.
    with open_writer(volume, KEY) as writer:
        writer.write(0, b"held and written" * 4096)
        writer.flush()
        with open_reader(volume, KEY, shared=True) as reader:
            assert reader.read(0, 16 * 4096) == b"held and written" * 4096
    assert servers_on(volume) == []


def test_large_requests_are_split_to_the_servers_limit(
        volume: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nbd_client, "_DEFAULT_MAX_PAYLOAD", 64 * 1024)
    data = os.urandom(300 * 1024 + 7)
    with open_writer(volume, KEY) as writer:
        writer.write(MIB - 3, data)
        writer.flush()
    with open_reader(volume, KEY) as reader:
        assert reader.read(MIB - 3, len(data)) == data
        assert reader.read(0, MIB - 3) == bytes(MIB - 3)
