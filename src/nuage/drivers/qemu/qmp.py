"""Blocking QMP calls over qemu.qmp's asyncio client.

Each call opens a session on the guest's QMP socket, runs, and closes it: QEMU serves one
QMP client at a time, so a session held open would lock out a restarted nuage (or another
thread). The coroutine runs on a private event loop, in a helper thread when the calling
thread already runs one (the port is blocking, callers may be async code in a thread pool).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from qemu.qmp import QMPClient, QMPError

from nuage.ports.hypervisor import HypervisorError

T = TypeVar("T")

# qemu.qmp logs every hang-up (QEMU closing the socket on `quit`) as an error.
logging.getLogger("qemu.qmp").setLevel(logging.CRITICAL)


class QmpUnavailable(HypervisorError):
    """The QMP socket does not answer (QEMU gone, hung, or busy with another client)."""


def _unix_socket(path: Path) -> socket.socket:
    """A connected socket; long paths (over the 107-byte sun_path limit, as under pytest's
    temporary directories) are reached through /proc/self/fd/<directory fd>."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        if len(os.fsencode(path)) < 100:
            sock.connect(str(path))
        else:
            dir_fd = os.open(path.parent, os.O_PATH)
            try:
                sock.connect(f"/proc/self/fd/{dir_fd}/{path.name}")
            finally:
                os.close(dir_fd)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def _session(
    path: Path, body: Callable[[QMPClient], Awaitable[T]], timeout: float
) -> T:
    client = QMPClient("nuage")
    try:
        sock = _unix_socket(path)
    except OSError as exc:
        raise QmpUnavailable(f"QMP socket {path.name}: {exc}") from exc
    try:
        await asyncio.wait_for(client.connect(sock), timeout)
    except (QMPError, OSError, TimeoutError) as exc:
        sock.close()
        raise QmpUnavailable(f"QMP connect failed: {exc or type(exc).__name__}") from exc
    try:
        return await asyncio.wait_for(body(client), timeout)
    except TimeoutError as exc:
        raise HypervisorError(f"QMP call timed out after {timeout:g} s") from exc
    except QMPError as exc:
        raise HypervisorError(f"QMP: {exc}") from exc
    finally:
        # The server hanging up (after `quit`) surfaces here: expected.
        with contextlib.suppress(Exception):
            await client.disconnect()


def run_qmp(path: Path, body: Callable[[QMPClient], Awaitable[T]], timeout: float = 10.0) -> T:
    """Run `body` in one QMP session on the socket at `path`, blocking."""
    def call() -> T:
        return asyncio.run(_session(path, body, timeout))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def execute(
    path: Path, command: str, arguments: dict[str, Any] | None = None, timeout: float = 10.0
) -> Any:
    """One QMP command; its `return` value."""

    async def body(client: QMPClient) -> Any:
        return await client.execute(command, arguments)

    return run_qmp(path, body, timeout)
