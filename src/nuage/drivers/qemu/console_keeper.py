"""The console keeper: one small process per running guest that copies QEMU's serial console
(a unix socket chardev) into console.log, rotating it at a size bound and keeping one old file.

Run as a script with only the standard library (`python -I -S console_keeper.py ...`),
started by the driver with the guest directory as working directory, just before QEMU: it
retries the connection every millisecond for CONNECT_TIMEOUT, unless its parent is killed
meanwhile (the driver gave that start up). It forks: the parent exits 0 once the child is
ready, or 1 if it could not get there. Ready means connected to the console and, when a QMP
socket is given (a fresh start, QEMU launched with -S), the CPUs released with QMP `cont`.
QEMU may greet early (its monitor has an I/O thread) but runs commands only from its main
loop, which starts once its start-up is over, privileges dropped (-runas) included; the
keeper is by then recording the console, so no boot line is lost, and the guest starts
without waiting for the driver to notice that QEMU's daemonizing parent exited and to open
its own QMP session. The child outlives nuage, like the guest itself; it exits when QEMU
closes the socket (the guest is gone). Why a process and not a thread of nuage: the console
must keep being recorded while nuage is down.

It imports `_socket`, not `socket`: the latter's imports (enum, selectors) double the
interpreter's start-up, which a boot waits for when QEMU starts faster than the keeper.

Usage: console_keeper.py SOCKET LOG MAX_BYTES PIDFILE [QMP_SOCKET]
"""

from __future__ import annotations

import _socket
import os
import sys
import time

CONNECT_TIMEOUT = 10.0
QEMU_START_TIMEOUT = 60.0     # QEMU's start-up, as the driver waits for it


def _connect(path: str, parent: int, deadline: float) -> _socket.socket | None:
    while True:
        if os.getppid() != parent:
            return None       # the driver killed our parent: it gave this start up
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                return None
            time.sleep(0.001)     # started before QEMU: the socket appears soon


def _release_cpus(path: str, parent: int, deadline: float) -> bool:
    """QMP `cont`, answered with success. QEMU's replies start with {"return" or {"error";
    events ({"timestamp" ..., such as RESUME before cont's reply) are skipped."""
    sock = _connect(path, parent, deadline)
    if sock is None:
        return False
    pending = b""

    def reply() -> bytes:
        nonlocal pending
        while b"\n" not in pending:
            chunk = sock.recv(4096)
            if not chunk:
                raise OSError("QMP closed")
            pending += chunk
        line, pending = pending.split(b"\n", 1)
        return line.strip()

    try:
        sock.settimeout(QEMU_START_TIMEOUT)
        reply()                                   # the greeting
        for command in (b'{"execute": "qmp_capabilities"}', b'{"execute": "cont"}'):
            sock.sendall(command + b"\n")
            while True:
                line = reply()
                if line.startswith(b'{"return"'):
                    break
                if line.startswith(b'{"error"'):
                    return False
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _copy(sock: _socket.socket, log_path: str, max_bytes: int) -> None:
    log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - reopened on rotation
    try:
        size = log.seek(0, os.SEEK_END)
        while True:
            try:
                chunk = sock.recv(65536)
            except InterruptedError:
                continue
            except OSError:
                return
            if not chunk:
                return                          # QEMU closed the console: the guest is gone
            if size + len(chunk) > max_bytes and size > 0:
                log.close()
                os.replace(log_path, log_path + ".1")
                log = open(log_path, "ab", buffering=0)  # noqa: SIM115
                size = 0
            log.write(chunk)
            size += len(chunk)
    finally:
        log.close()


def main(argv: list[str]) -> int:
    sock_path, log_path, max_bytes, pid_path = argv[0], argv[1], int(argv[2]), argv[3]
    qmp_path = argv[4] if len(argv) > 4 else None
    ready_r, ready_w = os.pipe()
    parent = os.getpid()
    if os.fork() > 0:
        # The parent: report whether the child got ready.
        os.close(ready_w)
        answer = os.read(ready_r, 1)
        return 0 if answer == b"1" else 1
    os.close(ready_r)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    deadline = time.monotonic() + CONNECT_TIMEOUT
    sock = _connect(sock_path, parent, deadline)
    if sock is None:
        os.write(ready_w, b"0")
        return 1
    tmp = f"{pid_path}.{os.getpid()}"
    with open(tmp, "w") as pid_file:
        pid_file.write(f"{os.getpid()}\n")
    os.replace(tmp, pid_path)
    if qmp_path is not None and not _release_cpus(qmp_path, parent, deadline):
        os.write(ready_w, b"0")
        sock.close()
        return 1
    os.write(ready_w, b"1")
    os.close(ready_w)
    _copy(sock, log_path, max_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
