"""The console watchdog's facts: did a guest write anything to its serial console since its
last fresh start? (`boot-watch.json` in its directory, and the KVM distrust marker.)

A crawling KVM (nested virtualisation) passes a probe now and then and fails the next one;
a guest started under it spins at 100% CPU and prints nothing, ever. Nothing else on the
host notices, so the agent asks `boot_silence` on every pass and decides (see
services/compute/reconcile.py and docs/architecture/hypervisor.md, Accelerator).

The marker is written when QEMU starts afresh (not a resume from suspend: a restored guest
prints nothing new), with the console's size then; any change of that size, or a rotation
since, means the guest printed. It is removed once the guest printed, and on pause or
suspend (a guest stopped early prints nothing for good reasons).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.ports.hypervisor import BootSilence

MARKER = "boot-watch.json"
KVM_DISTRUSTED = "kvm-distrusted"


def _console_size(files: GuestFiles) -> int:
    try:
        return files.console_log.stat().st_size
    except FileNotFoundError:
        return 0


def arm(files: GuestFiles, accelerator: str) -> None:
    """A fresh start: watch for its first console byte."""
    marker = files.dir / MARKER
    tmp = marker.with_name(f".{MARKER}.partial")
    tmp.write_text(json.dumps({"accelerator": accelerator, "started": time.time(),
                               "console_bytes": _console_size(files)}))
    os.replace(tmp, marker)


def disarm(files: GuestFiles) -> None:
    (files.dir / MARKER).unlink(missing_ok=True)


def silence(files: GuestFiles) -> BootSilence | None:
    """For how long the guest printed nothing since `arm`; None once it printed (the
    marker is then dropped: one byte is enough) or when nothing is watched."""
    marker = files.dir / MARKER
    try:
        watch = json.loads(marker.read_text())
        started, accelerator = float(watch["started"]), str(watch["accelerator"])
        size = int(watch["console_bytes"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        disarm(files)            # unreadable: never act on a guess
        return None
    rotated = files.console_log.with_name("console.log.1")
    try:
        rotated_since = rotated.stat().st_mtime >= started
    except FileNotFoundError:
        rotated_since = False
    if rotated_since or _console_size(files) != size:
        disarm(files)
        return None
    return BootSilence(seconds=max(0.0, time.time() - started), accelerator=accelerator)


def kvm_distrusted(state_dir: Path) -> str | None:
    """Why KVM is distrusted on this host (the marker's text), or None."""
    try:
        return (state_dir / KVM_DISTRUSTED).read_text().strip() or "distrusted"
    except FileNotFoundError:
        return None


def distrust_kvm(state_dir: Path, reason: str) -> None:
    marker = state_dir / KVM_DISTRUSTED
    tmp = marker.with_name(f".{KVM_DISTRUSTED}.partial")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    tmp.write_text(f"{stamp} {reason}\n")
    os.replace(tmp, marker)
