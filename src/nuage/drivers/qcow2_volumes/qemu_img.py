"""Running `qemu-img` on encrypted volumes: the volume's key handed over a pipe, a
deadline that kills the whole process group, and its failures turned into the port's
errors.

The key never touches a file or a command line (both readable by others: /proc/<pid>/
cmdline is world-readable). Each key is written into a fresh pipe before qemu-img starts,
the write end closed, and the read end inherited as `/dev/fd/N` (`pass_fds`): qemu-img's
`--object secret,file=/dev/fd/N` reads it to EOF. The pipe holds it in kernel memory only.

The LUKS passphrase is the key's base64 text, not the key's bytes: QEMU requires a qcow2
LUKS passphrase to be valid UTF-8, which 32 random bytes rarely are. It has the same 256
bits of entropy.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nuage.ports.block_devices import (
    BlockDeviceError,
    VolumeBusy,
    VolumeKey,
    luks_passphrase,
)

QEMU_IMG = "qemu-img"
# Metadata calls (info, snapshot, resize, create) are quick; a copy streams a volume.
SHORT_TIMEOUT = 120.0
COPY_TIMEOUT = 6 * 3600.0
# What qemu-img says when a running QEMU holds the image's write lock (file-posix).
_LOCK_WORDS = ('lock', 'Is another process using the image')


def passphrase(key: VolumeKey) -> bytes:
    """The LUKS passphrase of a volume (ports/block_devices.py says which)."""
    return luks_passphrase(key)


@dataclass(frozen=True)
class Secret:
    """One key given to qemu-img as the secret object `id`."""

    id: str
    key: VolumeKey


def image_opts(path: Path, secret_id: str | None) -> str:
    """An encrypted qcow2 volume as `--image-opts` (commas in a path are doubled, as
    QEMU's option syntax asks)."""
    opts = f"driver=qcow2,file.filename={str(path).replace(',', ',,')}"
    return opts if secret_id is None else f"{opts},encrypt.key-secret={secret_id}"


def plain_image(path: Path, disk_format: str) -> str:
    """A plaintext image, opened as exactly `disk_format` and never following a backing
    file (the image cache has proven it has none; this is the second lock)."""
    spec: dict[str, Any] = {"driver": disk_format, "file": {"driver": "file",
                                                             "filename": str(path)}}
    if disk_format == "qcow2":
        spec["backing"] = None
    return "json:" + json.dumps(spec)


def run(args: Sequence[str], secrets: Sequence[Secret] = (), what: str = "qemu-img",
        timeout: float = SHORT_TIMEOUT) -> str:
    """Run `qemu-img args...` with `secrets` available as secret objects; its stdout.
    A lock conflict raises VolumeBusy, any other failure BlockDeviceError with qemu-img's
    words. On timeout the whole process group is killed: no qemu-img outlives the call."""
    with _secret_pipes(secrets) as (fds, objects):
        argv = [*_dies_with_us(), QEMU_IMG, *args[:1], *objects, *args[1:]]
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, pass_fds=fds, start_new_session=True,
                env={**os.environ, "LC_ALL": "C"})
        except OSError as exc:
            raise BlockDeviceError(f"{what}: cannot run {QEMU_IMG}: {exc}") from exc
    # The child has its copies of the read ends; ours are closed (above), so nothing of
    # the key stays open in this process.
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        raise BlockDeviceError(f"{what}: {QEMU_IMG} did not finish in {timeout:g} s "
                               "(killed)") from exc
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        words = err.decode(errors="replace").strip()[-1000:]
        if any(w in words for w in _LOCK_WORDS):
            raise VolumeBusy(f"{what}: {words}")
        raise BlockDeviceError(f"{what}: {words or f'exit status {proc.returncode}'}")
    return out.decode(errors="replace")


def _dies_with_us() -> list[str]:
    """A prefix that makes qemu-img die with the thread that started it (the kernel's
    parent-death signal, set by util-linux's setpriv before it execs qemu-img): a
    `nuage up` killed mid-copy leaves no qemu-img writing on. Without setpriv, a killed
    parent's qemu-img finishes its call alone (its output is a `.part` file, which the
    next create removes)."""
    setpriv = shutil.which("setpriv")
    return [] if setpriv is None else [setpriv, "--pdeathsig", "KILL", "--"]


def info(path: Path, what: str) -> dict[str, Any]:
    """`qemu-img info` of a volume, shared with a guest that may hold it (-U: it reads
    only the header and snapshot table, no key needed)."""
    out = run(["info", "-U", "--output=json", "-f", "qcow2", str(path)], what=what)
    data: dict[str, Any] = json.loads(out)
    return data


def check_unused(path: Path, what: str) -> None:
    """VolumeBusy when a running QEMU holds the file: `qemu-img info` without -U asks
    for the shared locks a writer refuses."""
    run(["info", "--output=json", "-f", "qcow2", str(path)], what=what)


@contextlib.contextmanager
def _secret_pipes(secrets: Sequence[Secret]) -> Iterator[tuple[list[int], list[str]]]:
    fds: list[int] = []
    objects: list[str] = []
    try:
        for secret in secrets:
            read_end, write_end = os.pipe()
            fds.append(read_end)
            try:
                # A few dozen bytes: far below a pipe's buffer, so this never blocks.
                os.write(write_end, passphrase(secret.key))
            finally:
                os.close(write_end)
            objects += ["--object", f"secret,id={secret.id},file=/dev/fd/{read_end}"]
        yield fds, objects
    finally:
        for fd in fds:
            os.close(fd)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
