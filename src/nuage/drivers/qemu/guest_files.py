"""One guest's directory, state_dir/guests/<id>/, and the processes it names.

    guest.json      the spec minus the config drive's content and the volumes' keys:
                    what start() relaunches
    disk.qcow2      the root disk, a qcow2 overlay on the (never modified) image file
    config.iso      the config drive
    qemu.pid        QEMU's pid (written by QEMU); console.pid the console keeper's
    qmp.sock        QMP; console.sock the serial console (both QEMU's, unix sockets)
    console.log     the serial console, and console.log.1 the rotated previous part
    qemu.log        QEMU's own start-up messages
    suspended       present once memory.state holds a complete suspended guest
    .lock           flock'd by every call that changes the guest, across processes

A pid counts only while /proc says it is that guest's process (its command line names the
guest, it is not a zombie): pids are reused, and our reaper may be an init that never reaps.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nuage.ports.block_devices import VolumeConnection
from nuage.ports.guest_disks import VolumeDisk
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec, Nic

KEEPER_SCRIPT = "console_keeper.py"


class GuestFiles:
    def __init__(self, root: Path, guest_id: str) -> None:
        self.guest_id = guest_id
        self.dir = root / guest_id
        self.record = self.dir / "guest.json"
        self.disk = self.dir / "disk.qcow2"
        self.config_drive = self.dir / "config.iso"
        self.qemu_pid = self.dir / "qemu.pid"
        self.keeper_pid = self.dir / "console.pid"
        self.qmp = self.dir / "qmp.sock"
        self.console_sock = self.dir / "console.sock"
        self.console_log = self.dir / "console.log"
        self.qemu_log = self.dir / "qemu.log"
        self.suspended = self.dir / "suspended"
        self.memory = self.dir / "memory.state"
        self.lock_file = self.dir / ".lock"

    def exists(self) -> bool:
        return self.dir.is_dir()

    @contextmanager
    def lock(self) -> Iterator[None]:
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def try_lock(self) -> Iterator[None]:
        """The lock if free now; BlockingIOError otherwise."""
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield
        finally:
            os.close(fd)

    def write_record(self, spec: GuestSpec) -> None:
        data = asdict(spec)
        del data["config_drive"]
        for volume in data["volumes"]:
            del volume["key"]          # keys live in memory only (ports/guest_disks.py)
        _write_atomic(self.record, json.dumps(data, default=str, indent=1).encode())

    def read_record(self) -> GuestSpec:
        data: dict[str, Any] = json.loads(self.record.read_text())
        image = data["image"]
        return GuestSpec(
            guest_id=data["guest_id"], name=data["name"], vcpus=data["vcpus"],
            memory_mb=data["memory_mb"], disk_gb=data["disk_gb"],
            image=BootImage(
                path=Path(image["path"]), disk_format=image["disk_format"],
                kernel=Path(image["kernel"]) if image.get("kernel") else None,
                initrd=Path(image["initrd"]) if image.get("initrd") else None,
                cmdline=image.get("cmdline", ""),
            ),
            config_drive=ConfigDrive(meta_data={}),
            nics=tuple(Nic(mac=n["mac"], tap=n["tap"]) for n in data.get("nics", ())),
            netns=data.get("netns"),
            volumes=tuple(_volume(v) for v in data.get("volumes", ())),
        )

    def live_qemu_pid(self) -> int | None:
        """QEMU's pid while that process is alive and is this guest's."""
        pid = _read_pid(self.qemu_pid)
        if pid is None or not _alive(pid):
            return None
        return pid if f"guest={self.guest_id}".encode() in _cmdline(pid) else None

    def live_keeper_pid(self) -> int | None:
        pid = _read_pid(self.keeper_pid)
        if pid is None or not _alive(pid) or KEEPER_SCRIPT.encode() not in _cmdline(pid):
            return None
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            return None
        return pid if cwd == str(self.dir.resolve()) else None


def _volume(data: dict[str, Any]) -> VolumeDisk:
    """A recorded volume, without its key (b"": the driver holds keys in memory)."""
    connection = data["connection"]
    return VolumeDisk(
        volume_id=data["volume_id"],
        connection=VolumeConnection(path=Path(connection["path"]),
                                    format=connection.get("format", "qcow2"),
                                    encryption=connection.get("encryption", "luks")),
        key=b"", device=data.get("device", ""), boot=bool(data.get("boot", False)))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # "pid (comm) S ...": the state letter follows the last ')'.
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except OSError:
        return b""


def pid_alive(pid: int) -> bool:
    return _alive(pid)
