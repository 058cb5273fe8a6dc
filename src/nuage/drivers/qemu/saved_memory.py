"""Suspend to a file: a guest's memory and device state, moved through a QEMU migration
into (and back out of) `memory.state`. QEMU, unprivileged and sandboxed, opens nothing
itself: the file goes to it as a descriptor over QMP (`getfd`). See
docs/architecture/hypervisor.md, Power operations.
"""

from __future__ import annotations

import os
from typing import Any

from qemu.qmp import QMPClient

from nuage.drivers.qemu import qmp
from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.ports.hypervisor import HypervisorError


def save_memory(files: GuestFiles) -> None:
    fd = os.open(files.memory, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        async def body(client: QMPClient) -> None:
            await client.execute("migrate-set-parameters", {"max-bandwidth": 1 << 40})
            client.send_fd_scm(fd)
            await client.execute("getfd", {"fdname": "suspend"})
            await client.execute("migrate", {"uri": "fd:suspend"})
            await _migration_done(client)

        qmp.run_qmp(files.qmp, body, timeout=600.0)
        os.fsync(fd)
    finally:
        os.close(fd)


def restore_memory(files: GuestFiles) -> None:
    fd = os.open(files.memory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        async def body(client: QMPClient) -> None:
            client.send_fd_scm(fd)
            await client.execute("getfd", {"fdname": "resume"})
            await client.execute("migrate-incoming", {"uri": "fd:resume"})
            await _migration_done(client)

        qmp.run_qmp(files.qmp, body, timeout=600.0)
    finally:
        os.close(fd)


def discard_saved_memory(files: GuestFiles) -> None:
    files.suspended.unlink(missing_ok=True)
    files.memory.unlink(missing_ok=True)


async def _migration_done(client: QMPClient) -> None:
    import asyncio

    while True:
        reply: Any = await client.execute("query-migrate")
        status = reply.get("status", "")
        if status == "completed":
            return
        if status in ("failed", "cancelled"):
            raise HypervisorError(f"memory transfer {status}: {reply.get('error-desc', '')}")
        await asyncio.sleep(0.05)

