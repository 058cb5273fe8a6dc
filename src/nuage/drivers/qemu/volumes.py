"""Volumes in QEMU guests (the GuestDisks port's QMP side): an encrypted qcow2 file as a
virtio-blk disk, plugged into or taken from a running guest, and the QEMU ids that name
its parts. See docs/architecture/hypervisor.md, Volumes.

One volume is, in QEMU:
    fdset `vol-<id>`     the file, opened by us and passed as a descriptor (QEMU runs as
                         the unprivileged guest user and opens no path itself)
    secret `key-<id>`    the volume's passphrase, given over QMP or through a pipe,
                         never on a command line or in a file
    node `vf<hash>`      the file node on /dev/fdset/N
    node `vq<hash>`      the qcow2 node on it, LUKS-encrypted with the secret
    device `vol-<id>`    virtio-blk-pci, serial = the volume id (the guest sees its first
                         20 characters)
Ids come from the volume id at launch (command_line.py) as at hot-plug, so a volume is
found again whichever way it came. Node names are limited to 31 characters by QEMU, so
theirs come from a digest of the id.

The guest's record (guest_files.py) says which volumes its next start has. As for NICs
(hotplug.py): attach plugs first and records after, detach unplugs first and records
after, and every step here skips what is already done, so a call repeated after a crash
finishes the job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qemu.qmp import QMPClient

from nuage.drivers.qemu import qmp
from nuage.ports.block_devices import luks_passphrase
from nuage.ports.guest_disks import VolumeDisk
from nuage.ports.hypervisor import HypervisorError

_VOLUME_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_POLL = 0.2
_QCOW2_MAGIC = b"QFI\xfb"
# The first fdset number a launch gives volumes (1 and 2 are the image and the overlay).
_FIRST_FDSET = 10


def check_volume_id(volume_id: str) -> str:
    """Volume ids go into QEMU ids and a -device option: no commas, nothing odd."""
    if not _VOLUME_ID.match(volume_id):
        raise HypervisorError(f"invalid volume id {volume_id!r}")
    return volume_id


def device_id(volume_id: str) -> str:
    return "vol-" + volume_id


def secret_id(volume_id: str) -> str:
    return "key-" + volume_id


def fdset_name(volume_id: str) -> str:
    return "vol-" + volume_id


def _digest(volume_id: str) -> str:
    return hashlib.sha256(volume_id.encode()).hexdigest()[:24]


def file_node(volume_id: str) -> str:
    return "vf" + _digest(volume_id)


def format_node(volume_id: str) -> str:
    return "vq" + _digest(volume_id)


def passphrase(key: bytes) -> str:
    """The LUKS passphrase QEMU is given for a volume (ports.block_devices'
    `luks_passphrase`, which the volume driver makes the files with)."""
    return luks_passphrase(key).decode()


def blockdev(volume_id: str, filename: str) -> dict[str, Any]:
    """The volume's node graph (qcow2 on file), for blockdev-add and -blockdev alike.
    `backing: null`: a backing file named in the header is never opened."""
    return {
        "driver": "qcow2", "node-name": format_node(volume_id), "backing": None,
        "discard": "unmap",
        "encrypt": {"format": "luks", "key-secret": secret_id(volume_id)},
        "file": {"driver": "file", "node-name": file_node(volume_id),
                 "filename": filename, "discard": "unmap"},
    }


def device(disk: VolumeDisk) -> dict[str, Any]:
    """The virtio-blk device's properties (device_add, and -device at launch)."""
    props: dict[str, Any] = {"driver": "virtio-blk-pci", "id": device_id(disk.volume_id),
                             "drive": format_node(disk.volume_id),
                             "serial": disk.volume_id}
    if disk.boot:
        props["bootindex"] = 1
    return props


# --- what a running guest has -------------------------------------------------------------

def plugged(socket: Path) -> dict[str, int]:
    """The volumes plugged into the guest: volume id -> the size QEMU reports."""
    reply = qmp.execute(socket, "query-block")
    found: dict[str, int] = {}
    for backend in _items(reply):
        volume_id = _volume_of(str(backend.get("qdev", "")))
        inserted = backend.get("inserted")
        if volume_id is None or not isinstance(inserted, dict):
            continue
        found[volume_id] = int(inserted.get("image", {}).get("virtual-size", 0))
    return found


def _volume_of(qdev: str) -> str | None:
    """The volume id in a block backend's device: its id (`vol-<id>`) or its QOM path
    (/machine/peripheral/vol-<id>/virtio-backend), depending on QEMU's version."""
    if qdev.startswith("/machine/peripheral/"):
        qdev = qdev.removeprefix("/machine/peripheral/").split("/")[0]
    return qdev.removeprefix("vol-") if qdev.startswith("vol-") else None


