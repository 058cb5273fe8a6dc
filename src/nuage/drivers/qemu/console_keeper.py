"""The console keeper: one small process per running guest that copies QEMU's serial console
(a unix socket chardev) into console.log, rotating it at a size bound and keeping one old file.

Run as a script with only the standard library (`python -I console_keeper.py ...`), started
by the driver with the guest directory as working directory. It forks: the parent exits 0
once the child has connected to the socket (so the driver can then let the guest's CPUs run
and no boot line is lost), or 1 if it could not connect. The driver starts it alongside
QEMU: it retries the connection for CONNECT_TIMEOUT, unless its parent is killed meanwhile
(the driver gave that start up). The child outlives nuage, like the guest itself; it exits
when QEMU closes the socket (the guest is gone). Why a process and not a thread of nuage:
the console must keep being recorded while nuage is down.

Usage: console_keeper.py SOCKET LOG MAX_BYTES PIDFILE
"""

from __future__ import annotations

import os
import socket
import sys
import time

CONNECT_TIMEOUT = 10.0


def _connect(path: str, parent: int) -> socket.socket | None:
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        if os.getppid() != parent:
            return None       # the driver killed our parent: it gave this start up
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)     # started before QEMU: the socket appears soon


def _copy(sock: socket.socket, log_path: str, max_bytes: int) -> None:
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
    ready_r, ready_w = os.pipe()
    parent = os.getpid()
    if os.fork() > 0:
        # The parent: report whether the child connected.
        os.close(ready_w)
        answer = os.read(ready_r, 1)
        return 0 if answer == b"1" else 1
    os.close(ready_r)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sock = _connect(sock_path, parent)
    if sock is None:
        os.write(ready_w, b"0")
        return 1
    tmp = f"{pid_path}.{os.getpid()}"
    with open(tmp, "w") as pid_file:
        pid_file.write(f"{os.getpid()}\n")
    os.replace(tmp, pid_path)
    os.write(ready_w, b"1")
    os.close(ready_w)
    _copy(sock, log_path, max_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
