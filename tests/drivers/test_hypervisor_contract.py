"""The Hypervisor port's contract, run against the in-memory twin the unit tests use
(tests/unit/compute/fakes.py) and the real QEMU driver: what one does, the other does, so
the fake cannot drift from the machine it stands for.

The QEMU side boots the default guest image under TCG (forced: the same on every host) in
one shared state directory; each test has its own guest and destroys it. No test waits for
the guest's own boot: power states are QEMU's, which answer at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nuage.drivers.qemu import QemuHypervisor
from nuage.ports.hypervisor import (
    BootImage,
    ConfigDrive,
    GuestNotFound,
    GuestSpec,
    Hypervisor,
    HypervisorError,
    Nic,
    PowerState,
)
from tests.support.qemu import default_boot_image, needs_qemu, processes_under
from tests.unit.compute.fakes import MemoryHypervisor

MEMORY_MB = 128
STOP_TIMEOUT = 1.0       # the guest has not booted far enough to heed ACPI: a hard stop


def observed(hv: Hypervisor, guest: str) -> PowerState:
    """The guest's power state once settled: the port answers NOSTATE while the guest
    passes through a transient state (QEMU starting or resuming, its control socket busy
    for a moment), and its callers ask again, as the reconciler does on its next pass."""
    deadline = time.monotonic() + 10.0
    state = hv.state(guest)
    while state == PowerState.NOSTATE and time.monotonic() < deadline:
        time.sleep(0.1)
        state = hv.state(guest)
    return state


@dataclass
class Contract:
    hv: Hypervisor
    image: BootImage
    # Makes the next spawn of this spec fail as the driver's own failures do.
    failing: Callable[[GuestSpec], GuestSpec]

    def spec(self, image: BootImage | None = None) -> GuestSpec:
        guest_id = str(uuid.uuid4())
        return GuestSpec(guest_id=guest_id, name="vm", vcpus=1, memory_mb=MEMORY_MB,
                         disk_gb=1, image=image or self.image,
                         config_drive=ConfigDrive(meta_data={"uuid": guest_id}))

    @contextlib.contextmanager
    def guest(self) -> Iterator[GuestSpec]:
        """A spawned guest, destroyed after."""
        spec = self.spec()
        try:
            self.hv.spawn(spec)
            yield spec
        finally:
            self.hv.destroy(spec.guest_id)


@pytest.fixture(scope="module")
def qemu_contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    root = tmp_path_factory.mktemp("qemu-contract")
    image = default_boot_image()
    missing = BootImage(path=root / "missing.qcow2", disk_format="qcow2")

    def failing(spec: GuestSpec) -> GuestSpec:
        return GuestSpec(spec.guest_id, spec.name, spec.vcpus, spec.memory_mb, spec.disk_gb,
                         missing, spec.config_drive)

    try:
        yield Contract(QemuHypervisor(root, "host-1", accelerator="tcg",
                                      soft_reboot_timeout=STOP_TIMEOUT), image, failing)
    finally:
        # Whatever happened: no guest or console keeper of ours outlives the tests.
        for pid in processes_under(root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _memory_contract(tmp_path: Path) -> Contract:
    hv = MemoryHypervisor()
    disk = tmp_path / "image.qcow2"
    disk.write_bytes(b"QFI\xfb")

    def failing(spec: GuestSpec) -> GuestSpec:
        hv.fail_spawn = "image file missing"
        return spec

    return Contract(hv, BootImage(path=disk, disk_format="qcow2"), failing)


@pytest.fixture(params=["memory", pytest.param("qemu", marks=[needs_qemu,
                                                              pytest.mark.slow])])
def contract(request: pytest.FixtureRequest, tmp_path: Path) -> Contract:
    if request.param == "qemu":
        found: Contract = request.getfixturevalue("qemu_contract")
        return found
    return _memory_contract(tmp_path)


def test_host_capabilities(contract: Contract) -> None:
    caps = contract.hv.capabilities()
    assert caps.accelerator == "tcg"
    assert caps.vcpus >= 1 and caps.memory_mb > 0 and caps.disk_gb >= 0
    assert caps.hypervisor_type == "QEMU"
    assert contract.hv.distrust_kvm("a guest stayed silent") is False   # not on KVM


def test_an_unknown_guest_is_not_found(contract: Contract, tmp_path: Path) -> None:
    hv, absent = contract.hv, str(uuid.uuid4())
    calls: list[Callable[[], object]] = [
        lambda: hv.state(absent), lambda: hv.stop(absent, STOP_TIMEOUT),
        lambda: hv.start(absent), lambda: hv.reboot(absent, hard=True),
        lambda: hv.reboot(absent, hard=False), lambda: hv.pause(absent),
        lambda: hv.unpause(absent), lambda: hv.suspend(absent), lambda: hv.resume(absent),
        lambda: hv.console_output(absent), lambda: hv.inject_nmi(absent),
        lambda: hv.diagnostics(absent), lambda: hv.snapshot(absent, tmp_path / "s.qcow2"),
        lambda: hv.boot_silence(absent), lambda: hv.nics(absent),
        lambda: hv.attach_nic(absent, Nic("52:54:00:00:00:01", "tapabsent"), "ns"),
        lambda: hv.detach_nic(absent, "52:54:00:00:00:01"),
    ]
    for call in calls:
        with pytest.raises(GuestNotFound):
            call()
    hv.destroy(absent)                                      # idempotent: nothing to do
    assert absent not in hv.guests()
    assert not (tmp_path / "s.qcow2").exists()


def test_spawn_runs_the_guest_once_and_destroy_forgets_it(contract: Contract) -> None:
    hv = contract.hv
    spec = contract.spec()
    try:
        hv.spawn(spec)
        assert observed(hv, spec.guest_id) == PowerState.RUNNING
        assert hv.guests()[spec.guest_id] == PowerState.RUNNING
        hv.spawn(spec)                                      # idempotent
        assert observed(hv, spec.guest_id) == PowerState.RUNNING
        assert contract.image.path.resolve() in hv.image_files_in_use()
        assert hv.console_output(spec.guest_id, 0) == ""
        everything = hv.console_output(spec.guest_id)
        last = hv.console_output(spec.guest_id, 1)
        assert len(last.splitlines()) <= 1 and everything.endswith(last)
        diagnostics = hv.diagnostics(spec.guest_id)
        assert {"cpu0_time", "memory", "vda_read", "vda_read_req", "vda_write",
                "vda_write_req", "vda_errors"} <= set(diagnostics)
        assert diagnostics["memory"] == MEMORY_MB * 1024
        assert all(isinstance(value, int) for value in diagnostics.values())
        hv.inject_nmi(spec.guest_id)
    finally:
        hv.destroy(spec.guest_id)
    assert spec.guest_id not in hv.guests()
    assert contract.image.path.resolve() not in hv.image_files_in_use()
    with pytest.raises(GuestNotFound):
        hv.state(spec.guest_id)
    hv.destroy(spec.guest_id)                               # idempotent


def test_a_paused_guest(contract: Contract) -> None:
    hv = contract.hv
    with contract.guest() as spec:
        guest = spec.guest_id
        hv.pause(guest)
        assert observed(hv, guest) == PowerState.PAUSED
        hv.pause(guest)                                     # idempotent
        assert hv.boot_silence(guest) is None
        assert hv.diagnostics(guest)["memory"] == MEMORY_MB * 1024
        hv.inject_nmi(guest)
        hv.spawn(spec)
        assert observed(hv, guest) == PowerState.PAUSED         # spawn starts, never unpauses
        hv.start(guest)
        assert observed(hv, guest) == PowerState.PAUSED         # nor does start
        hv.unpause(guest)
        assert observed(hv, guest) == PowerState.RUNNING
        hv.unpause(guest)                                   # idempotent
        assert observed(hv, guest) == PowerState.RUNNING


def test_a_stopped_guest_keeps_its_disks_and_refuses_what_needs_it_running(
        contract: Contract, tmp_path: Path) -> None:
    hv = contract.hv
    with contract.guest() as spec:
        guest = spec.guest_id
        hv.stop(guest, STOP_TIMEOUT)
        assert observed(hv, guest) == PowerState.SHUTDOWN
        hv.stop(guest, STOP_TIMEOUT)                        # idempotent
        assert hv.guests()[guest] == PowerState.SHUTDOWN
        assert hv.boot_silence(guest) is None
        assert contract.image.path.resolve() in hv.image_files_in_use()
        for refused in (hv.pause, hv.unpause, hv.suspend, hv.resume, hv.inject_nmi,
                        hv.diagnostics):
            with pytest.raises(HypervisorError):
                refused(guest)
            assert observed(hv, guest) == PowerState.SHUTDOWN, refused
        size = hv.snapshot(guest, tmp_path / "snap.qcow2")
        assert size == (tmp_path / "snap.qcow2").stat().st_size
        assert (tmp_path / "snap.qcow2").read_bytes()[:4] == b"QFI\xfb"
        assert isinstance(hv.console_output(guest), str)
        hv.start(guest)
        assert observed(hv, guest) == PowerState.RUNNING
        hv.start(guest)                                     # idempotent
        assert observed(hv, guest) == PowerState.RUNNING


def test_nics_of_a_stopped_guest_are_its_next_starts(contract: Contract) -> None:
    """A stopped guest's NICs change in what its next start gives it (no hot-plug);
    both calls are idempotent; the namespace is the one its NICs' TAPs are in."""
    hv = contract.hv
    with contract.guest() as spec:
        hv.stop(spec.guest_id, STOP_TIMEOUT)
        assert hv.nics(spec.guest_id) == ()
        first, second = Nic("52:54:00:aa:00:01", "tapnic1"), Nic("52:54:00:aa:00:02", "tapnic2")
        hv.attach_nic(spec.guest_id, first, "nuage-ns")
        hv.attach_nic(spec.guest_id, second, "nuage-ns")
        hv.attach_nic(spec.guest_id, first, "nuage-ns")
        assert hv.nics(spec.guest_id) == (first, second)
        with pytest.raises(HypervisorError):
            hv.attach_nic(spec.guest_id, Nic("52:54:00:aa:00:03", "tapnic3"), "elsewhere")
        hv.detach_nic(spec.guest_id, first.mac)
        hv.detach_nic(spec.guest_id, first.mac)
        assert hv.nics(spec.guest_id) == (second,)
        assert observed(hv, spec.guest_id) == PowerState.SHUTDOWN


