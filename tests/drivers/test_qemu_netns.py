"""QEMU in the guest namespace: a guest with NICs is launched inside the namespace that
holds their TAPs (`GuestSpec.netns`, the fabric's guest namespace), at its spawn and at
every later start; a guest without a namespace (it never had a NIC) is launched as
before, in ours; one whose NICs were all detached stays in its namespace (a NIC
attached later is hot-plugged from there)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.qemu import QemuHypervisor
from nuage.drivers.qemu.command_line import in_netns
from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec, Nic, PowerState
from tests.support.netns import needs_root_net, unique_prefix
from tests.support.qemu import default_boot_image, needs_qemu


def _spec(image: BootImage, nics: tuple[Nic, ...] = (), netns: str | None = None
          ) -> GuestSpec:
    return GuestSpec(guest_id=str(uuid.uuid4()), name="vm", vcpus=1, memory_mb=256,
                     disk_gb=1, image=image, config_drive=ConfigDrive(meta_data={}),
                     nics=nics, netns=netns)


def test_the_command_runs_in_the_namespace_it_has(tmp_path: Path) -> None:
    image = BootImage(path=tmp_path / "disk", disk_format="raw")
    argv = ["qemu-system-x86_64", "-name", "guest=x"]
    assert in_netns(argv, _spec(image)) == argv                       # never had one: ours
    assert in_netns(argv, _spec(image, netns="ns-a")) == [            # NICs all detached
        "ip", "netns", "exec", "ns-a", *argv]
    with_nic = _spec(image, (Nic("fa:16:3e:00:00:01", "tapabc"),), "ns-a")
    assert in_netns(argv, with_nic) == ["ip", "netns", "exec", "ns-a", *argv]


def test_the_guest_record_keeps_the_namespace(tmp_path: Path) -> None:
    spec = _spec(BootImage(path=tmp_path / "disk", disk_format="raw"),
                 (Nic("fa:16:3e:00:00:01", "tapabc"),), "ns-a")
    files = GuestFiles(tmp_path, spec.guest_id)
    files.dir.mkdir(parents=True)
    files.write_record(spec)
    again = files.read_record()
    assert (again.nics, again.netns) == (spec.nics, "ns-a")


@pytest.fixture
def namespace() -> Iterator[tuple[str, str]]:
    """A namespace of our own with one TAP in it (what the fabric's ensure_port makes)."""
    name = f"{unique_prefix()}-g"
    tap = f"tap{uuid.uuid4().hex[:11]}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=30)
    try:
        subprocess.run(["ip", "-n", name, "tuntap", "add", "mode", "tap", "name", tap],
                       check=True, timeout=30)
        subprocess.run(["ip", "-n", name, "link", "set", tap, "up"], check=True, timeout=30)
        yield name, tap
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, timeout=30)


def _netns_of(pid: int) -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


@needs_root_net
@needs_qemu
@pytest.mark.slow
def test_a_guest_with_a_nic_runs_in_its_namespace(tmp_path: Path,
                                                   namespace: tuple[str, str]) -> None:
    name, tap = namespace
    hv = QemuHypervisor(tmp_path / "compute", "host-1")
    image = default_boot_image()
    spec = _spec(image, (Nic("fa:16:3e:00:91:01", tap),), name)
    plain = _spec(image)
    try:
        hv.spawn(spec)
        hv.spawn(plain)
        expected = os.stat(f"/run/netns/{name}").st_ino
        guests = tmp_path / "compute" / "guests"
        assert _netns_of(_pid(guests, spec.guest_id)) == expected
        assert _netns_of(_pid(guests, plain.guest_id)) == _netns_of(os.getpid())
        # Its TAP is open: the kernel says the TAP has a reader (carrier).
        link = subprocess.run(["ip", "-n", name, "link", "show", tap], capture_output=True,
                              text=True, check=True, timeout=30).stdout
        assert "NO-CARRIER" not in link, link
        # A later start (from the record) goes back into the namespace.
        hv.stop(spec.guest_id, 0.0)
        assert hv.state(spec.guest_id) == PowerState.SHUTDOWN
        hv.start(spec.guest_id)
        assert _netns_of(_pid(guests, spec.guest_id)) == expected
    finally:
        hv.destroy(spec.guest_id)
        hv.destroy(plain.guest_id)


def _pid(root: Path, guest_id: str) -> int:
    pid = GuestFiles(root, guest_id).live_qemu_pid()
    assert pid is not None
    return pid
