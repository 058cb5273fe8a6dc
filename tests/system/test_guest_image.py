"""The default guest image, booted by a plain `qemu-system-x86_64` command line.

The image is built once per session (the .debs are cached in pytest's cache directory);
each case writes a config drive with pycdlib, boots the guest under TCG (KVM if /dev/kvm
really works), reads the serial console as it is written, then asks for an ACPI power-down
through QMP and expects QEMU to exit on its own. Boot timings are printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pycdlib
import pytest
from qemu.qmp import QMPClient

from nuage.drivers.guest_image import GuestImageFiles, build_guest_image

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                       reason="qemu-system-x86 is not installed (scripts/install.sh)"),
]

QEMU = "qemu-system-x86_64"
BOOT_TIMEOUT = 30.0
POWERDOWN_TIMEOUT = 20.0
MARKER = "user-data-marker-7f3a"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuestImageTestKeyOnlyForTests test"


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> GuestImageFiles:
    # The downloaded .debs are kept between runs (CI runs pytest without its cache plugin).
    cache = Path(os.environ.get("NUAGE_TEST_CACHE", Path.home() / ".cache" / "nuage-tests"))
    debs = cache / "guest-image-debs"
    debs.mkdir(parents=True, exist_ok=True)
    out = tmp_path_factory.mktemp("guest-image")
    started = time.monotonic()
    files = build_guest_image(out, cache_dir=debs)
    print(f"\nguest image {files.version} built in {time.monotonic() - started:.1f}s")
    again = time.monotonic()
    assert build_guest_image(out, cache_dir=debs) == files       # cached: same build
    print(f"guest image reused in {time.monotonic() - again:.1f}s")
    return files


@pytest.fixture(scope="session")
def accel(image: GuestImageFiles) -> str:
    """kvm only if a KVM guest really runs here: nested KVM can start QEMU, and even run
    its BIOS, yet hang the kernel. The probe boots the kernel with no initramfs and
    expects its banner within seconds (it then panics and -no-reboot ends QEMU)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg"
    try:
        proc = subprocess.run(
            [QEMU, "-accel", "kvm", "-machine", "pc", "-m", "128", "-nodefaults",
             "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
             "-kernel", str(image.kernel), "-append", "console=ttyS0 panic=-1"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=5, check=False)
        banner = proc.stdout
    except subprocess.TimeoutExpired as exc:
        banner = exc.stdout or b""
    return "kvm" if b"Linux version" in banner else "tcg"


def config_drive(dest: Path, meta_data: Mapping[str, object], user_data: bytes | None) -> Path:
    """An OpenStack config drive: ISO 9660 labelled config-2, Rock Ridge long names."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, vol_ident="config-2", rock_ridge="1.09", joliet=3)
    directories = ("/OPENSTACK", "/OPENSTACK/LATEST")
    for path, name in zip(directories, ("openstack", "latest"), strict=True):
        iso.add_directory(path, rr_name=name, joliet_path=path.lower())
    files = {"META_DAT.JSO;1": ("meta_data.json", json.dumps(meta_data).encode())}
    if user_data is not None:
        files["USER_DAT.;1"] = ("user_data", user_data)
    for iso_name, (name, data) in files.items():
        iso.add_fp(io.BytesIO(data), len(data), f"/OPENSTACK/LATEST/{iso_name}",
                   rr_name=name, joliet_path=f"/openstack/latest/{name}")
    iso.write(str(dest))
    iso.close()
    return dest


@dataclass
class Console:
    """The guest's serial console (QEMU's stdout), each line stamped on arrival."""

    started: float
    lines: list[tuple[float, str]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def text(self) -> str:
        with self.changed:
            return "\n".join(line for _, line in self.lines)

    def wait_for(self, needle: str, timeout: float) -> float:
        """Seconds from QEMU's start to the first line holding `needle`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for at, line in self.lines:
                    if needle in line:
                        return at - self.started
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {needle!r} on the console within {timeout}s:\n"
                                         + "\n".join(line for _, line in self.lines))
                self.changed.wait(left)


