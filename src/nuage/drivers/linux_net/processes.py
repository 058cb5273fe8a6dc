"""The fabric's daemons (dnsmasq, the metadata proxies): started inside a namespace,
detached from nuage (they outlive it, and a restarted nuage adopts them), found again by
their pid file.

A pid counts only while `/proc/<pid>` is alive, not a zombie (the container's init may
never reap it), and its command line holds the marker the caller gives (its configuration
file, its network): pid files outlive their process and pids are reused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from nuage.ports.network_fabric import FabricError

STOP_TIMEOUT = 5.0
START_TIMEOUT = 10.0


def running(pid_file: Path, marker: str) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    if marker.encode() not in cmdline or state == "Z":
        return None
    return pid


def stop(pid_file: Path, marker: str) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT; nothing if it is not running."""
    pid = running(pid_file, marker)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while running(pid_file, marker) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        if running(pid_file, marker) == pid:
            os.kill(pid, signal.SIGKILL)


def spawn(ns: str, argv: Sequence[str], pid_file: Path, marker: str, log: Path) -> int:
    """Start a daemon that does not detach by itself (`setsid -f` does it for it: init
    adopts it, so nuage neither waits for it nor leaves zombies) and wait until it has
    written its pid file; FabricError with its log's tail if it does not."""
    with log.open("ab") as out:
        subprocess.run(["ip", "netns", "exec", ns, "setsid", "-f", *argv],
                       stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=True)
    deadline = time.monotonic() + START_TIMEOUT
    while (pid := running(pid_file, marker)) is None:
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            raise FabricError(f"{argv[0]} did not start in {ns}: {tail}")
        time.sleep(0.05)
    return pid
