"""One dnsmasq process and its files in a directory: started inside a namespace, reloaded
with SIGHUP when only its data files changed, restarted when its configuration did.

A pid counts only while `/proc/<pid>` is alive, not a zombie (the container's init may
never reap it), and its command line names this directory's configuration file: pid files
outlive their process and pids are reused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from nuage.drivers.linux_net import kernel

DNSMASQ = "dnsmasq"
STOP_TIMEOUT = 5.0
CONF = "dnsmasq.conf"
PID = "dnsmasq.pid"


def apply(ns: str, files: Path, conf: str, data: dict[str, str]) -> None:
    """Make the dnsmasq of `files` run in `ns` with this configuration and data files."""
    files.mkdir(parents=True, exist_ok=True)
    conf_changed = write(files / CONF, conf)
    data_changed = False
    for name, text in data.items():
        data_changed |= write(files / name, text)
    pid = running(files)
    if pid is not None and conf_changed:
        stop(files)
        pid = None
    if pid is None:
        kernel.run(ns, [DNSMASQ, f"--conf-file={files / CONF}"])
    elif data_changed:
        os.kill(pid, signal.SIGHUP)


def common(files: Path) -> list[str]:
    """Configuration lines every instance shares."""
    return [
        # dnsmasq stays root: it re-reads its files on SIGHUP after it would have dropped
        # privileges, and the state dir may not be readable by another user.
        "user=root", "group=root",
        "no-resolv", "no-hosts", "bind-interfaces", "except-interface=lo",
        f"pid-file={files / PID}",
        f"log-facility={files / 'dnsmasq.log'}",
    ]


def write(path: Path, text: str) -> bool:
    """Write if different (a temporary name renamed: never half a file); True if changed."""
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True


def running(files: Path) -> int | None:
    """The pid of the dnsmasq running with this directory's configuration, else None."""
    try:
        pid = int((files / PID).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    if str(files / CONF).encode() not in cmdline or ") Z" in status:
        return None
    return pid


def stop(files: Path) -> None:
    pid = running(files)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while running(files) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        if running(files) == pid:
            os.kill(pid, signal.SIGKILL)


def remove(files: Path) -> None:
    """Stop it and delete its directory."""
    stop(files)
    if files.exists():
        for child in files.iterdir():
            child.unlink()
        files.rmdir()