@dataclass
class Guest:
    proc: subprocess.Popen[bytes]
    console: Console
    qmp_socket: Path

    def powerdown(self) -> None:
        async def send() -> None:
            qmp = QMPClient("nuage-test")
            await qmp.connect(str(self.qmp_socket))
            try:
                await qmp.execute("system_powerdown")
            finally:
                await qmp.disconnect()

        asyncio.run(send())


Boot = Callable[[Path | None, str, bool], Guest]


@pytest.fixture
def boot(image: GuestImageFiles, accel: str, tmp_path: Path) -> Iterator[Boot]:
    """Start a guest: (config drive or None, "cdrom" or "virtio", with a NIC?)."""
    guests: list[Guest] = []
    readers: list[threading.Thread] = []

    def start(drive: Path | None, drive_bus: str, nic: bool) -> Guest:
        overlay = tmp_path / "root.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                        "-b", str(image.disk), str(overlay), "1G"], check=True)
        qmp_socket = tmp_path / "qmp.sock"
        args = [QEMU, "-accel", accel, "-machine", "pc", "-m", "256", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-serial", "stdio", "-qmp", f"unix:{qmp_socket},server=on,wait=off",
                "-kernel", str(image.kernel), "-initrd", str(image.initrd),
                "-append", image.cmdline,
                "-drive", f"file={overlay},if=virtio,format=qcow2"]
        if drive is not None:
            if drive_bus == "cdrom":
                args += ["-drive", f"file={drive},media=cdrom,if=ide,readonly=on"]
            else:
                args += ["-drive", f"file={drive},if=virtio,format=raw,readonly=on"]
        if nic:
            args += ["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"]
        console = Console(started=time.monotonic())
        with (tmp_path / "qemu.stderr").open("wb") as stderr:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=stderr)
        guest = Guest(proc, console, qmp_socket)
        guests.append(guest)

        def read() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n")
                with console.changed:
                    console.lines.append((time.monotonic(), line))
                    console.changed.notify_all()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        readers.append(reader)
        return guest

    yield start
    for guest in guests:
        if guest.proc.poll() is None:
            guest.proc.kill()
        guest.proc.wait(timeout=10)
    # The readers end at the console's end of file; then their pipes are closed here.
    for reader in readers:
        reader.join(timeout=10)
    for guest in guests:
        if guest.proc.stdout is not None:
            guest.proc.stdout.close()


def _user_data() -> bytes:
    return (f"#!/bin/sh\necho \"{MARKER} on $(hostname)\"\n"
            "sed 's/^/authorized: /' /root/.ssh/authorized_keys\n").encode()


@pytest.mark.parametrize("bus,nic", [("cdrom", True), ("virtio", False)])
def test_boots_reads_config_drive_and_powers_off(
        boot: Boot, tmp_path: Path, accel: str, bus: str, nic: bool) -> None:
    meta = {"uuid": "0b5a6c1e-4d2f-4a8e-9c3b-1f2e3d4c5b6a", "hostname": "vm1", "name": "vm1",
            "public_keys": {"k": KEY}, "meta": {"hostname": "not-this-one"}}
    drive = config_drive(tmp_path / "config.iso", meta, _user_data())
    guest: Guest = boot(drive, bus, nic)
    console = guest.console

    first_line = console.wait_for("", BOOT_TIMEOUT)
    ready = console.wait_for("nuage-guest: ready", BOOT_TIMEOUT)
    console.wait_for("nuage-guest: hostname vm1", 0)
    console.wait_for("nuage-guest: ssh keys installed: 1", 0)
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


def test_boots_without_config_drive(boot: Boot) -> None:
    guest: Guest = boot(None, "cdrom", False)
    guest.console.wait_for("nuage-guest: ready", BOOT_TIMEOUT)
    text = guest.console.text()
    assert "nuage-guest: no config drive" in text
    assert "nuage-guest: hostname nuage-guest" in text
    assert "nuage-guest: ssh keys installed: 0" in text
    assert "nuage-guest: no user-data" in text
