"""The default guest image booted by a plain `qemu-system-x86_64` command line, for the
system tests of the image itself: its serial console read line by line as it is written
(each line stamped on arrival, so boot times can be measured), QMP for the power button,
and, optionally, QEMU started inside a network namespace whose taps it then opens."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pycdlib
from qemu.qmp import QMPClient

from nuage.drivers.guest_image import GuestImageFiles, build_guest_image

QEMU = "qemu-system-x86_64"


def cache_dir() -> Path:
    # The downloaded .debs are kept between runs (CI runs pytest without its cache plugin).
    return Path(os.environ.get("NUAGE_TEST_CACHE", Path.home() / ".cache" / "nuage-tests"))


def build_image(out: Path) -> GuestImageFiles:
    debs = cache_dir() / "guest-image-debs"
    debs.mkdir(parents=True, exist_ok=True)
    return build_guest_image(out, cache_dir=debs)


def probe_accel(image: GuestImageFiles) -> str:
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
    """An OpenStack config drive written independently of nuage's own writer: ISO 9660
    labelled config-2, Rock Ridge long names, meta_data.json and user_data only."""
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
        return self.wait_line(needle, timeout)[0]

    def wait_line(self, needle: str, timeout: float) -> tuple[float, str]:
        """The first line holding `needle`, and when it came (seconds from QEMU's start)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for at, line in self.lines:
                    if needle in line:
                        return at - self.started, line
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


class Guests:
    """Starts guests of `image` in `workdir`; close() kills whatever still runs."""

    def __init__(self, image: GuestImageFiles, accel: str, workdir: Path) -> None:
        self.image, self.accel, self.workdir = image, accel, workdir
        self.guests: list[Guest] = []
        self.readers: list[threading.Thread] = []

    def start(self, drive: Path | None, drive_bus: str = "cdrom", *,
              nic_args: Sequence[str] = (), netns: str | None = None) -> Guest:
        """`drive_bus`: "cdrom" (IDE, as nuage's QEMU driver attaches it) or "virtio";
        `nic_args`: QEMU's -netdev/-device arguments; `netns`: the namespace QEMU runs in
        (its taps are opened there)."""
        index = len(self.guests)
        overlay = self.workdir / f"root{index}.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                        "-b", str(self.image.disk), str(overlay), "1G"], check=True)
        qmp_socket = self.workdir / f"qmp{index}.sock"
        args = [QEMU, "-accel", self.accel, "-machine", "pc", "-m", "256", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-serial", "stdio", "-qmp", f"unix:{qmp_socket},server=on,wait=off",
                "-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd),
                "-append", self.image.cmdline,
                "-drive", f"file={overlay},if=virtio,format=qcow2", *nic_args]
        if drive is not None:
            if drive_bus == "cdrom":
                args += ["-drive", f"file={drive},media=cdrom,if=ide,readonly=on"]
            else:
                args += ["-drive", f"file={drive},if=virtio,format=raw,readonly=on"]
        if netns is not None:
            # `ip netns exec` enters the namespace and execs QEMU: the pid is QEMU's.
            args = ["ip", "netns", "exec", netns, *args]
        console = Console(started=time.monotonic())
        with (self.workdir / f"qemu{index}.stderr").open("wb") as stderr:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=stderr)
        guest = Guest(proc, console, qmp_socket)
        self.guests.append(guest)

        def read() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip("\r\n")
                with console.changed:
                    console.lines.append((time.monotonic(), line))
                    console.changed.notify_all()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        self.readers.append(reader)
        return guest

    def close(self) -> None:
        for guest in self.guests:
            if guest.proc.poll() is None:
                guest.proc.kill()
            guest.proc.wait(timeout=10)
        # The readers end at the console's end of file; then their pipes are closed here.
        for reader in self.readers:
            reader.join(timeout=10)
        for guest in self.guests:
            if guest.proc.stdout is not None:
                guest.proc.stdout.close()
