"""In-memory twins of the compute ports, for testing the services above them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound
from nuage.domain.image_format import Verdict
from nuage.ports.compute import ImageInfo
from nuage.ports.hypervisor import (
    BootSilence,
    GuestNotFound,
    GuestSpec,
    HostCapabilities,
    HypervisorError,
    Nic,
    PowerState,
)


class MemoryHypervisor:
    def __init__(self) -> None:
        self.states: dict[str, PowerState] = {}
        self.specs: dict[str, GuestSpec] = {}
        self.fail_spawn: str | None = None
        self.calls: list[tuple[str, str]] = []
        self.accelerator = "tcg"
        self.forced = False
        # What boot_silence answers per guest (the console watchdog's facts).
        self.silences: dict[str, BootSilence] = {}

    def capabilities(self) -> HostCapabilities:
        return HostCapabilities("host1", self.accelerator, 4, 8192, 100)

    def distrust_kvm(self, reason: str) -> bool:
        self.calls.append(("distrust_kvm", reason))
        if self.forced or self.accelerator != "kvm":
            return False
        self.accelerator = "tcg"
        return True

    def boot_silence(self, guest_id: str) -> BootSilence | None:
        if self.state(guest_id) != PowerState.RUNNING:
            return None
        return self.silences.get(guest_id)

    def guests(self) -> dict[str, PowerState]:
        return dict(self.states)

    def image_files_in_use(self) -> set[Path]:
        return {path.resolve() for spec in self.specs.values()
                for path in (spec.image.path, spec.image.kernel, spec.image.initrd)
                if path is not None}

    def spawn(self, spec: GuestSpec) -> None:
        self.calls.append(("spawn", spec.guest_id))
        if self.fail_spawn:
            # As QEMU's driver: the guest's record stays, stopped, until destroyed.
            self.specs.setdefault(spec.guest_id, spec)
            self.states.setdefault(spec.guest_id, PowerState.SHUTDOWN)
            raise HypervisorError(self.fail_spawn)
        self.specs.setdefault(spec.guest_id, spec)
        self._start(spec.guest_id)

    def _start(self, guest_id: str) -> None:
        # A guest whose QEMU runs (paused, crashed) goes on as it is: only a stopped or
        # suspended one starts.
        if self.states.get(guest_id) not in (PowerState.PAUSED, PowerState.CRASHED):
            self.states[guest_id] = PowerState.RUNNING

    def state(self, guest_id: str) -> PowerState:
        if guest_id not in self.states:
            raise GuestNotFound(guest_id)
        return self.states[guest_id]

    def _set(self, guest_id: str, state: PowerState, call: str) -> None:
        self.calls.append((call, guest_id))
        self.state(guest_id)
        self.states[guest_id] = state

    def _running(self, guest_id: str, verb: str) -> PowerState:
        state = self.state(guest_id)
        if state in (PowerState.SHUTDOWN, PowerState.SUSPENDED):
            raise HypervisorError(f"cannot {verb} a guest that is not running")
        return state

    def stop(self, guest_id: str, timeout: float = 60.0) -> None:
        self._set(guest_id, PowerState.SHUTDOWN, "stop")

    def start(self, guest_id: str) -> None:
        self.calls.append(("start", guest_id))
        if self.state(guest_id) in (PowerState.SHUTDOWN, PowerState.SUSPENDED):
            self.silences.pop(guest_id, None)   # a fresh start: the watch starts again
        self._start(guest_id)

    def reboot(self, guest_id: str, hard: bool) -> None:
        self._set(guest_id, PowerState.RUNNING, "reboot-hard" if hard else "reboot")

    def pause(self, guest_id: str) -> None:
        self.calls.append(("pause", guest_id))
        self._running(guest_id, "pause")
        self.states[guest_id] = PowerState.PAUSED

    def unpause(self, guest_id: str) -> None:
        self.calls.append(("unpause", guest_id))
        self._running(guest_id, "unpause")
        self.states[guest_id] = PowerState.RUNNING

    def suspend(self, guest_id: str) -> None:
        self.calls.append(("suspend", guest_id))
        if self.state(guest_id) == PowerState.SUSPENDED:
            return
        self._running(guest_id, "suspend")
        self.states[guest_id] = PowerState.SUSPENDED

    def resume(self, guest_id: str) -> None:
        self.calls.append(("resume", guest_id))
        state = self.state(guest_id)
        if state == PowerState.SHUTDOWN:
            raise HypervisorError("cannot resume a guest that is not suspended")
        if state == PowerState.SUSPENDED:
            self.states[guest_id] = PowerState.RUNNING

    def destroy(self, guest_id: str) -> None:
        self.calls.append(("destroy", guest_id))
        self.states.pop(guest_id, None)
        self.specs.pop(guest_id, None)

    def console_output(self, guest_id: str, length: int | None = None) -> str:
        self.state(guest_id)
        lines = [f"line {i}\n" for i in range(10)]
        if length is not None:
            lines = lines[-length:] if length > 0 else []
        return "".join(lines)

    def inject_nmi(self, guest_id: str) -> None:
        self._running(guest_id, "inject an NMI into")
        self.calls.append(("nmi", guest_id))

    def diagnostics(self, guest_id: str) -> dict[str, Any]:
        if self.state(guest_id) in (PowerState.SHUTDOWN, PowerState.SUSPENDED):
            raise HypervisorError("cannot read the diagnostics of a guest that is not running")
        # The keys QEMU's driver answers for a guest without NICs (a few disk reads).
        disks = {f"{disk}_{counter}": value for disk in ("vda", "hdd")
                 for counter, value in (("read_req", 1), ("read", 512), ("write_req", 0),
                                        ("write", 0), ("errors", 0))}
        return {"cpu0_time": 1000, **disks, "memory": self.specs[guest_id].memory_mb * 1024
                if guest_id in self.specs else 0}

    def nics(self, guest_id: str) -> tuple[Nic, ...]:
        self.state(guest_id)
        return self.specs[guest_id].nics if guest_id in self.specs else ()

    def attach_nic(self, guest_id: str, nic: Nic, netns: str) -> None:
        self.calls.append(("attach_nic", nic.mac))
        self.state(guest_id)
        spec = self.specs[guest_id]
        if spec.netns not in (None, netns):
            raise HypervisorError(f"the guest runs in namespace {spec.netns}, not {netns}")
        if all(n.mac != nic.mac for n in spec.nics):
            self.specs[guest_id] = replace(spec, nics=(*spec.nics, nic), netns=netns)

    def detach_nic(self, guest_id: str, mac: str, timeout: float = 30.0) -> None:
        self.calls.append(("detach_nic", mac))
        if self.state(guest_id) == PowerState.PAUSED:
            raise HypervisorError("cannot detach a NIC from a guest that is not running")
        spec = self.specs[guest_id]
        self.specs[guest_id] = replace(spec, nics=tuple(n for n in spec.nics if n.mac != mac))

    def snapshot(self, guest_id: str, dest: Path) -> int:
        self.state(guest_id)
        dest.write_bytes(b"QFI\xfb snapshot")
        return dest.stat().st_size


class AcceptingInspector:
    """An ImageInspector that proves every image (the fake images are a few bytes)."""

    def start(self, declared: str) -> AcceptingInspector:
        return self

    def feed(self, data: bytes) -> None:
        pass

    @property
    def settled(self) -> bool:
        return True

    def finish(self, size: int) -> Verdict:
        return Verdict("raw", size)


class MemoryImages:
    def __init__(self) -> None:
        self.images: dict[str, ImageInfo] = {
            "img-1": ImageInfo("img-1", "cirros", "active", "qcow2", 0, 0, 1024),
            "big": ImageInfo("big", "big", "active", "qcow2", 50, 4096, 1024),
            "queued": ImageInfo("queued", "q", "queued", "qcow2", 0, 0, None),
        }
        self.uploaded: dict[str, bytes] = {}
        self.discarded: list[str] = []

    def describe(self, ctx: RequestContext, image_id: str) -> ImageInfo:
        if image_id not in self.images:
            raise NotFound("image", image_id)
        return self.images[image_id]

    def fetch(self, image_id: str, dest: Path) -> None:
        dest.write_bytes(b"image " + image_id.encode())

    def reserve_snapshot(self, ctx: RequestContext, name: str, properties: dict[str, str]
                         ) -> str:
        image_id = f"snap-{len(self.images)}"
        self.images[image_id] = ImageInfo(image_id, name, "queued", "qcow2", 0, 0, None,
                                          properties)
        return image_id

    def register_volume_snapshot(self, ctx: RequestContext, name: str,
                                 properties: dict[str, str]) -> str:
        image_id = f"snap-{len(self.images)}"
        self.images[image_id] = ImageInfo(image_id, name, "active", "raw", 0, 0, 0,
                                          dict(properties))
        return image_id

    def upload_snapshot(self, image_id: str, source: Path, disk_format: str) -> None:
        self.uploaded[image_id] = source.read_bytes()
        old = self.images[image_id]
        self.images[image_id] = ImageInfo(old.id, old.name, "active", disk_format, 0, 0,
                                          len(self.uploaded[image_id]), old.properties)

    def upload_image(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        self.uploaded[image_id] = b"".join(chunks)
        old = self.images[image_id]
        self.images[image_id] = ImageInfo(old.id, old.name, "active", old.disk_format, 0, 0,
                                          size, old.properties)

    def discard_snapshot(self, image_id: str, reason: str) -> None:
        self.discarded.append(image_id)

    def rotate_backups(self, project_id: str, instance_uuid: str, backup_type: str,
                       rotation: int) -> list[str]:
        # Reserved in order: a later id is a newer image.
        backups = [i.id for i in self.images.values()
                   if i.properties.get("image_type") == "backup"
                   and i.properties.get("backup_type") == backup_type
                   and i.properties.get("instance_uuid") == instance_uuid]
        deleted = list(reversed(backups))[rotation:]
        for image_id in deleted:
            del self.images[image_id]
        return deleted
