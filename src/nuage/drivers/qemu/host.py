"""What the host offers: the accelerator probe, capacities, the unprivileged guest user."""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

# The probe's firmware: 64 KiB whose reset vector (offset 0xFFF0, mapped at 0xFFFFFFF0)
# writes 0x2a to the isa-debug-exit port; QEMU then exits with status (0x2a << 1) | 1.
_PROBE_CODE = bytes([0xB0, 0x2A, 0xE6, 0xF4, 0xF4, 0xEB, 0xFD])  # mov al; out; hlt; jmp $-1
_PROBE_EXIT = 85
# A boot sector with the same code, booted by SeaBIOS: this is what the probe really runs.
# Real-mode code alone runs under a broken nested KVM; SeaBIOS (32-bit protected mode,
# PCI and device set-up) shows a KVM that works only at a crawl: it takes seconds where a
# working KVM, or TCG, takes a tenth of one. Such a KVM never boots Linux (checked on these
# hosts: nothing on the console after minutes), so it counts as not working.
PROBE_DEADLINE = 2.0


def probe_accelerator(qemu: str, cpu_host: bool = True) -> str:
    """"kvm" when /dev/kvm opens and runs the probe guest in time, else "tcg"."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        log.info("KVM unusable (%s): guests run under TCG", exc)
        return "tcg"
    os.close(fd)
    with tempfile.TemporaryDirectory(prefix="nuage-kvm-probe-") as tmp:
        boot = Path(tmp) / "boot.img"
        sector = bytearray(512)
        sector[: len(_PROBE_CODE)] = _PROBE_CODE
        sector[510:512] = b"\x55\xaa"
        boot.write_bytes(bytes(sector))
        args = [
            qemu, "-accel", "kvm", "-machine", "pc", "-nodefaults", "-no-user-config",
            "-display", "none", "-serial", "none", "-monitor", "none", "-m", "16",
            "-drive", f"file={boot},format=raw,if=floppy",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]
        if cpu_host:
            args[3:3] = ["-cpu", "host"]
        started = time.monotonic()
        try:
            proc = subprocess.run(
                args, capture_output=True, text=True, timeout=PROBE_DEADLINE, check=False
            )
        except subprocess.TimeoutExpired:
            log.warning("KVM too slow to boot a probe guest in %s s: guests run under TCG",
                        PROBE_DEADLINE)
            return "tcg"
        except OSError as exc:
            log.warning("KVM probe could not run (%s): guests run under TCG", exc)
            return "tcg"
    if proc.returncode != _PROBE_EXIT:
        log.warning("KVM probe failed (exit %s: %s): guests run under TCG",
                    proc.returncode, proc.stderr.strip()[-300:])
        return "tcg"
    log.info("KVM works (probe guest ran in %.2f s)", time.monotonic() - started)
    return "kvm"


def memory_mb() -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 0


def disk_gb(path: Path) -> int:
    return shutil.disk_usage(path).free // 2**30


def qemu_version(qemu: str) -> int:
    """QEMU's version as Nova reports it: major * 1000000 + minor * 1000 + micro."""
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
        numbers = out.split("version", 1)[1].split()[0].split(".")
        major, minor, micro = (int("".join(ch for ch in n if ch.isdigit()) or 0)
                               for n in ([*numbers, "0", "0"])[:3])
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        return 0
    return major * 1_000_000 + minor * 1000 + micro


def ensure_guest_user(name: str | None) -> str | None:
    """The user QEMU drops to after opening its files (`-runas`), created as a system user
    if missing. None (QEMU keeps our uid) when not root, not wanted, or not creatable."""
    if not name or os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
        return name
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        log.warning("no useradd: guests run as root")
        return None
    proc = subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", "--comment", "nuage guests", name],
        capture_output=True, text=True, timeout=30, check=False,
    )
    try:
        pwd.getpwnam(name)
    except KeyError:
        log.warning("could not create user %s (%s): guests run as root", name,
                    proc.stderr.strip())
        return None
    return name
