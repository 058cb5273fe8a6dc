"""The default guest image, booted by a plain `qemu-system-x86_64` command line.

The image is built once per session (the .debs are cached in pytest's cache directory);
each case writes a config drive with pycdlib, boots the guest under TCG (KVM if /dev/kvm
really works), reads the serial console as it is written, then asks for an ACPI power-down
through QMP and expects QEMU to exit on its own. Boot timings are printed (`pytest -s`).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.guest_image import GuestImageFiles
from tests.support.guest_vm import Guest, Guests, build_image, config_drive, probe_accel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                       reason="qemu-system-x86 is not installed (scripts/install.sh)"),
]

BOOT_TIMEOUT = 30.0
POWERDOWN_TIMEOUT = 20.0
MARKER = "user-data-marker-7f3a"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuestImageTestKeyOnlyForTests test"


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> GuestImageFiles:
    out = tmp_path_factory.mktemp("guest-image")
    started = time.monotonic()
    files = build_image(out)
    print(f"\nguest image {files.version} built in {time.monotonic() - started:.1f}s")
    again = time.monotonic()
    assert build_image(out) == files                              # cached: same build
    print(f"guest image reused in {time.monotonic() - again:.1f}s")
    return files


@pytest.fixture(scope="session")
def accel(image: GuestImageFiles) -> str:
    return probe_accel(image)


@pytest.fixture
def guests(image: GuestImageFiles, accel: str, tmp_path: Path) -> Iterator[Guests]:
    started = Guests(image, accel, tmp_path)
    yield started
    started.close()


def _user_data() -> bytes:
    return (f"#!/bin/sh\necho \"{MARKER} on $(hostname)\"\n"
            "sed 's/^/authorized: /' /root/.ssh/authorized_keys\n").encode()


@pytest.mark.parametrize("bus,nic", [("cdrom", True), ("virtio", False)])
def test_boots_reads_config_drive_and_powers_off(
        guests: Guests, tmp_path: Path, accel: str, bus: str, nic: bool) -> None:
    meta = {"uuid": "0b5a6c1e-4d2f-4a8e-9c3b-1f2e3d4c5b6a", "hostname": "vm1", "name": "vm1",
            "public_keys": {"k": KEY}, "meta": {"hostname": "not-this-one"}}
    drive = config_drive(tmp_path / "config.iso", meta, _user_data())
    user_net = ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"]
    guest: Guest = guests.start(drive, bus, nic_args=user_net if nic else ())
    console = guest.console

    first_line = console.wait_for("", BOOT_TIMEOUT)
    ready = console.wait_for("nuage-guest: ready", BOOT_TIMEOUT)
    console.wait_for("nuage-guest: hostname vm1", 0)
    console.wait_for("nuage-guest: ssh keys installed: 1", 0)
    console.wait_for("nuage-guest: ssh server on port 22, host key ssh-ed25519 ", 0)
    console.wait_for(f"{MARKER} on vm1", 0)
    console.wait_for(f"authorized: {KEY}", 0)
    console.wait_for("nuage-guest: user-data exit status 0", 0)
    console.wait_for("nuage-guest: user-data done", 0)
    if nic:
        console.wait_for("nuage-guest: network eth0 10.0.2.15/24", 0)
    print(f"\n[{accel}, config drive on {bus}, nic={nic}] first console line "
          f"{first_line:.2f}s, ready {ready:.2f}s")

    powerdown_at = time.monotonic()
    guest.powerdown()
    try:
        status = guest.proc.wait(timeout=POWERDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("the guest ignored the ACPI power button:\n" + console.text())
    print(f"[{accel}] powered off {time.monotonic() - powerdown_at:.2f}s after the button")
    assert status == 0
    assert "nuage-guest: power button, powering off" in console.text()
    assert "nuage-guest: shutting down" in console.text()


def test_boots_without_config_drive(guests: Guests) -> None:
    guest = guests.start(None)
    guest.console.wait_for("nuage-guest: ready", BOOT_TIMEOUT)
    text = guest.console.text()
    assert "nuage-guest: no config drive" in text
    assert "nuage-guest: hostname nuage-guest" in text
    assert "nuage-guest: ssh keys installed: 0" in text
    assert "nuage-guest: no user-data" in text
