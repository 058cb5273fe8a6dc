"""The hypervisor port: what a host agent asks of the machine that runs guests.

Every call is idempotent and blocking, and safe to repeat after a crash of the caller:
the agent reconciles desired state by calling these until the observed state matches.
Guests outlive the process that started them: `guests()` finds them again after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol

from nuage.ports.guest_disks import VolumeDisk


class PowerState(IntEnum):
    """Nova's power states (the numbers are on the wire as OS-EXT-STS:power_state)."""

    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


@dataclass(frozen=True)
class HostCapabilities:
    hostname: str
    accelerator: str          # "kvm" when /dev/kvm really works, else "tcg"
    vcpus: int
    memory_mb: int
    disk_gb: int
    hypervisor_type: str = "QEMU"
    hypervisor_version: int = 0
    accelerator_reason: str = ""   # why this accelerator, for the operator


@dataclass(frozen=True)
class BootImage:
    """The image a root disk is built from: a local file (the agent fetched it)."""

    path: Path
    disk_format: str          # "qcow2" or "raw"
    # Images that boot by direct kernel boot (our default guest image) carry these.
    kernel: Path | None = None
    initrd: Path | None = None
    cmdline: str = ""


@dataclass(frozen=True)
class ConfigDrive:
    """What cloud-init style guests read from the ISO 9660 volume labelled config-2."""

    meta_data: dict[str, Any]
    user_data: bytes | None = None
    network_data: dict[str, Any] = field(default_factory=dict)
    vendor_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Nic:
    mac: str
    tap: str                  # host tap device, created by the network agent


@dataclass(frozen=True)
class GuestSpec:
    guest_id: str             # the server's uuid
    name: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    image: BootImage
    config_drive: ConfigDrive
    nics: tuple[Nic, ...] = ()
    # The network namespace QEMU runs in when the guest has NICs: the one holding their
    # TAPs (NetworkFabric.guest_netns). None: the agent's own (guests without NICs).
    netns: str | None = None
    # The volumes the guest starts with (boot from volume: the one with `boot` first in
    # the boot order), opened as ports/guest_disks.py says.
    volumes: tuple[VolumeDisk, ...] = ()


@dataclass(frozen=True)
class BootSilence:
    """A running guest that has written nothing to its serial console since it started."""

    seconds: float            # since its start
    accelerator: str          # what it runs under: "kvm" or "tcg"


class GuestNotFound(Exception):
    """No guest with that id on this host."""


class HypervisorError(Exception):
    """The hypervisor could not do it; the message says why (it becomes a server fault)."""


class Hypervisor(Protocol):
    def capabilities(self) -> HostCapabilities:
        """Probed once at start: KVM is used only if /dev/kvm actually works."""
        ...

    def distrust_kvm(self, reason: str) -> bool:
        """Stop choosing KVM for guests started from now on, and remember it across restarts
        (the operator removes the marker to probe again). False when the accelerator was
        forced by configuration (then nothing changes) or KVM was not in use."""
        ...

    def boot_silence(self, guest_id: str) -> BootSilence | None:
        """When the guest runs and has written nothing to its serial console since its last
        fresh start (boot or hard reboot; not a resume): for how long, and under which
        accelerator. None once it wrote anything, when it is not running, or after a pause
        (a guest paused early prints nothing for good reasons). GuestNotFound if absent."""
        ...

    def guests(self) -> dict[str, PowerState]:
        """Every guest this host has disks for, with its observed power state."""
        ...

    def image_files_in_use(self) -> set[Path]:
        """The host files (resolved paths) the guests on this host read: each root disk's
        backing file, each kernel and initrd, for every guest this host has disks for,
        running or not. A guest whose spawn has not yet recorded its spec is not seen.
        HypervisorError when a guest's files cannot be read (nothing is then known safe)."""
        ...

    def spawn(self, spec: GuestSpec) -> None:
        """Create the root disk (a qcow2 overlay grown to disk_gb) and the config drive if
        missing, and start the guest if it is not running. Raises HypervisorError."""
        ...

    def state(self, guest_id: str) -> PowerState:
        """Observed power state; GuestNotFound if the host has no such guest. NOSTATE while
        the guest passes through a transient state (starting, resuming, its control socket
        busy for a moment): the caller asks again later."""
        ...

    def stop(self, guest_id: str, timeout: float = 60.0) -> None:
        """ACPI power-down, then a hard stop after `timeout` seconds. Disks are kept."""
        ...

    def start(self, guest_id: str) -> None:
        """Start a stopped guest from its existing disks."""
        ...

    def reboot(self, guest_id: str, hard: bool) -> None: ...

    def pause(self, guest_id: str) -> None: ...

    def unpause(self, guest_id: str) -> None: ...

    def suspend(self, guest_id: str) -> None:
        """Save the guest's memory to disk and stop it; `resume` restores it."""
        ...

    def resume(self, guest_id: str) -> None: ...

    def destroy(self, guest_id: str) -> None:
        """Stop the guest hard and delete its disks, config drive and logs. Idempotent."""
        ...

    def console_output(self, guest_id: str, length: int | None = None) -> str:
        """The serial console's last `length` lines (all kept lines when None)."""
        ...

    def inject_nmi(self, guest_id: str) -> None:
        """Send a non-maskable interrupt to a running or paused guest (a guest set up for
        it writes a crash dump). GuestNotFound if absent; HypervisorError if not running."""
        ...

    def snapshot(self, guest_id: str, dest: Path) -> int:
        """Write the root disk's current content to `dest` as a standalone qcow2 (no backing
        file), consistently (the guest is paused meanwhile if running). Returns its size."""
        ...

    def nics(self, guest_id: str) -> tuple[Nic, ...]:
        """The NICs the guest has: those its next start gives it, plugged in it while it
        runs (attach_nic and detach_nic keep both). GuestNotFound if absent."""
        ...

    def attach_nic(self, guest_id: str, nic: Nic, netns: str) -> None:
        """Give the guest `nic` (its TAP `nic.tap` in `netns`, which the network agent
        created): hot-plugged at once into a running or paused guest (a virtio-net PCI
        device, which the guest sees appear), and part of every later start. Idempotent
        (a NIC with that MAC is left as it is). The guest runs in `netns` from its next
        start (one that had no NIC ran outside it). A guest recorded in another
        namespace: HypervisorError. GuestNotFound if absent."""
        ...

    def detach_nic(self, guest_id: str, mac: str, timeout: float = 30.0) -> None:
        """Take the NIC with MAC `mac` away from the guest: a running guest is asked to
        release the device (ACPI hot-unplug) and given `timeout` seconds to do it, else
        HypervisorError (the NIC stays; call again later). Absent: nothing to do. A
        paused guest cannot answer: HypervisorError. GuestNotFound if absent."""
        ...

    def diagnostics(self, guest_id: str) -> dict[str, Any]:
        """Nova's legacy (before 2.48) diagnostics of a running or paused guest, the flat
        dict Nova's libvirt driver answers: `cpu<N>_time` (ns on a host CPU), `memory`
        (KiB), `memory-actual` (KiB, when the guest has a balloon), `<disk>_read`,
        `_read_req`, `_write`, `_write_req`, `_errors` per disk (vda, ...) and
        `<tap>_rx`, `_rx_packets`, `_tx`, `_tx_packets`, ... per NIC. Read only, no lock.
        GuestNotFound if absent; HypervisorError if not running."""
        ...
