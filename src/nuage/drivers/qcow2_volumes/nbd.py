"""Reading and writing an encrypted qcow2 volume in place, over NBD.

The plaintext must never touch the disk, so nothing is decrypted into a file: `qemu-nbd`
opens the qcow2 with its LUKS key and serves the decrypted view over NBD on a unix socket
in a private temporary directory (0700), and our client (`nbd_client`) reads and writes
through it. The key reaches `qemu-nbd` and `qemu-img` as a `secret` object read from a
pipe (`file=/dev/fd/N`): never a file, never the command line.

Why `qemu-nbd` rather than `qemu-storage-daemon`: one tool serves both cases, and only
`qemu-nbd` can export an internal snapshot (`-l snapshot.name=<id>`, which loads it
read-only) on Debian 12's QEMU 7.2; the storage daemon has no equivalent (QMP can create
and delete internal snapshots but not load one). Without `--persistent`, qemu-nbd also
exits by itself once its one client disconnects.

Lifetimes: each context starts one `qemu-nbd`, and its exit (normal, error or timeout)
disconnects, waits for the process (killing it after a grace period) and removes the
socket directory. `setpriv --pdeathsig KILL` makes the kernel kill the server if the
process that started it dies first (a crash of the agent), so no daemon outlives its
context. Every socket operation has a timeout; a hung server raises, and the exit path
kills it.

LUKS needs a UTF-8 passphrase, and a volume key is 32 random bytes: the passphrase is
`ports.block_devices.luks_passphrase(key)`, the one definition every user of a volume's
file shares.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from nuage.drivers.qcow2_volumes.nbd_client import NbdClient, NbdError
from nuage.ports.block_devices import (
    BlockDeviceError,
    BlockReader,
    BlockWriter,
    VolumeBusy,
    VolumeKey,
    VolumeMissing,
    luks_passphrase,
)

_SECRET_ID = "sec0"
_RUN_PREFIX = "nuage-nbd-"
START_TIMEOUT = 30.0    # seconds for qemu-nbd to open the image and listen
IO_TIMEOUT = 120.0      # seconds for one NBD request, or one qemu-img map
_STOP_GRACE = 5.0       # seconds for qemu-nbd to exit after the disconnect


def _opt(value: str) -> str:
    """A value inside QEMU's comma-separated option syntax (a comma is doubled)."""
    return value.replace(",", ",,")


def _image_opts(path: Path, force_share: bool = False) -> str:
    opts = (f"driver=qcow2,file.driver=file,file.filename={_opt(str(path))},"
            f"encrypt.key-secret={_SECRET_ID}")
    if force_share:
        opts += ",force-share=on"
    return opts


def _secret_pipe(key: VolumeKey) -> tuple[int, str]:
    """A pipe holding the passphrase: (read fd to pass to the child, its --object)."""
    read_fd, write_fd = os.pipe()
    try:
        # 64 bytes fit in any pipe buffer: the write never blocks.
        os.write(write_fd, luks_passphrase(key))
    finally:
        os.close(write_fd)
    return read_fd, f"secret,id={_SECRET_ID},file=/dev/fd/{read_fd},format=raw"


def _failure(path: Path, words: str) -> BlockDeviceError:
    """The error a qemu tool's complaint about `path` means."""
    # "Failed to get "write" lock": QEMU's image locking (a guest has it open).
    if "Failed to get" in words and "lock" in words:
        return VolumeBusy(f"{path} is in use: {words}")
    if "Can't find snapshot" in words:
        return VolumeMissing(f"{path}: {words}")
    return BlockDeviceError(f"{path}: {words}")


class _NbdVolume:
    """A volume served by one qemu-nbd; both a BlockReader and a BlockWriter."""

    def __init__(self, client: NbdClient, path: Path, key: VolumeKey,
                 snapshot_id: str | None) -> None:
        self._client = client
        self._path = path
        self._key = key
        self._snapshot_id = snapshot_id

    @property
    def size(self) -> int:
        return self._client.size

    def read(self, offset: int, length: int) -> bytes:
        try:
            return self._client.read(offset, length)
        except NbdError as error:
            raise BlockDeviceError(f"reading {self._path}: {error}") from error

    def write(self, offset: int, data: bytes) -> None:
        try:
            self._client.write(offset, data)
        except NbdError as error:
            raise BlockDeviceError(f"writing {self._path}: {error}") from error

    def zero(self, offset: int, length: int) -> None:
        try:
            self._client.zero(offset, length)
        except NbdError as error:
            raise BlockDeviceError(f"zeroing {self._path}: {error}") from error

    def flush(self) -> None:
        try:
            self._client.flush()
        except NbdError as error:
            raise BlockDeviceError(f"flushing {self._path}: {error}") from error

    def allocated(self) -> Iterator[tuple[int, int, bool]]:
        """The current content's extents from `qemu-img map`. A snapshot's map is not
        available that way (qemu-img maps the active layer), so a snapshot is "all data":
        the backup then finds its zero chunks by reading them."""
        if self._snapshot_id is not None:
            yield 0, self.size, True
            return
        yield from _merged(_map(self._path, self._key))