def test_a_suspended_guest(contract: Contract) -> None:
    hv = contract.hv
    with contract.guest() as spec:
        guest = spec.guest_id
        hv.suspend(guest)
        assert observed(hv, guest) == PowerState.SUSPENDED
        hv.suspend(guest)                                   # idempotent
        assert hv.boot_silence(guest) is None
        for refused in (hv.pause, hv.unpause, hv.inject_nmi, hv.diagnostics):
            with pytest.raises(HypervisorError):
                refused(guest)
            assert observed(hv, guest) == PowerState.SUSPENDED, refused
        hv.resume(guest)
        assert observed(hv, guest) == PowerState.RUNNING
        hv.resume(guest)                                    # idempotent
        assert observed(hv, guest) == PowerState.RUNNING
        hv.suspend(guest)
        hv.stop(guest, STOP_TIMEOUT)                        # powers the saved guest off
        assert observed(hv, guest) == PowerState.SHUTDOWN
        with pytest.raises(HypervisorError):
            hv.resume(guest)
        assert observed(hv, guest) == PowerState.SHUTDOWN


def test_reboots_end_running(contract: Contract) -> None:
    hv = contract.hv
    with contract.guest() as spec:
        guest = spec.guest_id
        hv.reboot(guest, hard=True)
        assert observed(hv, guest) == PowerState.RUNNING
        hv.pause(guest)
        hv.reboot(guest, hard=True)
        assert observed(hv, guest) == PowerState.RUNNING
        hv.stop(guest, STOP_TIMEOUT)
        hv.reboot(guest, hard=True)                         # a fresh start
        assert observed(hv, guest) == PowerState.RUNNING
        hv.reboot(guest, hard=False)
        assert observed(hv, guest) == PowerState.RUNNING


def test_a_failed_spawn_says_so_and_destroy_clears_it(contract: Contract) -> None:
    hv = contract.hv
    spec = contract.failing(contract.spec())
    with pytest.raises(HypervisorError):
        hv.spawn(spec)
    # The host keeps what the spawn got to (the reconciler's pass destroys it).
    assert hv.guests()[spec.guest_id] == PowerState.SHUTDOWN
    hv.destroy(spec.guest_id)
    assert spec.guest_id not in hv.guests()
    with pytest.raises(GuestNotFound):
        hv.state(spec.guest_id)
