"""The QEMU hypervisor driver on real guests: the default guest image booted under TCG (or
KVM where it works). One guest is booted once and walked through its whole life, test after
test (the tests of the `guest` section depend on running in file order, as pytest does)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pycdlib
import pytest

from nuage.drivers.qemu import QemuHypervisor
from nuage.drivers.qemu.config_drive import write_config_drive
from nuage.drivers.qemu.qcow2 import write_overlay
from nuage.ports.hypervisor import (
    BootImage,
    ConfigDrive,
    GuestNotFound,
    GuestSpec,
    HypervisorError,
    PowerState,
)
from tests.support.qemu import default_boot_image, needs_qemu, processes_under

GUEST = "6f1e3c52-0b7a-4c1e-9d7a-2b6a51f0c0de"
BOOT_TIMEOUT = 120.0


# --- the config drive, without a guest ---------------------------------------------------

def test_config_drive_layout(tmp_path: Path) -> None:
    drive = ConfigDrive(
        meta_data={"uuid": GUEST, "hostname": "vm1", "public_keys": {"k": "ssh-ed25519 AAA"}},
        user_data=b"#!/bin/sh\necho hi\n",
        network_data={"links": []},
        vendor_data={"a": 1},
    )
    iso_path = tmp_path / "config.iso"
    write_config_drive(drive, iso_path)
    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    try:
        assert iso.pvd.volume_identifier.rstrip(b" ") == b"config-2"

        def read(path: str) -> bytes:
            out = io.BytesIO()
            iso.get_file_from_iso_fp(out, rr_path=path)
            return out.getvalue()

        assert json.loads(read("/openstack/latest/meta_data.json"))["hostname"] == "vm1"
        assert read("/openstack/latest/user_data") == drive.user_data
        assert json.loads(read("/openstack/latest/network_data.json")) == {"links": []}
        assert json.loads(read("/openstack/latest/vendor_data.json")) == {"a": 1}
        assert json.loads(read("/openstack/latest/vendor_data2.json")) == {"static": {"a": 1}}
        assert read("/openstack/2012-08-10/user_data") == drive.user_data
    finally:
        iso.close()


# --- the root disk overlay, without a guest ----------------------------------------------

@needs_qemu
@pytest.mark.parametrize(("disk_format", "size"), [("qcow2", 2**30), ("raw", 50 * 2**30 + 1),
                                                   ("qcow2", 4 * 2**40)])
def test_overlay_is_the_one_qemu_img_writes(tmp_path: Path, disk_format: str,
                                             size: int) -> None:
    backing = tmp_path / f"base,{disk_format}"
    subprocess.run(["qemu-img", "create", "-q", "-f", disk_format, str(backing), "64M"],
                   check=True, timeout=60)
    ours, theirs = tmp_path / "ours.qcow2", tmp_path / "theirs.qcow2"
    assert write_overlay(ours, backing, disk_format, size)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", disk_format, "-b",
                    str(backing), str(theirs), str(size)], check=True, timeout=60)

    def info(path: Path) -> dict[str, object]:
        out = subprocess.run(["qemu-img", "info", "--output=json", str(path)], check=True,
                             capture_output=True, text=True, timeout=60).stdout
        data: dict[str, object] = json.loads(out)
        del data["filename"]
        return data

    assert info(ours) == info(theirs)
    subprocess.run(["qemu-img", "check", "-q", str(ours)], check=True, timeout=60)
    # The header proper and every cluster after the first are qemu-img's, byte for byte
    # (the first cluster's extensions name QEMU's features, which vary by version).
    mine, its = ours.read_bytes(), theirs.read_bytes()
    assert (mine[:112], mine[65536:]) == (its[:112], its[65536:])


def test_overlay_layouts_left_to_qemu_img(tmp_path: Path) -> None:
    assert not write_overlay(tmp_path / "big.qcow2", tmp_path / "base", "qcow2", 4 * 2**40 + 1)
    assert not write_overlay(tmp_path / "vmdk.qcow2", tmp_path / "base", "vmdk", 2**30)
    assert not (tmp_path / "big.qcow2").exists()


# --- one real guest ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("qemu-state")
    try:
        yield root
    finally:
        # Whatever happened: no guest or console keeper of ours outlives the tests.
        for pid in processes_under(root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def image() -> BootImage:
    return default_boot_image()


@pytest.fixture(scope="module")
def hypervisor(state_dir: Path) -> QemuHypervisor:
    return QemuHypervisor(state_dir, "host-1")


def _spec(image: BootImage, guest_id: str = GUEST) -> GuestSpec:
    return GuestSpec(
        guest_id=guest_id, name="vm1", vcpus=1, memory_mb=256, disk_gb=1, image=image,
        config_drive=ConfigDrive(
            meta_data={"uuid": guest_id, "name": "vm1", "hostname": "vm1"},
            user_data=b"#!/bin/sh\necho user-data says hello from $(hostname)\n",
        ),
    )


def _qemu_pid(state_dir: Path, guest_id: str = GUEST) -> int:
    return int((state_dir / "guests" / guest_id / "qemu.pid").read_text())


def _wait_for(hv: QemuHypervisor, text: str, count: int = 1,
              guest_id: str = GUEST) -> float:
    started = time.monotonic()
    while hv.console_output(guest_id).count(text) < count:
        if time.monotonic() - started > BOOT_TIMEOUT:
            tail = hv.console_output(guest_id, 20)
            raise AssertionError(f"no {text!r} (x{count}) after {BOOT_TIMEOUT} s:\n{tail}")
        time.sleep(0.1)
    return time.monotonic() - started


def _wait_state(hv: QemuHypervisor, want: PowerState, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while hv.state(GUEST) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hv.state(GUEST) == want


@needs_qemu
def test_capabilities(hypervisor: QemuHypervisor) -> None:
    caps = hypervisor.capabilities()
    assert caps.hostname == "host-1"
    assert caps.accelerator in ("kvm", "tcg")
    assert caps.vcpus == os.cpu_count()
    assert caps.memory_mb > 0 and caps.disk_gb >= 0
    assert caps.hypervisor_version >= 7_000_000


@needs_qemu
def test_a_failed_spawn_says_why_and_leaves_no_process(
    hypervisor: QemuHypervisor, state_dir: Path
) -> None:
    bad = BootImage(path=state_dir / "missing.qcow2", disk_format="qcow2")
    with pytest.raises(HypervisorError, match="missing"):
        hypervisor.spawn(_spec(bad, "broken"))
    hypervisor.destroy("broken")
    assert "broken" not in hypervisor.guests()
    assert processes_under(state_dir) == []


@pytest.mark.slow
@needs_qemu
def test_boot_reads_the_config_drive(
    hypervisor: QemuHypervisor, image: BootImage, state_dir: Path
) -> None:
    started = time.monotonic()
    hypervisor.spawn(_spec(image))
    spawned = time.monotonic() - started
    first_line = _wait_for(hypervisor, "\n", 1)
    ready = _wait_for(hypervisor, "nuage-guest: ready")
    print(f"spawn returned in {spawned:.2f} s, first console line after "
          f"{first_line:.2f} s, ready after {ready:.2f} s")
    console = hypervisor.console_output(GUEST)
    assert "nuage-guest: hostname vm1" in console
    assert "user-data says hello from vm1" in console
    assert hypervisor.state(GUEST) == PowerState.RUNNING
    assert hypervisor.guests() == {GUEST: PowerState.RUNNING}
    # The root disk is an overlay on the image, grown to the flavor's disk.
    info = json.loads(subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", str(state_dir / "guests" / GUEST /
                                                        "disk.qcow2")],
        capture_output=True, text=True, check=True).stdout)
    assert info["backing-filename"] == str(image.path.resolve())
    assert info["virtual-size"] == 2**30
    # spawn is idempotent: the same QEMU goes on.
    pid = _qemu_pid(state_dir)
    hypervisor.spawn(_spec(image))
    assert _qemu_pid(state_dir) == pid
    assert hypervisor.console_output(GUEST, 1).strip() == "nuage-guest: ready"


@pytest.mark.slow
@needs_qemu
def test_pause_and_unpause(hypervisor: QemuHypervisor) -> None:
    hypervisor.pause(GUEST)
    assert hypervisor.state(GUEST) == PowerState.PAUSED
    hypervisor.pause(GUEST)                                 # idempotent
    hypervisor.unpause(GUEST)
    assert hypervisor.state(GUEST) == PowerState.RUNNING
    hypervisor.unpause(GUEST)


@pytest.mark.slow
@needs_qemu
def test_hard_reboot_resets_the_same_process(
    hypervisor: QemuHypervisor, state_dir: Path
) -> None:
    pid = _qemu_pid(state_dir)
    hypervisor.reboot(GUEST, hard=True)
    _wait_for(hypervisor, "nuage-guest: ready", 2)
    assert hypervisor.state(GUEST) == PowerState.RUNNING
    assert _qemu_pid(state_dir) == pid


@pytest.mark.slow
@needs_qemu
def test_snapshot_is_a_standalone_qcow2(hypervisor: QemuHypervisor, tmp_path: Path) -> None:
    dest = tmp_path / "snap.qcow2"
    size = hypervisor.snapshot(GUEST, dest)
    assert size == dest.stat().st_size > 0
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(dest)],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["format"] == "qcow2"
    assert "backing-filename" not in info
    assert info["virtual-size"] == 2**30
    assert hypervisor.state(GUEST) == PowerState.RUNNING    # unpaused afterwards


@pytest.mark.slow
@needs_qemu
def test_a_restarted_nuage_adopts_the_running_guest(state_dir: Path) -> None:
    pid = _qemu_pid(state_dir)
    keeper = int((state_dir / "guests" / GUEST / "console.pid").read_text())
    restarted = QemuHypervisor(state_dir, "host-1")
    assert restarted.guests() == {GUEST: PowerState.RUNNING}
    assert _qemu_pid(state_dir) == pid
    assert "nuage-guest: ready" in restarted.console_output(GUEST, 5)
    # A console keeper that died is restarted on the next look.
    os.kill(keeper, signal.SIGKILL)
    time.sleep(0.2)
    assert restarted.state(GUEST) == PowerState.RUNNING
    new_keeper = int((state_dir / "guests" / GUEST / "console.pid").read_text())
    assert new_keeper != keeper
    assert Path(f"/proc/{new_keeper}").exists()


@pytest.mark.slow
@needs_qemu
def test_stop_is_a_clean_acpi_power_off(hypervisor: QemuHypervisor, state_dir: Path) -> None:
    pid = _qemu_pid(state_dir)
    started = time.monotonic()
    hypervisor.stop(GUEST, timeout=30)
    took = time.monotonic() - started
    print(f"ACPI stop took {took:.2f} s")
    assert took < 30, "the guest ignored the power button: hard stop"
    assert "nuage-guest: power button" in hypervisor.console_output(GUEST)
    assert hypervisor.state(GUEST) == PowerState.SHUTDOWN
    assert pid not in processes_under(state_dir)
    hypervisor.stop(GUEST, timeout=30)                      # idempotent
    assert hypervisor.guests() == {GUEST: PowerState.SHUTDOWN}


@pytest.mark.slow
@needs_qemu
def test_start_boots_from_the_same_disks(hypervisor: QemuHypervisor) -> None:
    boots = hypervisor.console_output(GUEST).count("nuage-guest: ready")
    hypervisor.start(GUEST)
    hypervisor.start(GUEST)                                 # idempotent
    assert hypervisor.state(GUEST) == PowerState.RUNNING
    _wait_for(hypervisor, "nuage-guest: ready", boots + 1)


@pytest.mark.slow
@needs_qemu
def test_suspend_and_resume_keep_the_guest_memory(
    hypervisor: QemuHypervisor, state_dir: Path
) -> None:
    boots = hypervisor.console_output(GUEST).count("init started")
    hypervisor.suspend(GUEST)
    assert hypervisor.state(GUEST) == PowerState.SUSPENDED
    assert processes_under(state_dir) == []
    hypervisor.suspend(GUEST)                               # idempotent
    hypervisor.resume(GUEST)
    assert hypervisor.state(GUEST) == PowerState.RUNNING
    hypervisor.resume(GUEST)
    time.sleep(1)
    assert hypervisor.console_output(GUEST).count("init started") == boots  # no new boot


@pytest.mark.slow
@needs_qemu
def test_soft_reboot(hypervisor: QemuHypervisor, state_dir: Path) -> None:
    boots = hypervisor.console_output(GUEST).count("nuage-guest: ready")
    hypervisor.reboot(GUEST, hard=False)
    assert hypervisor.state(GUEST) == PowerState.RUNNING
    _wait_for(hypervisor, "nuage-guest: ready", boots + 1)
    assert "nuage-guest: power button" in hypervisor.console_output(GUEST)


@pytest.mark.slow
@needs_qemu
def test_a_guest_killed_while_nuage_is_down_reads_shutdown(state_dir: Path) -> None:
    os.kill(_qemu_pid(state_dir), signal.SIGKILL)
    restarted = QemuHypervisor(state_dir, "host-1")
    deadline = time.monotonic() + 10
    while restarted.state(GUEST) != PowerState.SHUTDOWN and time.monotonic() < deadline:
        time.sleep(0.1)
    assert restarted.guests() == {GUEST: PowerState.SHUTDOWN}


@pytest.mark.slow
@needs_qemu
def test_a_start_interrupted_before_the_cpus_run_is_finished_by_the_next_spawn(
    image: BootImage, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nuage and the keeper died between QEMU's start-up and its `cont`: QEMU waits in
    prelaunch (-S). A look restarts the keeper; spawning again starts the CPUs."""
    other = "0c4d1f8e-5b2a-4e63-a1c9-7d3e2f6b9a10"
    crashed = QemuHypervisor(state_dir, "host-1")
    # A keeper that reports ready and does nothing: no console, no `cont`.
    monkeypatch.setattr(crashed, "_start_keeper",
                        lambda files, release_cpus: subprocess.Popen(["true"]))
    crashed.spawn(_spec(image, other))
    restarted = QemuHypervisor(state_dir, "host-1")
    assert restarted.state(other) == PowerState.NOSTATE     # prelaunch, keeper restarted
    assert (state_dir / "guests" / other / "console.pid").exists()
    restarted.spawn(_spec(image, other))
    assert restarted.state(other) == PowerState.RUNNING
    _wait_for(restarted, "Linux version", guest_id=other)
    restarted.destroy(other)


@pytest.mark.slow
@needs_qemu
def test_destroy_removes_everything(hypervisor: QemuHypervisor, state_dir: Path) -> None:
    hypervisor.start(GUEST)
    assert hypervisor.state(GUEST) == PowerState.RUNNING
    hypervisor.destroy(GUEST)
    assert not (state_dir / "guests" / GUEST).exists()
    assert hypervisor.guests() == {}
    with pytest.raises(GuestNotFound):
        hypervisor.state(GUEST)
    hypervisor.destroy(GUEST)                               # idempotent
    assert processes_under(state_dir) == []
