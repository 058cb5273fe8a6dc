"""The QEMU driver's NIC hot-plug on a running guest: a guest started in a namespace with
its first NIC gets a second one through `attach_nic` (the TAP's descriptor passed over
QMP to the unprivileged, sandboxed QEMU), found again by its MAC under the id hot-plug
and launch share; its record has it, so a restart gives QEMU both on its command line.
No test waits for the guest's own boot (its ACPI answer to an unplug is the system
test's: tests/system/test_server_interfaces.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.linux_net.kernel import remove_namespace
from nuage.drivers.qemu import QemuHypervisor, hotplug
from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.ports.hypervisor import ConfigDrive, GuestSpec, Nic, PowerState
from tests.support.netns import needs_root_net, unique_prefix
from tests.support.qemu import default_boot_image, needs_qemu, processes_under

pytestmark = [needs_qemu, needs_root_net, pytest.mark.slow]

FIRST = Nic("52:54:00:1e:00:01", "taphp1")
SECOND = Nic("52:54:00:1e:00:02", "taphp2")


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"{unique_prefix()}-hp"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for nic in (FIRST, SECOND):
            subprocess.run(["ip", "-n", name, "tuntap", "add", nic.tap, "mode", "tap",
                            "vnet_hdr"], check=True)
            subprocess.run(["ip", "-n", name, "link", "set", nic.tap, "up"], check=True)
        yield name
    finally:
        remove_namespace(name)


@pytest.fixture
def hv(tmp_path: Path) -> Iterator[QemuHypervisor]:
    try:
        yield QemuHypervisor(tmp_path / "qemu", "host-1", accelerator="tcg")
    finally:
        for pid in processes_under(tmp_path / "qemu"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_nic_hot_plugged_into_a_running_guest(hv: QemuHypervisor, netns: str,
                                                tmp_path: Path) -> None:
    guest_id = str(uuid.uuid4())
    hv.spawn(GuestSpec(guest_id=guest_id, name="vm", vcpus=1, memory_mb=128, disk_gb=1,
                       image=default_boot_image(),
                       config_drive=ConfigDrive(meta_data={"uuid": guest_id}),
                       nics=(FIRST,), netns=netns))
    try:
        files = GuestFiles(tmp_path / "qemu" / "guests", guest_id)
        assert set(hotplug.plugged(files.qmp)) == {FIRST.mac}
        assert "NO-CARRIER" in _link(netns, SECOND.tap)     # nobody holds it yet
        hv.attach_nic(guest_id, SECOND, netns)
        hv.attach_nic(guest_id, SECOND, netns)          # idempotent: still one device
        plugged = hotplug.plugged(files.qmp)
        assert set(plugged) == {FIRST.mac, SECOND.mac}
        assert plugged[SECOND.mac] == ("/machine/peripheral/nic-5254001e0002",
                                       "net-5254001e0002")
        # The launch names its NICs the same way.
        assert plugged[FIRST.mac] == ("/machine/peripheral/nic-5254001e0001",
                                      "net-5254001e0001")
        assert hv.nics(guest_id) == (FIRST, SECOND)
        # QEMU holds the TAP now: it has a carrier.
        assert "NO-CARRIER" not in _link(netns, SECOND.tap)
        # A restart gives both NICs from the record.
        hv.stop(guest_id, 1.0)
        assert hv.state(guest_id) == PowerState.SHUTDOWN
        hv.start(guest_id)
        assert set(hotplug.plugged(files.qmp)) == {FIRST.mac, SECOND.mac}
    finally:
        hv.destroy(guest_id)


def _link(netns: str, name: str) -> str:
    return subprocess.run(["ip", "-n", netns, "link", "show", name], capture_output=True,
                          text=True, check=True).stdout


def test_a_guest_started_without_nics_gets_one_hot_plugged(
        hv: QemuHypervisor, netns: str, tmp_path: Path) -> None:
    """QEMU runs outside the namespace (it had no NIC): the TAP's descriptor, opened in
    the namespace, reaches it all the same; the next start runs inside."""
    guest_id = str(uuid.uuid4())
    hv.spawn(GuestSpec(guest_id=guest_id, name="vm", vcpus=1, memory_mb=128, disk_gb=1,
                       image=default_boot_image(),
                       config_drive=ConfigDrive(meta_data={"uuid": guest_id})))
    try:
        files = GuestFiles(tmp_path / "qemu" / "guests", guest_id)
        assert files.read_record().netns is None
        hv.attach_nic(guest_id, SECOND, netns)
        assert set(hotplug.plugged(files.qmp)) == {SECOND.mac}
        assert "NO-CARRIER" not in _link(netns, SECOND.tap)
        assert (files.read_record().nics, files.read_record().netns) == ((SECOND,), netns)
        hv.stop(guest_id, 1.0)
        hv.start(guest_id)
        assert set(hotplug.plugged(files.qmp)) == {SECOND.mac}
    finally:
        hv.destroy(guest_id)
