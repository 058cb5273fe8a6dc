"""One dnsmasq process and its files in a directory: started inside a namespace, reloaded
with SIGHUP when only its data files changed, restarted when its configuration did. It
daemonizes itself; processes.py finds it again by its pid file and its command line (which
names this directory's configuration file).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from nuage.drivers.linux_net import kernel, processes

DNSMASQ = "dnsmasq"
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
    return processes.running(files / PID, str(files / CONF))


def stop(files: Path) -> None:
    processes.stop(files / PID, str(files / CONF))


def remove(files: Path) -> None:
    """Stop it and delete its directory."""
    stop(files)
    if files.exists():
        for child in files.iterdir():
            child.unlink()
        files.rmdir()