async def _devices(client: QMPClient) -> set[str]:
    return {child["name"] for child in _items(
        await client.execute("qom-list", {"path": "/machine/peripheral"}))}


async def _objects(client: QMPClient) -> set[str]:
    return {child["name"] for child in _items(
        await client.execute("qom-list", {"path": "/objects"}))}


async def _nodes(client: QMPClient) -> dict[str, dict[str, Any]]:
    return {str(node["node-name"]): node for node in _items(
        await client.execute("query-named-block-nodes", {"flat": True}))}


async def _fdset(client: QMPClient, volume_id: str) -> int | None:
    for fdset in _items(await client.execute("query-fdsets")):
        if any(fd.get("opaque") == fdset_name(volume_id) for fd in fdset.get("fds", ())):
            return int(fdset["fdset-id"])
    return None


# --- hot-plug -----------------------------------------------------------------------------

def hot_plug(socket: Path, disk: VolumeDisk) -> None:
    """Secret, file descriptor, nodes and device, each unless there. A refused open (a
    wrong key, a file another QEMU holds) takes away what this call added and raises."""
    volume_id = check_volume_id(disk.volume_id)
    if volume_id in plugged(socket):
        return
    try:
        fd = os.open(disk.connection.path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        raise HypervisorError(f"volume {volume_id}: {exc.strerror}") from exc

    async def body(client: QMPClient) -> None:
        if format_node(volume_id) not in await _nodes(client):
            if secret_id(volume_id) not in await _objects(client):
                await client.execute("object-add", {
                    "qom-type": "secret", "id": secret_id(volume_id),
                    "data": passphrase(disk.key), "format": "raw"})
            fdset = await _fdset(client, volume_id)
            if fdset is None:
                client.send_fd_scm(fd)
                added = await client.execute("add-fd", {"opaque": fdset_name(volume_id)})
                fdset = int(added["fdset-id"])  # type: ignore[index]
            await client.execute("blockdev-add", blockdev(volume_id, f"/dev/fdset/{fdset}"))
        await client.execute("device_add", device(disk))

    async def undo(client: QMPClient) -> None:
        if device_id(volume_id) not in await _devices(client):
            await _release(client, volume_id)

    try:
        qmp.run_qmp(socket, body)
    except HypervisorError:
        # Refused (QEMU's words say why): nothing of this volume stays in QEMU but a
        # device the guest already has.
        with contextlib.suppress(HypervisorError):
            qmp.run_qmp(socket, undo)
        raise
    finally:
        os.close(fd)


def hot_unplug(socket: Path, volume_id: str, timeout: float) -> None:
    """Ask the guest to release the device (ACPI), wait until QEMU removed it, then close
    the file and drop the key. HypervisorError when the guest keeps it for `timeout`."""
    check_volume_id(volume_id)

    async def present(client: QMPClient) -> bool:
        return device_id(volume_id) in await _devices(client)

    if qmp.run_qmp(socket, present):
        try:
            qmp.execute(socket, "device_del", {"id": device_id(volume_id)})
        except HypervisorError as exc:
            # Asked before (a previous call timed out): the guest may still answer.
            if "unplug" not in str(exc):
                raise
        deadline = time.monotonic() + timeout
        while qmp.run_qmp(socket, present):
            if time.monotonic() >= deadline:
                raise HypervisorError(f"the guest did not release its volume {volume_id} "
                                      f"within {timeout:g} s")
            time.sleep(_POLL)

    async def release(client: QMPClient) -> None:
        await _release(client, volume_id)

    qmp.run_qmp(socket, release)


async def _release(client: QMPClient, volume_id: str) -> None:
    """The nodes (closing the file), the secret and the descriptor, those that are there."""
    if format_node(volume_id) in await _nodes(client):
        await client.execute("blockdev-del", {"node-name": format_node(volume_id)})
    if secret_id(volume_id) in await _objects(client):
        await client.execute("object-del", {"id": secret_id(volume_id)})
    fdset = await _fdset(client, volume_id)
    if fdset is not None:
        await client.execute("remove-fd", {"fdset-id": fdset})


def resize(socket: Path, volume_id: str, size: int) -> None:
    if check_volume_id(volume_id) not in plugged(socket):
        raise HypervisorError(f"volume {volume_id} is not attached")
    qmp.execute(socket, "block_resize", {"node-name": format_node(volume_id), "size": size})


def snapshot(socket: Path, volume_id: str, snapshot_id: str) -> None:
    """An internal snapshot of the qcow2 node, unless one of that name exists."""
    check_volume_id(volume_id)

    async def body(client: QMPClient) -> None:
        node = (await _nodes(client)).get(format_node(volume_id))
        if node is None:
            raise HypervisorError(f"volume {volume_id} is not attached")
        existing = node.get("image", {}).get("snapshots", ())
        if any(snap.get("name") == snapshot_id for snap in existing):
            return
        await client.execute("blockdev-snapshot-internal-sync",
                             {"device": format_node(volume_id), "name": snapshot_id})

    qmp.run_qmp(socket, body, timeout=120.0)


def delete_snapshot(socket: Path, volume_id: str, snapshot_id: str) -> None:
    """Drop the qcow2 node's internal snapshot of that name, if it has one."""
    check_volume_id(volume_id)

    async def body(client: QMPClient) -> None:
        node = (await _nodes(client)).get(format_node(volume_id))
        if node is None:
            raise HypervisorError(f"volume {volume_id} is not attached")
        existing = node.get("image", {}).get("snapshots", ())
        if not any(snap.get("name") == snapshot_id for snap in existing):
            return
        await client.execute("blockdev-snapshot-delete-internal-sync",
                             {"device": format_node(volume_id), "name": snapshot_id})

    qmp.run_qmp(socket, body, timeout=120.0)


# --- at launch ----------------------------------------------------------------------------

@dataclass(frozen=True)
class VolumeFds:
    """One volume's descriptors for a launch, as numbered in the QEMU process: its file
    (read-write) and the read end of a pipe holding its key."""

    volume_id: str
    file: int
    key: int


@contextlib.contextmanager
def open_volumes(disks: tuple[VolumeDisk, ...], keys: dict[str, bytes]
                 ) -> Iterator[tuple[VolumeFds, ...]]:
    """The files and the keys of `disks`, open for QEMU to inherit. Each key is written
    into a pipe whose write end is closed at once: QEMU reads it at start-up as a secret
    object's `file=/dev/fd/N` (the pipe holds the bytes until then; a pipe is no file on
    any disk, and /proc shows only its number). Ours are closed once QEMU started; the
    daemonized QEMU keeps its copies across the fork.

    Why pipes rather than a launch with -S and the secrets over QMP: the console keeper
    `cont`s a fresh QEMU by itself as soon as QMP answers (processes.py), so volumes
    added over QMP would race the boot; and a resume must have every device before
    `migrate-incoming`. With pipes, both launches stay one command line, with no QMP
    round trip added to the boot."""
    opened: list[int] = []
    fds: list[VolumeFds] = []
    try:
        for disk in disks:
            key = keys.get(disk.volume_id)
            if key is None:
                raise HypervisorError("volume keys not provided")
            try:
                file = os.open(disk.connection.path, os.O_RDWR | os.O_CLOEXEC)
            except OSError as exc:
                raise HypervisorError(f"volume {disk.volume_id}: {exc.strerror}") from exc
            opened.append(file)
            read, write = os.pipe2(os.O_CLOEXEC)
            opened.append(read)
            try:
                os.write(write, passphrase(key).encode())
            finally:
                os.close(write)
            fds.append(VolumeFds(disk.volume_id, file, read))
        yield tuple(fds)
    finally:
        for fd in opened:
            os.close(fd)


def launch_args(disks: tuple[VolumeDisk, ...], fds: tuple[VolumeFds, ...] | None
                ) -> list[str]:
    """QEMU options for the recorded volumes. `fds` None (tests of the command line):
    paths and no secrets' content."""
    args: list[str] = []
    by_id = {f.volume_id: f for f in fds or ()}
    # The boot volume first: the guest finds it first (vda), as it would the root disk.
    ordered = sorted(disks, key=lambda disk: not disk.boot)
    for index, disk in enumerate(ordered):
        volume_id = check_volume_id(disk.volume_id)
        fd = by_id.get(volume_id)
        if fd is not None:
            fdset = _FIRST_FDSET + index
            args += ["-add-fd", f"fd={fd.file},set={fdset},opaque={fdset_name(volume_id)}",
                     "-object", f"secret,id={secret_id(volume_id)},file=/dev/fd/{fd.key}"]
            filename = f"/dev/fdset/{fdset}"
        else:
            filename = str(disk.connection.path)
        props = device(disk)
        options = ",".join(f"{k}={v}" for k, v in props.items() if k != "driver")
        args += ["-blockdev", json.dumps(blockdev(volume_id, filename), separators=(",", ":")),
                 "-device", f"{props['driver']},{options}"]
    return args


# --- a stopped guest ----------------------------------------------------------------------

def file_size(path: Path) -> int:
    """A qcow2 file's virtual size, from its header (readable without the key)."""
    try:
        with open(path, "rb") as f:
            header = f.read(32)
    except OSError as exc:
        raise HypervisorError(f"volume file {path.name}: {exc.strerror}") from exc
    if len(header) < 32 or header[:4] != _QCOW2_MAGIC:
        raise HypervisorError(f"volume file {path.name} is not qcow2")
    return int.from_bytes(header[24:32], "big")


def _items(reply: object) -> list[dict[str, Any]]:
    if not isinstance(reply, list):
        return []
    return [item for item in reply if isinstance(item, dict)]
