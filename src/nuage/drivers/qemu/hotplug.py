"""NIC hot-plug over QMP: a virtio-net PCI device on a TAP, added to or taken from a
running guest, and the QEMU ids that name them.

Ids come from the MAC (`nic-<mac>` for the device, `net-<mac>` for its TAP backend), at
launch (command_line.py) as at hot-plug, so a NIC is found again whichever way it came.
Guests launched before those ids existed are found too: the devices are looked up by
their `mac` property under /machine/peripheral (devices with an id) and
/machine/peripheral-anon (without), and removed by their QOM path.

The guest's record (guest_files.py) says which NICs its next start has. Attach plugs
first and records after; detach unplugs first and records after: a crash in between
leaves a record that the next call, finding the device as it is, completes.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import struct
import threading
import time
from pathlib import Path
from typing import Any

from qemu.qmp import ExecuteError, QMPClient

from nuage.drivers.qemu import qmp
from nuage.ports.hypervisor import HypervisorError, Nic

_PERIPHERALS = ("/machine/peripheral", "/machine/peripheral-anon")
_POLL = 0.2
_CLONE_NEWNET = 0x40000000
_TUNSETIFF = 0x400454CA
_IFF_TAP, _IFF_NO_PI, _IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
_libc = ctypes.CDLL(None, use_errno=True)


def device_id(mac: str) -> str:
    return "nic-" + mac.replace(":", "").lower()


def netdev_id(mac: str) -> str:
    return "net-" + mac.replace(":", "").lower()


def plugged(socket: Path) -> dict[str, tuple[str, str]]:
    """The guest's virtio-net devices: MAC (lower case) -> (QOM path, netdev id)."""

    async def body(client: QMPClient) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for base in _PERIPHERALS:
            children = _items(await client.execute("qom-list", {"path": base}))
            for child in children:
                if child.get("type") != "child<virtio-net-pci>":
                    continue
                path = f"{base}/{child['name']}"
                mac = await client.execute("qom-get", {"path": path, "property": "mac"})
                netdev = await client.execute("qom-get",
                                              {"path": path, "property": "netdev"})
                found[str(mac).lower()] = (path, str(netdev))
        return found

    return qmp.run_qmp(socket, body)


def open_tap(netns: str, name: str) -> int:
    """An open descriptor on the TAP `name` of namespace `netns`. QEMU cannot open it
    itself once it runs: it dropped to the guest user (/dev/net/tun is root's) and runs
    sandboxed. setns() moves only the calling thread: a thread of its own does it."""
    result: list[int | BaseException] = []

    def work() -> None:
        try:
            ns = os.open(f"/run/netns/{netns}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(ns, _CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns {netns}: {os.strerror(err)}")
            finally:
                os.close(ns)
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
            try:
                fcntl.ioctl(fd, _TUNSETIFF, struct.pack(
                    "16sH22x", name.encode(), _IFF_TAP | _IFF_NO_PI | _IFF_VNET_HDR))
            except BaseException:
                os.close(fd)
                raise
            result.append(fd)
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=work, name=f"open-{name}")
    thread.start()
    thread.join()
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise HypervisorError(f"TAP {name} in {netns} not opened: {outcome}")
    return outcome


def hot_plug(socket: Path, nic: Nic, netns: str) -> None:
    """The TAP backend (its descriptor passed over QMP) and the device, unless a device
    with that MAC is there. A backend left by an attempt that failed before its device
    is reused."""
    mac = nic.mac.lower()
    if mac in plugged(socket):
        return
    fd = open_tap(netns, nic.tap)

    async def body(client: QMPClient) -> None:
        try:
            client.send_fd_scm(fd)
            await client.execute("getfd", {"fdname": netdev_id(mac)})
            await client.execute("netdev_add", {
                "type": "tap", "id": netdev_id(mac), "fd": netdev_id(mac)})
        except ExecuteError as exc:
            # QEMU 7.2 has no query-netdev: a backend already there says so here.
            if "Duplicate" not in str(exc):
                raise
        await client.execute("device_add", {
            "driver": "virtio-net-pci", "id": device_id(mac), "netdev": netdev_id(mac),
            "mac": mac})

    try:
        qmp.run_qmp(socket, body)
    finally:
        os.close(fd)


def hot_unplug(socket: Path, mac: str, timeout: float) -> None:
    """Ask the guest to release the device (ACPI), wait until QEMU removed it, then
    remove its TAP backend. HypervisorError when the guest keeps it for `timeout`."""
    mac = mac.lower()
    found = plugged(socket).get(mac)
    if found is not None:
        path, netdev = found
        try:
            qmp.execute(socket, "device_del", {"id": path})
        except HypervisorError as exc:
            # Asked before (a previous call timed out): the guest may still answer.
            if "unplug" not in str(exc):
                raise
        deadline = time.monotonic() + timeout
        while mac in plugged(socket):
            if time.monotonic() >= deadline:
                raise HypervisorError(
                    f"the guest did not release its NIC {mac} within {timeout:g} s")
            time.sleep(_POLL)
    else:
        netdev = netdev_id(mac)
    remove_backend(socket, netdev)


def remove_backend(socket: Path, netdev: str) -> None:
    async def body(client: QMPClient) -> None:
        try:
            await client.execute("netdev_del", {"id": netdev})
        except ExecuteError as exc:
            if "not found" not in str(exc):      # gone already
                raise

    qmp.run_qmp(socket, body)


def _items(reply: object) -> list[dict[str, Any]]:
    """A QMP reply that is a list of objects (anything else: none)."""
    if not isinstance(reply, list):
        return []
    return [item for item in reply if isinstance(item, dict)]