def _map(path: Path, key: VolumeKey) -> list[tuple[int, int, bool]]:
    read_fd, secret = _secret_pipe(key)
    try:
        # force-share: the reader's own qemu-nbd has the image open (read-only).
        done = subprocess.run(
            ["qemu-img", "map", "--output=json", "--object", secret,
             "--image-opts", _image_opts(path, force_share=True)],
            pass_fds=(read_fd,), stdin=subprocess.DEVNULL, capture_output=True,
            timeout=IO_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired as error:  # run() has killed it
        raise BlockDeviceError(f"qemu-img map {path} timed out") from error
    finally:
        os.close(read_fd)
    if done.returncode != 0:
        raise _failure(path, done.stderr.decode("utf-8", "replace").strip())
    extents = []
    for entry in json.loads(done.stdout):
        # "zero": the range reads as zeros (unallocated, or a zero cluster).
        has_data = bool(entry["data"]) and not bool(entry["zero"])
        extents.append((int(entry["start"]), int(entry["length"]), has_data))
    return extents


def _merged(extents: list[tuple[int, int, bool]]) -> Iterator[tuple[int, int, bool]]:
    """Adjacent extents of the same kind as one (qemu-img splits them by depth, etc.)."""
    current: tuple[int, int, bool] | None = None
    for start, length, has_data in extents:
        if current is not None and current[2] == has_data and current[0] + current[1] == start:
            current = (current[0], current[1] + length, has_data)
            continue
        if current is not None:
            yield current
        current = (start, length, has_data)
    if current is not None:
        yield current


@contextmanager
def _served(path: Path, key: VolumeKey, *, writable: bool, snapshot_id: str | None,
            shared: bool = False) -> Iterator[_NbdVolume]:
    if not path.exists():
        raise VolumeMissing(f"no volume file {path}")
    run_dir = Path(tempfile.mkdtemp(prefix=_RUN_PREFIX))  # mode 0700
    socket_path = run_dir / "nbd.sock"
    process: subprocess.Popen[bytes] | None = None
    client: NbdClient | None = None
    try:
        read_fd, secret = _secret_pipe(key)
        try:
            process = subprocess.Popen(
                _server_command(path, socket_path, secret, writable, snapshot_id, shared),
                pass_fds=(read_fd,), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
        finally:
            os.close(read_fd)
        client = _connect(process, socket_path, path)
        yield _NbdVolume(client, path, key, snapshot_id)
    finally:
        if client is not None:
            client.close()
        if process is not None:
            _stop(process)
        shutil.rmtree(run_dir, ignore_errors=True)


def _server_command(path: Path, socket_path: Path, secret: str, writable: bool,
                    snapshot_id: str | None, shared: bool = False) -> list[str]:
    command = ["setpriv", "--pdeathsig", "KILL",
               "qemu-nbd", "--object", secret, "--socket", str(socket_path)]
    if writable:
        return [*command, "--image-opts", _image_opts(path)]
    # A snapshot may be read while a guest runs on the volume (its clusters are never
    # rewritten in place while it exists): share the guest's lock. So is the current
    # content when the caller says so (`shared`: a forced backup of an attached volume).
    command += ["--read-only", "--image-opts",
                _image_opts(path, force_share=snapshot_id is not None or shared)]
    if snapshot_id is not None:
        command += ["--load-snapshot", f"snapshot.name={_opt(snapshot_id)}"]
    return command


def _connect(process: subprocess.Popen[bytes], socket_path: Path, path: Path) -> NbdClient:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            words = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            raise _failure(path, words.strip() or f"qemu-nbd exited {process.returncode}")
        if socket_path.exists():
            try:
                return NbdClient.connect_unix(socket_path, IO_TIMEOUT)
            except NbdError as error:
                if time.monotonic() > deadline:
                    raise BlockDeviceError(f"serving {path}: {error}") from error
        if time.monotonic() > deadline:
            raise BlockDeviceError(f"qemu-nbd did not serve {path} in {START_TIMEOUT:.0f}s")
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """qemu-nbd exits when its client leaves; one that does not is killed."""
    try:
        process.wait(timeout=_STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


def remove_stale_sockets() -> int:
    """Remove the socket directories of servers that are gone (the agent was killed
    while a volume was open: the kernel killed its qemu-nbd, the directory stayed).
    A socket that still accepts a connection belongs to a live context and is kept.
    Call at the agent's start; returns how many directories went."""
    removed = 0
    for run_dir in Path(tempfile.gettempdir()).glob(f"{_RUN_PREFIX}*"):
        socket_path = run_dir / "nbd.sock"
        if socket_path.exists() and _listening(socket_path):
            continue
        shutil.rmtree(run_dir, ignore_errors=True)
        removed += 1
    return removed


def _listening(socket_path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(socket_path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def open_reader(path: Path, key: VolumeKey, snapshot_id: str | None = None,
                shared: bool = False) -> AbstractContextManager[BlockReader]:
    """The volume's plaintext (or its snapshot `snapshot_id`'s), read-only, for the
    context's duration. No file: VolumeMissing; the wrong key or a qemu failure:
    BlockDeviceError; a guest holds the volume (current content): VolumeBusy."""
    return _served(path, key, writable=False, snapshot_id=snapshot_id, shared=shared)


def open_writer(path: Path, key: VolumeKey) -> AbstractContextManager[BlockWriter]:
    """Write plaintext into the volume (encrypted on its way to the disk). Errors as
    `open_reader`'s; `flush` makes the writes durable."""
    return _served(path, key, writable=True, snapshot_id=None)
