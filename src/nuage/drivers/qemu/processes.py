"""The processes around a guest: its console keeper (console_keeper.py, started, waited
for, retired) and the waits, kills and runs the driver needs. See
docs/architecture/hypervisor.md, The serial console.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from nuage.drivers.qemu.guest_files import GuestFiles, pid_alive
from nuage.ports.hypervisor import HypervisorError

_KEEPER = Path(__file__).with_name("console_keeper.py")


def start_keeper(files: GuestFiles, console_max_bytes: int,
                 release_cpus: bool) -> subprocess.Popen[bytes]:
    """Start a console keeper, not waiting: see keeper_connected. With `release_cpus`
    it also `cont`s a QEMU started with -S once connected."""
    argv = [sys.executable, "-I", "-S", str(_KEEPER), "console.sock", "console.log",
            str(console_max_bytes), "console.pid"]
    if release_cpus:
        argv.append("qmp.sock")
    try:
        return subprocess.Popen(
            argv, cwd=files.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
    except OSError as exc:
        raise HypervisorError(f"console keeper did not start: {exc}") from exc


def keeper_connected(keeper: subprocess.Popen[bytes]) -> None:
    """Wait for the keeper's first process, which exits once its child is ready: connected
    to the console, and the CPUs released if it was asked to."""
    try:
        status = wait_exit(keeper, 30.0)
    except subprocess.TimeoutExpired as exc:
        abandon(keeper)
        raise HypervisorError("console keeper did not start in 30 s") from exc
    if status != 0:
        raise HypervisorError("console keeper could not connect to the serial console, "
                              "or QEMU did not start the CPUs")


def retire_keeper(files: GuestFiles) -> None:
    """Before a launch: a keeper still alive belongs to the QEMU that just exited. It exits
    by itself once it has copied what that QEMU printed last; one that lingers is killed."""
    pid = files.live_keeper_pid()
    if pid is not None and not wait(lambda: files.live_keeper_pid() is None, 2.0):
        kill(pid)


def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int:
    """proc.wait(timeout), woken by the exit itself: CPython's wait with a timeout polls in
    growing sleeps (up to 50 ms), so a QEMU that daemonizes after 45 ms was noticed after
    64. A pidfd (Linux 5.3) becomes readable when the process exits."""
    if proc.returncode is not None:  # reaped: its pid may be another process's by now
        return proc.returncode
    try:
        pidfd = os.pidfd_open(proc.pid)
    except OSError:                  # an older kernel
        return proc.wait(timeout)
    try:
        if not select.select([pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        os.close(pidfd)
    return proc.wait()


def abandon(keeper: subprocess.Popen[bytes]) -> None:
    """Kill a keeper still waiting to connect; its child, seeing its parent gone, gives up
    instead of attaching to the console of a later start."""
    if keeper.poll() is None:
        keeper.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        keeper.wait(timeout=10)



def wait(done: Callable[[], bool], timeout: float,
          meanwhile: Callable[[], None] | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if done():
            return True
        if time.monotonic() >= deadline:
            return False
        if meanwhile is not None:
            meanwhile()
        time.sleep(0.05)


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    wait(lambda: not pid_alive(pid), 10.0)


def run(argv: list[str], what: str, timeout: float = 120) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HypervisorError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        raise HypervisorError(f"{what} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout



def tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return " / ".join(line for line in text.strip().splitlines()[-lines:] if line)
