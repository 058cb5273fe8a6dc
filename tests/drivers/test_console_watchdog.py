"""The console watchdog's facts on real QEMU under TCG (QemuHypervisor.boot_silence) and
the KVM distrust marker: tiny boot sectors, one that halts silently and one that prints."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.qemu import QemuHypervisor, host
from nuage.drivers.qemu.host import AcceleratorChoice
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec

needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or shutil.which("qemu-img") is None,
    reason="QEMU is not installed",
)
SILENT = "0b0e5f3a-1111-4c1e-9d7a-2b6a51f0c0de"
TALKER = "0b0e5f3a-2222-4c1e-9d7a-2b6a51f0c0de"
# cli; hlt; jmp $-1
_HALT = bytes([0xFA, 0xF4, 0xEB, 0xFD])
# mov dx, 0x3f8; mov al, 'B'; out dx, al; cli; hlt; jmp $-1  (one byte on COM1)
_PRINT = bytes([0xBA, 0xF8, 0x03, 0xB0, 0x42, 0xEE, 0xFA, 0xF4, 0xEB, 0xFD])


def _boot_disk(path: Path, code: bytes) -> BootImage:
    sector = bytearray(1 << 20)
    sector[: len(code)] = code
    sector[510:512] = b"\x55\xaa"
    path.write_bytes(bytes(sector))
    return BootImage(path=path, disk_format="raw")


def _spec(guest_id: str, image: BootImage) -> GuestSpec:
    return GuestSpec(guest_id=guest_id, name="w", vcpus=1, memory_mb=32, disk_gb=1,
                     image=image, config_drive=ConfigDrive(meta_data={"uuid": guest_id}))


@pytest.fixture
def hv(tmp_path: Path) -> Iterator[QemuHypervisor]:
    hypervisor = QemuHypervisor(tmp_path / "compute", "host-1", accelerator="tcg")
    yield hypervisor
    for guest in (SILENT, TALKER):
        hypervisor.destroy(guest)


@needs_qemu
def test_a_silent_guest_is_seen_silent_and_a_printing_one_is_not(
        hv: QemuHypervisor, tmp_path: Path) -> None:
    hv.spawn(_spec(SILENT, _boot_disk(tmp_path / "halt.raw", _HALT)))
    hv.spawn(_spec(TALKER, _boot_disk(tmp_path / "print.raw", _PRINT)))
    deadline = time.monotonic() + 30
    while hv.console_output(TALKER) == "" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hv.console_output(TALKER) == "B"
    assert hv.boot_silence(TALKER) is None
    silence = hv.boot_silence(SILENT)
    assert silence is not None and silence.accelerator == "tcg"
    time.sleep(0.5)
    later = hv.boot_silence(SILENT)
    assert later is not None and later.seconds >= silence.seconds + 0.4
    assert hv.console_output(SILENT) == ""
    # Stopped, nothing is watched; started again, the watch starts again.
    hv.stop(SILENT, 0.0)
    assert hv.boot_silence(SILENT) is None
    hv.start(SILENT)
    again = hv.boot_silence(SILENT)
    assert again is not None and again.seconds < later.seconds
    # A pause is not silence.
    hv.pause(SILENT)
    hv.unpause(SILENT)
    assert hv.boot_silence(SILENT) is None


def test_distrusting_kvm_is_remembered_and_forced_accelerators_are_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "probe_accelerator",
                        lambda qemu: AcceleratorChoice("kvm", "simulated"))
    state = tmp_path / "compute"
    hypervisor = QemuHypervisor(state, "host-1", guest_user=None)
    assert hypervisor.capabilities().accelerator == "kvm"
    assert hypervisor.capabilities().accelerator_reason == "simulated"
    assert hypervisor.distrust_kvm("server x printed nothing")
    assert hypervisor.capabilities().accelerator == "tcg"
    assert "server x printed nothing" in hypervisor.capabilities().accelerator_reason
    assert not hypervisor.distrust_kvm("again")          # already given up
    assert "server x printed nothing" in (state / "kvm-distrusted").read_text()

    def no_probe(qemu: str) -> AcceleratorChoice:
        raise AssertionError("a distrusted KVM is not probed again")

    monkeypatch.setattr(host, "probe_accelerator", no_probe)
    restarted = QemuHypervisor(state, "host-1", guest_user=None).capabilities()
    assert restarted.accelerator == "tcg"
    assert "KVM distrusted since" in restarted.accelerator_reason
    forced = QemuHypervisor(tmp_path / "forced", "host-1", accelerator="kvm", guest_user=None)
    assert forced.capabilities().accelerator == "kvm"
    assert not forced.distrust_kvm("silent guest")
    assert forced.capabilities().accelerator == "kvm"


@needs_qemu
def test_after_kvm_is_distrusted_a_restart_runs_under_tcg(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KVM that 'works' is simulated by a QEMU wrapper that runs `-accel kvm` guests under
    TCG (this host has no usable KVM) and records what it was asked for."""
    qemu = shutil.which("qemu-system-x86_64")
    asked = tmp_path / "asked"
    wrapper = tmp_path / "qemu"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {asked}\n'
        'for a in "$@"; do\n'
        '  case "$a" in kvm) a=tcg;; host) a=qemu64;; esac\n'
        '  set -- "$@" "$a"; shift\n'
        "done\n"
        f'exec {qemu} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(host, "probe_accelerator",
                        lambda qemu: AcceleratorChoice("kvm", "simulated"))
    hypervisor = QemuHypervisor(tmp_path / "compute", "host-1", qemu=str(wrapper))
    try:
        hypervisor.spawn(_spec(SILENT, _boot_disk(tmp_path / "halt.raw", _HALT)))
        silence = hypervisor.boot_silence(SILENT)
        assert silence is not None and silence.accelerator == "kvm"
        assert "-accel kvm" in asked.read_text().splitlines()[-1]
        assert hypervisor.distrust_kvm("silent under KVM")
        hypervisor.stop(SILENT, 0.0)
        hypervisor.start(SILENT)
        assert "-accel tcg" in asked.read_text().splitlines()[-1]
        again = hypervisor.boot_silence(SILENT)
        assert again is not None and again.accelerator == "tcg"
    finally:
        hypervisor.destroy(SILENT)


@needs_qemu
def test_a_guest_starts_without_a_guest_user(tmp_path: Path) -> None:
    """As when nuage runs as an ordinary user (no -runas): the seccomp sandbox used to deny
    the setsid() of -daemonize, and every guest failed to start ("exit status 1")."""
    hypervisor = QemuHypervisor(tmp_path / "compute", "host-1", accelerator="tcg",
                                guest_user=None)
    try:
        hypervisor.spawn(_spec(TALKER, _boot_disk(tmp_path / "print.raw", _PRINT)))
        deadline = time.monotonic() + 30
        while hypervisor.console_output(TALKER) == "" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hypervisor.console_output(TALKER) == "B"
    finally:
        hypervisor.destroy(TALKER)
